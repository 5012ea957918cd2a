"""In-app alerts (消息提醒) and each town's reminder settings (提醒、催办)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import AwareDateTime
from webapp.models.users import User
from webapp.models.workflow import ProcessInstance

# A town without its own ReminderSettings row uses these.
DEFAULT_DUE_SOON_WORKDAYS = 1
DEFAULT_REMINDER_INTERVAL_HOURS = 24
# 督办: a task overdue this many working days is escalated to the leaders over its grid (0: never).
DEFAULT_SUPERVISE_AFTER_WORKDAYS = 2

ALERT_KINDS = {
    "new_task": "新待办", "send_back": "退回", "due_soon": "即将到期", "overdue": "已逾期", "reminder": "催办",
    "supervision": "督办", "receipt": "待签收",
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

