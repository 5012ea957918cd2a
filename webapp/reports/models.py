"""An Excel layout an admin configures (统计表样式): the county's own 统计表, each column mapped to a measure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode
from webapp.models.types import AwareDateTime


class ReportLayout(db.Model):
    __tablename__ = "report_layout"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)  # the admin's node (town or county)
    name: Mapped[str] = mapped_column(String(100))  # e.g. 消防安全网格化管理工作月报表
    first_heading: Mapped[str] = mapped_column(String(50), default="单位")  # the grid column's heading
    columns: Mapped[list] = mapped_column(JSON, default=list)  # [[heading, measure key], …] in order
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    grid: Mapped[GridNode] = relationship()

    __table_args__ = (UniqueConstraint("grid_id", "name", name="uq_report_layout_grid_name"),)
