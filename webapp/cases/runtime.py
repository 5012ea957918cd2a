"""What the case services need besides a session: parsed specs, the engine, the document services.

Built once at start-up by create_app and passed to services as a plain argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry as procedures
from webapp.engine import KnownKeys, Problem, SpecRegistry, WorkflowEngine
from webapp.models import CalendarDay
from webapp.models.users import ROLES
from webapp.workdays import WorkdayCalendar


@dataclass
class WorkflowRuntime:
    specs: SpecRegistry
    # Document services (renderer, store, numbering, PDF) are attached by create_app.
    documents: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def calendar(self, session: Session) -> WorkdayCalendar:
        """The holiday calendar plus the days an admin entered for years the package lacks."""
        rows = session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
        extra: dict[date, bool] = {day: is_workday for day, is_workday in rows}
        return WorkdayCalendar(extra)

    def problems(self, form_keys: frozenset[str]) -> list[Problem]:
        """BPMN may reference only registered forms, library templates and roles."""
        known = KnownKeys(forms=form_keys, templates=frozenset(self.documents.library.keys()), roles=frozenset(ROLES))
        return procedures.cross_check(self.specs, known)

    def engine(self, session: Session) -> WorkflowEngine:
        return WorkflowEngine(self.specs, procedures.script_functions(), self.calendar(session))
