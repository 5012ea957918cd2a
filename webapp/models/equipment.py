"""器材存放点 (equipment points): where a town keeps fire equipment for its grids, and who keeps it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode


class EquipmentPoint(db.Model):
    """One storage point of a town, placed on a grid node (the town, a village or a small grid)."""

    __tablename__ = "equipment_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    # One line per kind as the keeper writes it ("灭火器 10具", "水带 4盘"): towns count different things,
    # and the printed list shows the lines as they are.
    equipment: Mapped[str] = mapped_column(Text, default="")
    keeper: Mapped[str] = mapped_column(String(50), default="")  # 保管人
    keeper_phone: Mapped[str] = mapped_column(String(30), default="")
    last_checked_on: Mapped[date | None] = mapped_column(Date)

    town: Mapped[GridNode] = relationship(foreign_keys=[town_id])
    grid: Mapped[GridNode] = relationship(foreign_keys=[grid_id])

    __table_args__ = (UniqueConstraint("town_id", "name", name="uq_equipment_point_town_name"),)

    def equipment_lines(self) -> list[str]:
        return [line.strip() for line in (self.equipment or "").splitlines() if line.strip()]
