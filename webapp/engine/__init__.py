"""The workflow engine: the only importer of SpiffWorkflow. Plain values in, plain values out."""

from webapp.engine.checks import KnownKeys
from webapp.engine.errors import (
    ClockNotSet,
    EngineError,
    Problem,
    ScriptRefused,
    TaskNotReady,
    TaskNotResettable,
    WorkflowSpecError,
)
from webapp.engine.history import CompletedTask
from webapp.engine.runtime import TaskView, WorkflowEngine
from webapp.engine.serialization import SERIALIZER_VERSION
from webapp.engine.specs import SpecRegistry, StepInfo

__all__ = [
    "SERIALIZER_VERSION",
    "ClockNotSet",
    "CompletedTask",
    "EngineError",
    "KnownKeys",
    "Problem",
    "ScriptRefused",
    "SpecRegistry",
    "StepInfo",
    "TaskNotReady",
    "TaskNotResettable",
    "TaskView",
    "WorkflowEngine",
    "WorkflowSpecError",
]
