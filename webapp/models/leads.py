"""Hazard leads (隐患线索): a hazard someone reported outside an inspection (e.g. on a patrol) and did not
see fixed on the spot. The next inspection of the unit takes it up: it confirms it as a hazard of that
inspection or finds it gone. Shared, so the reporting and the inspecting procedures need not know each other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode, Unit
from webapp.models.types import AwareDateTime

LEAD_STATES = {"open": "待检查核实", "confirmed": "检查已核实", "not_found": "检查未发现"}


class HazardLead(db.Model):
    __tablename__ = "hazard_lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # Chinese label of what reported it: "巡查"
    source_id: Mapped[int] = mapped_column()  # the reporting record in that procedure's own tables
    category: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list] = mapped_column(JSON, default=list)  # upload references, as in task data
    reported_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reporter_name: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    taken_up_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The case (an inspection) that took the lead up.
    taken_up_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id", ondelete="SET NULL"), index=True)

    unit: Mapped[Unit] = relationship()
    grid: Mapped[GridNode] = relationship()

    @property
    def status_label(self) -> str:
        return LEAD_STATES.get(self.status, self.status)
