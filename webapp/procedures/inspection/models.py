"""Inspection (检查) and hazard rectification: checklists, monthly plans, inspections, hazards, referral receivers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Connection, Date, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode, Unit
from webapp.models.types import AwareDateTime
from webapp.models.workflow import ProcessInstance

ITEM_RESULTS = {"passed": "合格", "hazard": "存在隐患", "na": "不适用"}
HAZARD_STATUSES = {
    "corrected_on_spot": "当场改正", "open": "整改中", "rectified": "已整改", "referred": "已移交", "closed": "已办结",
    "interview": "待约谈", "escalated": "待移交",
}
PLAN_STATUSES = {"pending": "待审批", "approved": "已批准", "refused": "不予延期"}
RECEIVER_KINDS = {"police": "派出所", "fire": "消防救援机构"}


class ChecklistItem(db.Model):
    """One item of a town's inspection checklist (检查项目; each town's admin keeps their own);
    `categories` empty means every unit category."""

    __tablename__ = "inspection_checklist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    guidance: Mapped[str] = mapped_column(Text, default="")  # 检查要点/标准: what passes, shown to the inspector
    categories: Mapped[list] = mapped_column(JSON, default=list)
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("town_id", "name", name="uq_inspection_checklist_item_town_name"),)

    def applies_to(self, category: str) -> bool:
        return self.is_active and (not self.categories or category in self.categories)


class InspectionPlan(db.Model):
    """A month's inspection day (检查日) for a grid node; each unit in scope goes to a group."""

    __tablename__ = "inspection_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # "2026-09"
    day: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    grid: Mapped[GridNode] = relationship()
    groups: Mapped[list[InspectionGroup]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="InspectionGroup.id")
    assignments: Mapped[list[PlanAssignment]] = relationship(back_populates="plan", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("grid_id", "month", name="uq_inspection_plan_grid_month"),)


class InspectionGroup(db.Model):
    """检查组: at least two inspectors (user ids)."""

    __tablename__ = "inspection_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    member_ids: Mapped[list] = mapped_column(JSON, default=list)

    plan: Mapped[InspectionPlan] = relationship(back_populates="groups")


class PlanAssignment(db.Model):
    __tablename__ = "inspection_plan_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("inspection_group.id", ondelete="CASCADE"))

    plan: Mapped[InspectionPlan] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()
    group: Mapped[InspectionGroup] = relationship()

    __table_args__ = (UniqueConstraint("plan_id", "unit_id", name="uq_inspection_plan_unit"),)


class Inspection(db.Model):
    """One inspection of a unit, i.e. one case of the `inspection` procedure."""

    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # indexed with the time: below
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    inspected_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    inspectors: Mapped[list] = mapped_column(JSON, default=list)  # display names
    major_hazard: Mapped[bool] = mapped_column(default=False)
    record_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_plan.id", ondelete="SET NULL"))
    # the 专项行动 the inspection was made for, if any
    special_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("special_campaign.id", ondelete="SET NULL"), index=True)
    notice_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    reinspection_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    referral_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    notice_number: Mapped[str] = mapped_column(String(60), default="")
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    served_on: Mapped[date | None] = mapped_column(Date)
    served_to: Mapped[str] = mapped_column(String(50), default="")  # 签收人
    reinspected_on: Mapped[date | None] = mapped_column(Date)
    referral_receiver: Mapped[str] = mapped_column(String(100), default="")
    referred_on: Mapped[date | None] = mapped_column(Date)
    feedback_on: Mapped[date | None] = mapped_column(Date)
    feedback_measures: Mapped[str] = mapped_column(Text, default="")  # what the receiver did
    feedback_result: Mapped[str] = mapped_column(Text, default="")
    # Where the browser said the inspector was when the record was made (none without HTTPS or permission),
    # its distance from the unit's registered point, and whether that is beyond the town's limit.
    checkin_latitude: Mapped[float | None] = mapped_column()
    checkin_longitude: Mapped[float | None] = mapped_column()
    checkin_accuracy: Mapped[float | None] = mapped_column()  # metres, as the browser reports it
    checkin_distance: Mapped[float | None] = mapped_column()  # metres
    checkin_far: Mapped[bool] = mapped_column(default=False)

    instance: Mapped[ProcessInstance] = relationship()
    unit: Mapped[Unit] = relationship()
    grid: Mapped[GridNode] = relationship()
    hazards: Mapped[list[Hazard]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="Hazard.position")
    campaign_checks: Mapped[list[CampaignCheck]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="CampaignCheck.id")

    # The dashboards count a grid's inspections (and referrals) of a period: with the grid first, a town's
    # figures read the town's rows only, not every inspection of the county's month.
    # The county overview counts the month's inspections of every town by grid from the month's entries of the
    # third index alone. The coverage totals' recount (migration 0046cover) probes a unit's inspections of a
    # month in the last (it serves look-ups by unit alone too).
    __table_args__ = (Index("ix_inspection_grid_inspected_at", "grid_id", "inspected_at"),
                      Index("ix_inspection_grid_referred_on", "grid_id", "referred_on"),
                      Index("ix_inspection_inspected_at_grid_unit", "inspected_at", "grid_id", "unit_id"),
                      Index("ix_inspection_unit_inspected_at", "unit_id", "inspected_at"))


