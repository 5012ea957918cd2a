"""签收回执 (delivery receipts): an issued document delivered to a grid node whose accounts receive it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.document import Document
from webapp.models.grid import GridNode
from webapp.models.types import AwareDateTime

# A receipt's state, furthest first: what the issuer's table shows.
RECEIPT_STATES = {"replied": "已反馈", "signed": "已签收", "read": "已阅读", "delivered": "已送达"}


class DocumentReceipt(db.Model):
    """One recipient of one issued document: delivered → read (first opened) → signed (签收) → replied
    (落实情况, when the issuer asked for it by a date). The recipient is a village, community or small grid;
    the enabled accounts scoped at that node receive it and any of them may sign for it. A department's
    receipt (`desk` set, e.g. "receiver:5") names the town as its node; the procedure that keeps the
    department says which accounts receive for it (Procedure.receiving_desks)."""

    __tablename__ = "document_receipt"
    __table_args__ = (UniqueConstraint("document_id", "recipient_id", "desk", name="uq_document_receipt_recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(100))  # as it was when delivered
    desk: Mapped[str] = mapped_column(String(60), default="", server_default="")  # a department; "": the node
    delivered_at: Mapped[datetime] = mapped_column(AwareDateTime())
    delivered_by_name: Mapped[str] = mapped_column(String(50), default="")
    reply_due: Mapped[date | None] = mapped_column(Date)  # 落实情况 asked for by this day; None: none asked
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    read_by_name: Mapped[str] = mapped_column(String(50), default="")
    signed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    signed_by_name: Mapped[str] = mapped_column(String(50), default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    reply_file: Mapped[dict | None] = mapped_column(JSON)  # uploads.store_upload reference
    replied_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    replied_by_name: Mapped[str] = mapped_column(String(50), default="")
    # 催办 of the missing 签收/落实情况: the last one (the town's interval counts from it) and how many
    reminded_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    reminders: Mapped[int] = mapped_column(default=0)

    document: Mapped[Document] = relationship()
    recipient: Mapped[GridNode] = relationship()

    @property
    def state(self) -> str:
        if self.replied_at:
            return "replied"
        if self.signed_at:
            return "signed"
        return "read" if self.read_at else "delivered"

    @property
    def state_label(self) -> str:
        return RECEIPT_STATES[self.state]

    @property
    def outstanding(self) -> bool:
        """Still owes the issuer something: the 签收, or the 落实情况 asked for."""
        return self.signed_at is None or (self.reply_due is not None and self.replied_at is None)
