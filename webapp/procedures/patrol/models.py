"""Patrols (巡查): one grid worker's quick visit of a unit, with the hazards seen, if any."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode, Unit
from webapp.models.types import AwareDateTime
from webapp.models.workflow import ProcessInstance

# The short list a worker picks from on the phone; 其他 takes the sentence as the whole story.
CATEGORIES = ("疏散通道堵塞", "安全出口锁闭", "电气线路私拉乱接", "电动自行车违规停放充电", "消防设施损坏缺失",
              "易燃可燃物堆放", "“三合一”住人", "其他")
LEAD_SOURCE = "巡查"  # HazardLead.source of what a patrol reports


class Patrol(db.Model):
    """One patrol of a unit, i.e. one (at once finished) case of the `patrol` procedure."""

    __tablename__ = "patrol"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # indexed with the time: below
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    patrolled_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    patroller_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    patroller_name: Mapped[str] = mapped_column(String(50), default="")
    # the 专项行动 the patrol was made for, if any
    special_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("special_campaign.id", ondelete="SET NULL"), index=True)
    # Check-in (签到位置): where the browser said the phone was (WGS-84), empty when it could not or was
    # not allowed to; its distance in metres from the unit's registered point, and whether that is too far.
    checkin_latitude: Mapped[float | None] = mapped_column(Float)
    checkin_longitude: Mapped[float | None] = mapped_column(Float)
    checkin_accuracy: Mapped[float | None] = mapped_column(Float)
    checkin_distance: Mapped[float | None] = mapped_column(Float)
    checkin_far: Mapped[bool] = mapped_column(default=False)

    instance: Mapped[ProcessInstance] = relationship()
    unit: Mapped[Unit] = relationship()
    grid: Mapped[GridNode] = relationship()
    hazards: Mapped[list[PatrolHazard]] = relationship(
        back_populates="patrol", cascade="all, delete-orphan", order_by="PatrolHazard.position")

    # A grid's patrols of a period (the dashboards): the town's rows only, not the county's month.
    # The second: a month's patrolled units from the index alone. The third: the coverage totals' recount
    # (migration 0046cover) probes a unit's patrols of a month (it serves look-ups by unit alone too).
    __table_args__ = (Index("ix_patrol_grid_patrolled_at", "grid_id", "patrolled_at"),
                      Index("ix_patrol_patrolled_at_unit", "patrolled_at", "unit_id"),
                      Index("ix_patrol_unit_patrolled_at", "unit_id", "patrolled_at"))

    @property
    def no_problem(self) -> bool:
        return not self.hazards


class PatrolHazard(db.Model):
    """A hazard seen on a patrol; one not fixed on the spot is also a lead (HazardLead) for the inspection."""

    __tablename__ = "patrol_hazard"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    category: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list] = mapped_column(JSON, default=list)
    fixed_on_spot: Mapped[bool] = mapped_column(default=False)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_lead.id", ondelete="SET NULL"))

    patrol: Mapped[Patrol] = relationship(back_populates="hazards")


__all__ = ["CATEGORIES", "Patrol", "PatrolHazard"]
