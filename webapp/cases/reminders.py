"""催办: a nudge to whoever holds an open step, at most once per interval (each town's setting).

Who may 催办: the case's starter (they wait for the result), and a leader, office head or clerk whose
scope covers the case (they run the office's business and answer for its deadlines). An inspector or a
village account that merely sees the case does not nudge colleagues, and nobody nudges themselves.

Every attempt is on the case's history and in the audit log, a refused one too. Two simultaneous
attempts give one notice: the task row is locked (PostgreSQL), and the notice's dedupe key names the
previous 催办 the attempt saw, so on any backend a second insert with the same key is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import alerts
from webapp.clock import TZ
from webapp.models import CaseEvent, ProcessInstance, User, WorkTask
from webapp.services import audit
from webapp.services.errors import InvalidInput, OutOfScope, TaskConflict
from webapp.services.grid import town_of
from webapp.services.settings import reminder_settings

REMINDED, REFUSED = "remind", "remind_refused"  # case-event actions (models.workflow.SIDE_ACTIONS)
REMINDING_ROLES = ("leader", "office_head", "clerk")
REASON_LIMIT = 500


@dataclass(frozen=True)
class ReminderOutcome:
    sent: bool
    message: str


def may_remind(user: User, instance: ProcessInstance) -> bool:
    if instance.status != "running" or not user.scope.contains(instance.grid):
        return False
    return instance.started_by_id == user.id or user.has_role(*REMINDING_ROLES)


def _last_reminder(session: Session, task: WorkTask) -> CaseEvent | None:
    return session.scalar(select(CaseEvent).where(CaseEvent.work_task_id == task.id, CaseEvent.action == REMINDED)
                          .order_by(CaseEvent.id.desc()).limit(1))


def _open_task(session: Session, user: User, work_task_id: int) -> WorkTask:
    # FOR UPDATE: a second 催办 of this task waits here, then sees the first one's event.
    task = session.scalar(select(WorkTask).where(WorkTask.id == work_task_id).with_for_update()
                          .execution_options(populate_existing=True))
    if task is None:
        raise TaskConflict("该步骤已办理完毕，无需催办。")
    if not may_remind(user, task.instance):
        raise OutOfScope("只有案件发起人，或管辖该案件的领导、办公室负责人、文书可以催办。")
    if task.waiting:
        raise InvalidInput("该步骤正在等待期限届满，无需催办。")
    if task.assignee_id == user.id:
        raise InvalidInput("这是您自己的待办，无需催办。")
    return task


def remind(session: Session, *, user: User, work_task_id: int, reason: str, now: datetime) -> ReminderOutcome:
    """Send the holder(s) a 催办 notice, or refuse within the interval; both are recorded. Flushes only."""
    reason = reason.strip()[:REASON_LIMIT]
    task = _open_task(session, user, work_task_id)
    interval = timedelta(hours=reminder_settings(session, town_of(task.instance.grid)).reminder_interval_hours)
    last = _last_reminder(session, task)
    if last is not None and now < last.at + interval:
        return _refuse(session, user, task, now, reason, last.at, last.at + interval)
    body = f"{user.display_name}催办" + (f"：{reason}" if reason else "。")
    notice = alerts.Notice("reminder", f"reminder:{last.id if last else 0}:", body)
    made = alerts.announce(session, notice, WorkTask.id == task.id, now, exclude_user_id=user.id)
    if not made:
        if session.scalar(select(alerts.holders(WorkTask.id == task.id).subquery().c.user_id).limit(1)):
            return _refuse(session, user, task, now, reason, now, now + interval)  # a simultaneous 催办 won
        raise InvalidInput("该步骤目前没有可接收催办的办理人。")
    _record(session, user, task, now, REMINDED, reason)
    audit.record(session, at=now, user=user, action="task_remind", object_type="case", object_id=task.instance_id,
                 summary=f"{task.title}（{task.instance.title}）{reason}")
    return ReminderOutcome(True, f"已催办“{task.title}”，办理人会在消息提醒中看到。")


def _refuse(session: Session, user: User, task: WorkTask, now: datetime, reason: str, last_at: datetime,
            next_at: datetime) -> ReminderOutcome:
    message = (f"该事项已于{last_at.astimezone(TZ):%Y年%m月%d日 %H:%M}催办，"
               f"{next_at.astimezone(TZ):%Y年%m月%d日 %H:%M}后可再次催办。")
    _record(session, user, task, now, REFUSED, f"{message}{'（' + reason + '）' if reason else ''}")
    audit.record(session, at=now, user=user, action="task_remind_refused", object_type="case",
                 object_id=task.instance_id, summary=f"{task.title}（{task.instance.title}）{message}")
    return ReminderOutcome(False, message)


def _record(session: Session, user: User, task: WorkTask, now: datetime, action: str, opinion: str) -> None:
    session.add(CaseEvent(instance_id=task.instance_id, at=now, user=user, actor_name=user.display_name,
                          action=action, step_key=task.step_key, step_title=task.title, opinion=opinion,
                          work_task_id=task.id, document_ids=[]))
    session.flush()
