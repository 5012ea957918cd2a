"""What the case services need besides a session: parsed specs, the engine, the document services.

Built once at start-up by create_app and passed to services as a plain argument.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry as procedures
from webapp.engine import KnownKeys, Problem, SpecRegistry, TaskView, WorkflowEngine
from webapp.models import CalendarDay, ProcessInstance
from webapp.models.users import ROLES
from webapp.workdays import CALENDAR_KEY, WorkdayCalendar

if TYPE_CHECKING:
    from webapp.services.documents import DocumentServices


# Case states whose progress (the case page's diagram) or open tasks (the task form) are kept in memory.
STATES_KEPT = 2048
T = TypeVar("T")


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
    _kept: dict[tuple[str, int, int, int], Any] = field(default_factory=dict, repr=False)
    _kept_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
        """The case's progress for the case page's diagram (worked out once per saved state)."""
        def work_out(state: str) -> Progress:
            engine = self.engine(session)
            workflow = engine.deserialize(state)
            taken, current = frozenset(engine.path_taken(workflow)), frozenset(engine.current_element_ids(workflow))
            return Progress(taken - current, current, taken)

        return self._per_state(instance, "progress", work_out)

    def ready_task(self, session: Session, instance: ProcessInstance, *, task_id: str | None = None,
                   step_key: str | None = None) -> TaskView | None:
        """The case's open user task with that engine task id (or of that step); None if there is none. The
        open tasks are worked out once per saved state (a task form seen again does not deserialize); the
        caller gets its own copy of the task's data."""
        def open_tasks(state: str) -> tuple[TaskView, ...]:
            engine = self.engine(session)
            return tuple(engine.ready_user_tasks(engine.deserialize(state)))

        views = self._per_state(instance, "ready", open_tasks)
        view = next((v for v in views if task_id in (None, v.task_id) and step_key in (None, v.step_key)), None)
        return replace(view, data=copy.deepcopy(view.data)) if view else None

    def _per_state(self, instance: ProcessInstance, kind: str, work_out: Callable[[str], T]) -> T:
        """What `work_out` makes of the case's saved state, kept: keyed by the case, its version and its state's
        hash, a kept answer cannot be stale (an unsaved change of the state changes the hash)."""
        state = instance.state_json
        key = (kind, instance.id, instance.version, hash(state))
        found = self._kept.get(key)
        if found is None:
            found = work_out(state)
            with self._kept_lock:
                self._kept[key] = found
                while len(self._kept) > STATES_KEPT:
                    del self._kept[next(iter(self._kept))]  # the oldest first (insertion order)
        return found
