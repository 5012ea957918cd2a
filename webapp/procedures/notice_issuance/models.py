"""Distribution records of issued notices (印发登记: date, copies, recipients)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.document import Document
from webapp.models.types import AwareDateTime
from webapp.models.users import User


class NoticeDistribution(db.Model):
    """How an issued document was printed and sent: one row per document, recorded by the clerk."""

    __tablename__ = "notice_distribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    printed_on: Mapped[date] = mapped_column()  # 印发日期
    copies: Mapped[int] = mapped_column()  # 份数
    recipients: Mapped[str] = mapped_column(Text, default="")  # 分送单位，顿号分隔
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime())

    document: Mapped[Document] = relationship()
    recorded_by: Mapped[User | None] = relationship()
