"""What approval steps share: saved opinions (常用意见) and each town's separation-of-duties switches."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class OpinionPhrase(db.Model):
    """One saved opinion: a town's public phrase (town_id set, kept by the admin) or a user's own (user_id set).
    A town without public rows offers the product's default phrases (services/opinions.py)."""

    __tablename__ = "opinion_phrase"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("grid_node.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        Index("ix_opinion_phrase_town", "town_id"),
        Index("ix_opinion_phrase_user", "user_id"),
    )


class DutySeparation(db.Model):
    """A town's choice for one step a procedure separates from its drafting (e.g. 发文 签发); without a row the
    procedure's product default applies."""

    __tablename__ = "duty_separation"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id", ondelete="CASCADE"), primary_key=True)
    procedure: Mapped[str] = mapped_column(String(50), primary_key=True)
    step_key: Mapped[str] = mapped_column(String(50), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
