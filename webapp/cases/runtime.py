"""What the case services need besides a session: parsed specs, the engine, the document services.

Built once at start-up by create_app and passed to services as a plain argument.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry as procedures
from webapp.engine import KnownKeys, Problem, SpecRegistry, TaskView, WorkflowEngine
from webapp.models import CalendarDay, ProcessInstance
from webapp.models.users import ROLES
from webapp.workdays import CALENDAR_KEY, WorkdayCalendar

if TYPE_CHECKING:
    from webapp.services.documents import DocumentServices


PROGRESS_KEPT = 1024  # cases whose progress (the case page's diagram) is kept in memory


@dataclass(frozen=True)
class Progress:
    """Where a case has been and stands: BPMN element ids for the case page's diagram."""

    done: frozenset[str]
    current: frozenset[str]
    taken: frozenset[str]


@dataclass
class CaseRuntime:
    specs: SpecRegistry
    # Document services (renderer, store, numbering, PDF) are attached by create_app.
    documents: DocumentServices = None  # type: ignore[assignment]
    extras: dict[str, Any] = field(default_factory=dict)
    # The app's settings (the live config mapping), for what a step prints that only configuration knows:
    # the public address and the key that signs a unit's link on its notice.
    settings: Mapping[str, Any] = field(default_factory=dict)
    _progress: dict[tuple[int, int, int], Progress] = field(default_factory=dict, repr=False)
    _progress_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def calendar(self, session: Session) -> WorkdayCalendar:
        """The holiday calendar plus the days an admin entered for years the package lacks; read once per
        transaction (a step asks for it many times), again in the next (another process may have changed it)."""
        cached = session.info.get(CALENDAR_KEY)
        if cached is None:
            rows = session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
            extra: dict[date, bool] = {day: is_workday for day, is_workday in rows}
            cached = session.info[CALENDAR_KEY] = WorkdayCalendar(extra)
        return cached

    def problems(self, form_keys: frozenset[str]) -> list[Problem]:
        """BPMN may reference only registered forms, library templates and roles."""
        known = KnownKeys(forms=form_keys, templates=frozenset(self.documents.library.keys()), roles=frozenset(ROLES))
        return procedures.cross_check(self.specs, known)

    def engine(self, session: Session) -> WorkflowEngine:
        return WorkflowEngine(self.specs, procedures.script_functions(), self.calendar(session))

    def progress(self, session: Session, instance: ProcessInstance) -> Progress:
        """The case's progress, worked out once per saved state: keyed by the case, its version and its
        state's hash, a kept answer cannot be stale, and a case page seen again does not deserialize."""
        state = instance.state_json
        key = (instance.id, instance.version, hash(state))
        found = self._progress.get(key)
        if found is None:
            engine = self.engine(session)
            workflow = engine.deserialize(state)
            taken, current = frozenset(engine.path_taken(workflow)), frozenset(engine.current_element_ids(workflow))
            found = Progress(taken - current, current, taken)
            with self._progress_lock:
                self._progress[key] = found
                while len(self._progress) > PROGRESS_KEPT:
                    del self._progress[next(iter(self._progress))]  # the oldest first (insertion order)
        return found

    def ready_task(self, session: Session, instance: ProcessInstance, *, task_id: str | None = None,
                   step_key: str | None = None) -> TaskView | None:
        """The case's open user task with that engine task id (or of that step); None if there is none."""
        engine = self.engine(session)
        views = engine.ready_user_tasks(engine.deserialize(instance.state_json))
        return next((v for v in views if task_id in (None, v.task_id) and step_key in (None, v.step_key)), None)
