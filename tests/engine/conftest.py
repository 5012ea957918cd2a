"""Engine fixtures: the test BPMN, a registry and an engine; no Flask app, no database."""

import pytest

from tests.engine.engine_support import BPMN_DIR
from webapp.engine import SpecRegistry, WorkflowEngine
from webapp.workdays import WorkdayCalendar


@pytest.fixture(scope="session")
def registry() -> SpecRegistry:
    return SpecRegistry.load(BPMN_DIR, strict=True)


@pytest.fixture
def engine(registry: SpecRegistry) -> WorkflowEngine:
    return WorkflowEngine(registry, {"double": lambda value: value * 2}, WorkdayCalendar())