class MonthTotal(db.Model):
    """A grid's inspections of one month (Beijing time) as the reports count them: 检查单位, 出动检查人员, and the
    hazards they found, those rectified so far and those not yet corrected. Kept by the database itself
    (triggers of migration 0045totals recount a grid's month whenever one of its inspections or hazards
    changes), so a county's month is read from ~500 rows instead of its 40,000 inspections and their hazards;
    every total equals a direct count."""

    __tablename__ = "inspection_month_total"

    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-09"
    inspections: Mapped[int] = mapped_column(server_default="0")
    inspectors: Mapped[int] = mapped_column(server_default="0")
    hazards_found: Mapped[int] = mapped_column(server_default="0")
    hazards_rectified: Mapped[int] = mapped_column(server_default="0")
    # of those hazards, the ones not yet corrected now (整改中, 待约谈, 待移交, 已移交): the county overview's
    # 未整改隐患, summed over the keys that still have any (the partial index), however many months pass
    hazards_open: Mapped[int] = mapped_column(server_default="0")

    __table_args__ = (Index("ix_inspection_month_total_open", "grid_id", "hazards_open",
                            postgresql_where=text("hazards_open > 0"), sqlite_where=text("hazards_open > 0")),)


class CampaignCheck(db.Model):
    """How an inspection tagged to a 专项行动 found one of the campaign's own checklist items; a failed one
    points at the hazard it became. The item is kept by name, as the campaign listed it that day, so the
    campaign's per-item figures survive a later change of its list."""

    __tablename__ = "inspection_campaign_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    item_name: Mapped[str] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(10))  # a key of ITEM_RESULTS
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_hazard.id", ondelete="SET NULL"))

    inspection: Mapped[Inspection] = relationship(back_populates="campaign_checks")
    hazard: Mapped[Hazard | None] = relationship()


class Hazard(db.Model):
    """A hazard (火灾隐患) found in an inspection: a row of the hazard ledger (台账)."""

    __tablename__ = "inspection_hazard"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    item_name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200), default="")
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    photos: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    rectified_on: Mapped[date | None] = mapped_column(Date)
    # 整改期限 as the notice orders it (kept on the record whatever follows), and the date the hazard is
    # due now: the same, or later after an approved extension (延期) or a 约谈.
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    interviewed_on: Mapped[date | None] = mapped_column(Date)  # 约谈: a later failure is referred
    # The inspection's grid (which never changes), copied when the hazard is made (`_grid_of_inspection`): the
    # county overview counts each town's uncorrected hazards from the (status, grid) index alone, instead of
    # joining every inspection of the county to the few that have such hazards.
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"))

    inspection: Mapped[Inspection] = relationship(back_populates="hazards")

    __table_args__ = (Index("ix_inspection_hazard_status_grid", "status", "grid_id"),)

    @property
    def status_label(self) -> str:
        return HAZARD_STATUSES.get(self.status, self.status)


@event.listens_for(Hazard, "before_insert")
def _grid_of_inspection(_mapper: Mapper, _connection: Connection, hazard: Hazard) -> None:
    hazard.grid_id = hazard.inspection.grid_id


class RectificationPlan(db.Model):
    """整改计划 / 延期申请: the unit asks for later dates for some hazards; a leader approves or refuses.
    `items` are {"hazard_id", "due_on" (ISO), "previous_due" (ISO)}."""

    __tablename__ = "inspection_rectification_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    applied_on: Mapped[date] = mapped_column(Date)
    applicant: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text, default="")  # why the unit needs time (funds, works …)
    measures: Mapped[str] = mapped_column(Text)  # the plan: what will be done, by whom, when
    interim_measures: Mapped[str] = mapped_column(Text, default="")  # 整改期间的安全防范措施
    items: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str] = mapped_column(String(50), default="")
    decided_on: Mapped[date | None] = mapped_column(Date)
    opinion: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))

    inspection: Mapped[Inspection] = relationship()

    @property
    def status_label(self) -> str:
        return PLAN_STATUSES.get(self.status, self.status)


class Interview(db.Model):
    """约谈: the unit's responsible person is called in about hazards still open after their due date.
    `items` are {"hazard_id", "due_on" (ISO, the new deadline once recorded)}."""

    __tablename__ = "inspection_interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    scheduled_at: Mapped[datetime] = mapped_column(AwareDateTime())
    place: Mapped[str] = mapped_column(String(100))
    interviewee: Mapped[str] = mapped_column(String(50))  # the unit's responsible person (or who came instead)
    interviewers: Mapped[str] = mapped_column(String(200))
    items: Mapped[list] = mapped_column(JSON, default=list)
    held_on: Mapped[date | None] = mapped_column(Date)
    attendees: Mapped[str] = mapped_column(String(200), default="")  # who came for the unit
    content: Mapped[str] = mapped_column(Text, default="")  # what was said: the hazards, the law, the reasons
    commitment: Mapped[str] = mapped_column(Text, default="")  # what the unit promised
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))

    inspection: Mapped[Inspection] = relationship()


class ReferralReceiver(db.Model):
    """Where a grid refers hazards (派出所 / 消防救援机构), and how long their feedback may take."""

    __tablename__ = "inspection_referral_receiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    feedback_days: Mapped[int] = mapped_column(default=15)

    grid: Mapped[GridNode] = relationship()

    __table_args__ = (UniqueConstraint("grid_id", "kind", name="uq_referral_receiver_grid_kind"),)


__all__ = ["CampaignCheck", "ChecklistItem", "Hazard", "Inspection", "InspectionGroup", "InspectionPlan", "Interview",
           "MonthTotal", "PlanAssignment", "RectificationPlan", "ReferralReceiver"]
