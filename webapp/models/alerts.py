"""In-app alerts (消息提醒), each town's reminder settings (提醒、催办) and the 督办 items (supervision)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import TZ
from webapp.extensions import db
from webapp.models.types import AwareDateTime
from webapp.models.users import User
from webapp.models.workflow import ProcessInstance

# A town without its own ReminderSettings row uses these.
DEFAULT_DUE_SOON_WORKDAYS = 1
DEFAULT_REMINDER_INTERVAL_HOURS = 24
# 督办: a task overdue this many working days is escalated to the leaders over its grid (0: never).
DEFAULT_SUPERVISE_AFTER_WORKDAYS = 2
# 免打扰: e-mail, SMS and group-robot messages of alerts made from 22:00 to 07:00 (Beijing time) wait until
# 07:00; the in-app alert is there at once. Equal hours turn it off.
DEFAULT_QUIET_FROM, DEFAULT_QUIET_UNTIL = 22, 7

# Who a step's 督办 goes to (设置 → 督办对象, per procedure step; "" : no 督办 for that step).
SUPERVISOR_ROLES = {"leader": "分管领导", "office_head": "办公室负责人"}
DEFAULT_SUPERVISOR_ROLE = "leader"

ALERT_KINDS = {
    "new_task": "新待办", "send_back": "退回", "due_soon": "即将到期", "overdue": "已逾期", "reminder": "催办",
    "supervision": "督办", "receipt": "待签收", "photo_damaged": "照片损坏",
}


class Alert(db.Model):
    """One message for one user. The row is the in-app delivery; later channels (e-mail, SMS, webhooks)
    deliver from it, so it never depends on a channel succeeding."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    # What it is about: the case, and the task (no foreign key: a finished task's row is deleted, and its
    # URL then says the step is no longer open).
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    work_task_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Same key, same recipient: one row. A sweep and a second process (or a double-clicked 催办) insert
    # with ON CONFLICT DO NOTHING, so the database, not process memory, keeps notices single.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    # A delivered document's receipt (待签收, its 催办): the notice opens the receipt, not the issuer's case.
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("document_receipt.id", ondelete="CASCADE"))

    recipient: Mapped[User] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()

    __table_args__ = (
        UniqueConstraint("recipient_id", "dedupe_key", name="uq_alert_recipient_dedupe"),
        # The header badge on every page: COUNT(*) WHERE recipient_id = ? AND read_at IS NULL.
        Index("ix_alert_recipient_read", "recipient_id", "read_at"),
        # The list page: newest first per recipient.
        Index("ix_alert_recipient_created", "recipient_id", "created_at"),
    )

    @property
    def kind_label(self) -> str:
        return ALERT_KINDS.get(self.kind, self.kind)


class ReminderSettings(db.Model):
    """A town's timing of 即将到期 notices and of 催办."""

    __tablename__ = "reminder_settings"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    # 即将到期 is announced this many working days before a task's due date.
    due_soon_workdays: Mapped[int] = mapped_column(default=DEFAULT_DUE_SOON_WORKDAYS)
    # A 催办 of the same task waits at least this long after the last one.
    reminder_interval_hours: Mapped[int] = mapped_column(default=DEFAULT_REMINDER_INTERVAL_HOURS)
    # 督办 after this many working days overdue; 0 turns it off for the town.
    supervise_after_workdays: Mapped[int] = mapped_column(default=DEFAULT_SUPERVISE_AFTER_WORKDAYS,
                                                         server_default=str(DEFAULT_SUPERVISE_AFTER_WORKDAYS))
    # 免打扰 from this hour until that one (Beijing time, may wrap past midnight); equal hours: none.
    quiet_from: Mapped[int] = mapped_column(default=DEFAULT_QUIET_FROM, server_default=str(DEFAULT_QUIET_FROM))
    quiet_until: Mapped[int] = mapped_column(default=DEFAULT_QUIET_UNTIL, server_default=str(DEFAULT_QUIET_UNTIL))

    def quiet_end(self, moment: datetime) -> datetime | None:
        """When the 免打扰 hours that `moment` falls in end; None outside them."""
        return quiet_end(moment, self.quiet_from, self.quiet_until)


def quiet_end(moment: datetime, start: int, end: int) -> datetime | None:
    """The end of the quiet hours from `start` to `end` o'clock (Beijing time, wrapping past midnight when
    start > end) that `moment` falls in, or None when it does not (or start == end: no quiet hours)."""
    local = moment.astimezone(TZ)
    inside = start <= local.hour < end if start < end else (local.hour >= start or local.hour < end)
    if start == end or not inside:
        return None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=TZ)



class Supervision(db.Model):
    """督办事项: a step overdue long enough that the leaders over its grid follow it up. Opened by the sweep
    (one per task), issued by a leader as a 督办单 with an opinion and its own deadline (督办期限), closed by the
    sweep once the step is done. The task's title and due time are copied: its projection row goes when done."""

    __tablename__ = "supervision"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the task row is deleted when the step is done, the item stays as the record of it.
    work_task_id: Mapped[int] = mapped_column(unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    scope_path: Mapped[str] = mapped_column(String(255), index=True)  # the task's grid: who may follow it up
    supervisor_role: Mapped[str] = mapped_column(String(20), default=DEFAULT_SUPERVISOR_ROLE)  # and in which role
    step_title: Mapped[str] = mapped_column(String(200))
    task_due_at: Mapped[datetime] = mapped_column(AwareDateTime())
    opened_at: Mapped[datetime] = mapped_column(AwareDateTime())
    opinion: Mapped[str] = mapped_column(Text, default="")  # 督办意见
    deadline: Mapped[date | None] = mapped_column()  # 督办期限: by when the step must be done
    holder_names: Mapped[str] = mapped_column(String(300), default="")  # 承办人, as named on the 督办单
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_by_name: Mapped[str] = mapped_column(String(100), default="")
    issued_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))  # the 督办单
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)

    instance: Mapped[ProcessInstance] = relationship()

    @property
    def state(self) -> str:
        if self.closed_at is not None:
            return "已办结"
        return "已督办" if self.issued_at is not None else "待督办"


class SupervisionRule(db.Model):
    """A town's 督办 of one procedure step: to whom (a role over the grid, or nobody) and after how many
    working days overdue (None: the town's number). Steps without a rule go to the leaders."""

    __tablename__ = "supervision_rule"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    procedure_key: Mapped[str] = mapped_column(String(50), primary_key=True)
    step_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # a key of SUPERVISOR_ROLES, or "" for no 督办
    after_workdays: Mapped[int | None] = mapped_column()
