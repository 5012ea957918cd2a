"""Fire due BPMN timers: `firegrid tick`, and the loop inside `firegrid serve`.

Safe with several app processes: each case is taken with FOR UPDATE SKIP LOCKED on PostgreSQL,
and on every backend the optimistic version check makes a second firing a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import actions as cases
from webapp.cases.runtime import CaseRuntime
from webapp.models import ProcessInstance
from webapp.services.errors import TaskConflict

log = logging.getLogger(__name__)


def due_case_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    stmt = (select(ProcessInstance.id)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now)
            .order_by(ProcessInstance.next_timer_at).limit(limit))
    return list(session.scalars(stmt))


def fire_case_timers(session: Session, runtime: CaseRuntime, case_id: int, now: datetime) -> bool:
    """Advance one case past its due timers; False when another process holds or already did it."""
    stmt = select(ProcessInstance).where(
        ProcessInstance.id == case_id, ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now)
    # populate_existing: a case already in this session's identity map must be re-read, not reused.
    instance = session.scalar(stmt.with_for_update(skip_locked=True).execution_options(populate_existing=True))
    if instance is None:
        return False
    engine = runtime.engine(session)
    workflow = engine.deserialize(instance.state_json)
    before = {view.task_id for view in engine.ready_user_tasks(workflow)}
    engine.advance(workflow, now)
    new_steps = [view.title for view in engine.ready_user_tasks(workflow) if view.task_id not in before]
    cases.record_timer_event(session, instance, now, new_steps)
    cases.save_workflow(session, runtime, engine, instance, workflow, now)
    return True


def fire_due_timers(session: Session, runtime: CaseRuntime, now: datetime) -> int:
    """A batch job, so it commits per case: one broken case must not hold back the others."""
    fired = 0
    for case_id in due_case_ids(session, now):
        try:
            fired += fire_case_timers(session, runtime, case_id, now)
            session.commit()
        except TaskConflict:
            session.rollback()  # a user or another process changed the case first; next sweep retries
        except Exception:  # log and continue: a timer loop must survive one bad case
            session.rollback()
            log.exception("timer firing failed for case %s", case_id)
    return fired
