"""收文 (incoming documents): one received document per case, and its 传阅 readers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.document import Document
from webapp.models.grid import GridNode
from webapp.models.types import AwareDateTime
from webapp.models.users import User
from webapp.models.workflow import ProcessInstance

SECRECY_LEVELS = ("无", "内部", "秘密")  # a township server holds nothing above 秘密 (and that only on paper)
URGENCY_LEVELS = ("普通", "加急", "特急")


class IncomingDocument(db.Model):
    """A received document (收文), registered by the clerk and carried through 拟办, 批办, 承办 and 办结;
    each step's person, opinion and date are kept here for the 收文处理单."""

    __tablename__ = "incoming_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), index=True)  # 收文编号, from the town's series
    sender: Mapped[str] = mapped_column(String(100))  # 来文机关
    sender_number: Mapped[str] = mapped_column(String(60), default="")  # 来文字号
    title: Mapped[str] = mapped_column(String(200))
    secrecy: Mapped[str] = mapped_column(String(10), default="无")  # 密级
    urgency: Mapped[str] = mapped_column(String(10), default="普通")  # 紧急程度
    received_on: Mapped[date] = mapped_column(Date, index=True)  # 收文日期
    file: Mapped[dict] = mapped_column(JSON)  # the received file (uploads.store_upload reference)
    registered_by_name: Mapped[str] = mapped_column(String(50), default="")
    registered_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # 拟办, 批办, 承办, 办结: who, what and when
    proposal: Mapped[str] = mapped_column(Text, default="")
    proposed_by_name: Mapped[str] = mapped_column(String(50), default="")
    proposed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    instruction: Mapped[str] = mapped_column(Text, default="")
    assigned_by_name: Mapped[str] = mapped_column(String(50), default="")
    assigned_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    handling: Mapped[str] = mapped_column(Text, default="")
    handled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    closing_note: Mapped[str] = mapped_column(Text, default="")
    closed_by_name: Mapped[str] = mapped_column(String(50), default="")
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))  # the 收文处理单

    instance: Mapped[ProcessInstance] = relationship()
    town: Mapped[GridNode] = relationship()
    handler: Mapped[User | None] = relationship()
    sheet: Mapped[Document | None] = relationship()
    readings: Mapped[list[IncomingReading]] = relationship(
        back_populates="incoming", cascade="all, delete-orphan", order_by="IncomingReading.position")

    @property
    def unread(self) -> list[IncomingReading]:
        return [reading for reading in self.readings if reading.read_at is None]


class IncomingReading(db.Model):
    """One 传阅 reader of a received document: 已阅 when read_at is set, with an optional remark."""

    __tablename__ = "incoming_reading"
    __table_args__ = (UniqueConstraint("incoming_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incoming_id: Mapped[int] = mapped_column(ForeignKey("incoming_document.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    reader_name: Mapped[str] = mapped_column(String(50), default="")
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    remark: Mapped[str] = mapped_column(Text, default="")

    incoming: Mapped[IncomingDocument] = relationship(back_populates="readings")
    user: Mapped[User] = relationship()
