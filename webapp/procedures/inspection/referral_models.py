"""Referrals (移交) to any receiving department (接收部门): one letter for one or several hazards or leads,
to one or several departments (联合处置), each department's acceptance and handling result (处理情况反馈);
the logins of receiving departments; what villages report up to the town; what a unit sends through its link."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models import Document, GridNode, HazardLead, Unit, User
from webapp.models.types import AwareDateTime
from webapp.procedures.inspection.models import Hazard, Inspection, ReferralReceiver

ADDRESSEE_STATES = {"sent": "待接收", "accepted": "已接收", "answered": "已反馈"}
REPORT_STATES = {"queued": "待移交", "referred": "已移交"}
SUBMISSION_KINDS = {"photos": "整改照片", "reinspection": "申请复查", "extension": "申请延期", "note": "情况说明"}


class Referral(db.Model):
    """One referral letter (移交函) of a town: its items and its addressees."""

    __tablename__ = "inspection_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    # Set when a case's own 签发移交函 step made the letter (one unit); empty for a bundle.
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    feedback_days: Mapped[int] = mapped_column(default=15)
    referred_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    town: Mapped[GridNode] = relationship()
    document: Mapped[Document | None] = relationship()
    items: Mapped[list[ReferralItem]] = relationship(back_populates="referral", cascade="all, delete-orphan",
                                                     order_by="ReferralItem.id")
    addressees: Mapped[list[ReferralAddressee]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="ReferralAddressee.id")


class ReferralItem(db.Model):
    """A hazard of an inspection, or a lead a village reported, that the letter refers."""

    __tablename__ = "inspection_referral_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("inspection_referral.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_hazard.id", ondelete="SET NULL"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_lead.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200), default="")

    referral: Mapped[Referral] = relationship(back_populates="items")
    unit: Mapped[Unit] = relationship()


class ReferralAddressee(db.Model):
    """One department a letter went to, with the day its feedback is due and what it reported."""

    __tablename__ = "inspection_referral_addressee"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("inspection_referral.id", ondelete="CASCADE"), index=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("inspection_referral_receiver.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="sent", index=True)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    accepted_by: Mapped[str] = mapped_column(String(50), default="")
    feedback_on: Mapped[date | None] = mapped_column(Date)
    measures: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list] = mapped_column(JSON, default=list)  # upload references
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    referral: Mapped[Referral] = relationship(back_populates="addressees")
    receiver: Mapped[ReferralReceiver] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("referral_id", "receiver_id", name="uq_referral_addressee"),)

    @property
    def status_label(self) -> str:
        return ADDRESSEE_STATES.get(self.status, self.status)


class ReceiverAccount(db.Model):
    """A login of a receiving department (role 接收部门): it sees that department's referrals only."""

    __tablename__ = "inspection_receiver_account"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("inspection_referral_receiver.id", ondelete="CASCADE"),
                                             index=True)

    user: Mapped[User] = relationship()
    receiver: Mapped[ReferralReceiver] = relationship()


class ReportUp(db.Model):
    """村（社区）上报: a village passes a hazard or a patrol lead up to the town's referral queue."""

    __tablename__ = "inspection_report_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"))  # where it was reported from
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_hazard.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_lead.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    reported_at: Mapped[datetime] = mapped_column(AwareDateTime())
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_referral.id", ondelete="SET NULL"))

    grid: Mapped[GridNode] = relationship(foreign_keys=[grid_id])
    unit: Mapped[Unit] = relationship()
    hazard: Mapped[Hazard | None] = relationship()
    lead: Mapped[HazardLead | None] = relationship()
    reported_by: Mapped[User | None] = relationship()

    @property
    def description(self) -> str:
        return self.hazard.description if self.hazard else (self.lead.description if self.lead else "")

    @property
    def location(self) -> str:
        return self.hazard.location if self.hazard else ""


class UnitSubmission(db.Model):
    """What a unit sent through its notice's link (no account): photos, an application for 复查, a note."""

    __tablename__ = "inspection_unit_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(15))
    applicant: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(AwareDateTime())

    inspection: Mapped[Inspection] = relationship()

    @property
    def kind_label(self) -> str:
        return SUBMISSION_KINDS.get(self.kind, self.kind)


__all__ = ["Referral", "ReferralAddressee", "ReferralItem", "ReceiverAccount", "ReportUp", "UnitSubmission"]
