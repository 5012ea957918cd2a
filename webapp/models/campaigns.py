"""专项行动 (special campaigns): a town's inspection drive with its own period, targets and checklist.

Named `special_campaign` because a responsibility-letter "campaign" is a signing batch. Inspections and
patrols carry a nullable `special_campaign_id` of their own; the campaign knows no procedure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import UNIT_CATEGORIES, GridNode, Unit
from webapp.models.types import AwareDateTime


@dataclass(frozen=True)
class CampaignItem:
    """One of a campaign's own checklist items (专项检查内容) and the basis a failure of it cites."""

    name: str
    legal_basis: str = ""


class SpecialCampaign(db.Model):
    __tablename__ = "special_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    categories: Mapped[list] = mapped_column(JSON, default=list)  # unit category keys; empty: every kind
    area_ids: Mapped[list] = mapped_column(JSON, default=list)  # grid node ids; empty: the whole town
    # the campaign's own items: {"name", "legal_basis"} each (a campaign saved before items had a basis holds
    # plain strings; `items` reads both)
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    # 依据: the document that asked for it, e.g. a county's notice; `basis_instance_id` is the 收文 case the
    # campaign was set up from (承办), which then lists it among 由此发起的办理
    basis: Mapped[str] = mapped_column(String(300), default="")
    basis_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="SET NULL"),
                                                          index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    town: Mapped[GridNode] = relationship()

    __table_args__ = (UniqueConstraint("town_id", "name", name="uq_special_campaign_town_name"),)

    def open_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def covers(self, unit: Unit, areas: list[GridNode]) -> bool:
        """Whether the unit is a target: of a chosen kind, inside one of `areas` (this campaign's nodes)."""
        kind_ok = not self.categories or unit.category in self.categories
        place_ok = self.town.contains(unit.grid) and (not areas or any(a.contains(unit.grid) for a in areas))
        return kind_ok and place_ok

    @property
    def category_labels(self) -> list[str]:
        return [UNIT_CATEGORIES.get(key, key) for key in self.categories]

    @property
    def items(self) -> list[CampaignItem]:
        return [CampaignItem(entry, "") if isinstance(entry, str) else
                CampaignItem(entry.get("name") or "", entry.get("legal_basis") or "") for entry in self.checklist or []]
