"""Process instances (the SpiffWorkflow JSON), the READY-task projection, and case history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode, Unit
from webapp.models.types import AwareDateTime
from webapp.models.users import User

INSTANCE_STATUSES = {"running": "办理中", "completed": "已办结", "cancelled": "已取消"}
# Case events that note something about an open step without moving the case (催办, a 催办 refused within
# its interval, a 督办单 issued): 撤回, the inbox's "who acted last" and a finished task's page look past them.
SIDE_ACTIONS = ("remind", "remind_refused", "supervise")
# How a case event's action reads on the case page and in the archive's metadata.
CASE_ACTION_LABELS = {
    "start": "发起", "complete": "办理", "send_back": "退回", "withdraw": "撤回", "reassign": "转办", "timer": "到期",
    "remind": "催办", "remind_refused": "催办未发送", "supervise": "督办",
}


class ProcessInstance(db.Model):
    """One case (案件/流程): a run of a procedure's BPMN, stored as serializer JSON."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(String(50), index=True)  # == BPMN process id
    title: Mapped[str] = mapped_column(String(300))
    spec_hash: Mapped[str] = mapped_column(String(64))
    serializer_version: Mapped[str] = mapped_column(String(50))
    # Deferred: lists and inboxes never need the (large) workflow JSON.
    state_json: Mapped[str] = mapped_column(Text, deferred=True)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(AwareDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # When the timer poller must next look at this case; NULL when no timer waits.
    next_timer_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    # Optimistic concurrency: every save is UPDATE … WHERE version = <the version read>.
    version: Mapped[int] = mapped_column(default=1)

    grid: Mapped[GridNode] = relationship()
    unit: Mapped[Unit | None] = relationship()
    started_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return INSTANCE_STATUSES[self.status]


class WorkTask(db.Model):
    """A READY user task, mirrored after every engine step so an inbox is one indexed query."""

    __tablename__ = "work_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36))
    step_key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Copy of the case's grid path: the inbox filters by scope without a join.
    scope_path: Mapped[str] = mapped_column(String(255))
    # The town that scope lies in (None above a town): the county overview counts a town's overdue steps by
    # this integer, where grouping the county's scope paths under their towns cost three times as much.
    town_id: Mapped[int | None] = mapped_column(ForeignKey("grid_node.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # A step that only waits (Procedure.waiting_steps): kept for its form and timer, left out of inboxes.
    waiting: Mapped[bool] = mapped_column(default=False)
    # What the task is about, for inbox rows: the unit, the village, or the evaluated body.
    subject: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    instance: Mapped[ProcessInstance] = relationship()
    assignee: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("instance_id", "engine_task_id", name="uq_work_task_instance_engine_task"),
        Index("ix_work_task_role_scope", "role", "scope_path"),
        # The inbox walks this index in due order and stops after one page.
        Index("ix_work_task_role_due", "role", "due_at"),
        # The county overview's 逾期未办 counts each town's steps past their deadline from this index alone: as
        # many entries as overdue steps, read town by town in order, where it read every open step of the county.
        Index("ix_work_task_overdue", "town_id", "due_at",
              postgresql_where=text("waiting IS false"), sqlite_where=text("waiting IS 0")),
        # A finished task's row is deleted; its id must never name another task (a bookmarked or
        # Back-button URL would open someone else's step). PostgreSQL sequences never reuse ids.
        {"sqlite_autoincrement": True},
    )

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


class CaseEvent(db.Model):
    """History of a case: every step, who, when, decision, opinion — the archive's audit trail."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(50), default="")  # "系统" for timers
    action: Mapped[str] = mapped_column(String(20))
    step_key: Mapped[str] = mapped_column(String(100), default="")
    step_title: Mapped[str] = mapped_column(String(200), default="")
    decision: Mapped[str] = mapped_column(String(20), default="")
    opinion: Mapped[str] = mapped_column(Text, default="")
    # The SpiffWorkflow task a "complete" event finished: what 撤回 resets to.
    engine_task_id: Mapped[str] = mapped_column(String(36), default="")
    # The work_task row a user's 办理/退回 finished: a later visit to that task's URL finds this event.
    work_task_id: Mapped[int | None] = mapped_column(index=True)
    document_ids: Mapped[list] = mapped_column(JSON, default=list)

    user: Mapped[User | None] = relationship()
    instance: Mapped[ProcessInstance] = relationship()


class CaseLink(db.Model):
    """A case started from another (承办 of a 收文 → 由此发起的发文、会议 …): the new case shows its basis
    (依据来文), the source lists what it started."""

    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("target_id"),)  # a case has one basis

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    basis: Mapped[str] = mapped_column(String(400))  # as the new case shows it: 来文机关《标题》（来文字号）
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    source: Mapped[ProcessInstance] = relationship(foreign_keys=[source_id])
    target: Mapped[ProcessInstance] = relationship(foreign_keys=[target_id])


class CalendarDay(db.Model):
    """An admin's entry for a year the holiday package does not know: holiday or make-up workday."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(String(100), default="")
