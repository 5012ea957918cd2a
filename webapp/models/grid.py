"""The grid (网格) tree, its units and places (单位、场所), grid posts and the committee."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from sqlalchemy.orm.util import identity_key

from webapp.extensions import db
from webapp.models.types import AwareDateTime

if TYPE_CHECKING:
    from webapp.models.users import User

# Levels: region above the town; town = 大网格, village = 中网格 (村/社区), area = 小网格.
GRID_LEVELS = {"region": "区县", "town": "镇/街道（大网格）", "village": "村/社区（中网格）", "area": "小网格"}
CHILD_LEVEL = {"region": "town", "town": "village", "village": "area"}

# 九小场所 kinds first, then the other categories the seeds name.
NINE_SMALL_CATEGORIES = {
    "small_school": "小学校/幼儿园",
    "small_clinic": "小医院/诊所",
    "small_shop": "小商店",
    "small_restaurant": "小餐饮",
    "small_hotel": "小旅馆",
    "small_entertainment": "小歌舞娱乐场所",
    "small_internet_cafe": "小网吧",
    "small_beauty_bath": "小美容洗浴场所",
    "small_workshop": "小生产加工企业",
}
UNIT_CATEGORIES = {
    **NINE_SMALL_CATEGORIES,
    "key_unit": "消防安全重点单位",
    "crowded_place": "人员密集场所",
    "street_shop": "沿街门店",
    "rental_housing": "出租屋",
    "multi_use": "“三合一”场所",
    "rural_compound": "农村大院",
    "old_residential": "老旧小区",
    "factory_warehouse": "厂房库房",
    "hazchem_retail": "危化品零售点",
    "other": "其他单位",
}
GRID_POSTS = {"grid_head": "网格长", "grid_worker": "网格员", "building_head": "楼院长"}
COMMITTEE_ROLES = {"head": "组长", "deputy": "副组长", "member": "成员单位"}
# 一户一码: digits and capitals without 0/O, 1/I/L, so a code read aloud or typed from a label is unambiguous.
UNIT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
UNIT_CODE_LENGTH = 8


def new_unit_code() -> str:
    """A random code (31^8 ≈ 8.5·10^11 values, so a clash is improbable; the unique constraint catches one)."""
    return "".join(secrets.choice(UNIT_CODE_ALPHABET) for _ in range(UNIT_CODE_LENGTH))


class GridNode(db.Model):
    __tablename__ = "grid_node"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid_node.id"))
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    # Materialised path "/1/4/12/": a subtree is one prefix match, the basis of every scope check.
    path: Mapped[str] = mapped_column(String(255), default="", index=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped[GridNode | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[GridNode]] = relationship(
        back_populates="parent", order_by="GridNode.sort_order, GridNode.id"
    )
    posts: Mapped[list[GridPost]] = relationship(back_populates="node", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_grid_node_parent_name"),)

    @property
    def level_label(self) -> str:
        return GRID_LEVELS[self.level]

    def contains(self, other: GridNode) -> bool:
        return other.path.startswith(self.path)

    def ancestors(self) -> list[GridNode]:
        loaded = self._load_ancestors()  # noqa: F841 — kept: the session holds its objects only weakly
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def _load_ancestors(self) -> list[GridNode]:
        """Those not yet in the session come in one query (their ids are in `path`), so walking up through
        `parent` then sends none instead of one per level."""
        session = object_session(self)
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1] if part.isdigit()]
        missing = [i for i in ids if identity_key(GridNode, i) not in session.identity_map] if session else []
        return list(session.scalars(select(GridNode).where(GridNode.id.in_(missing)))) if missing else []

    def display_path(self) -> str:
        """Names below the town, e.g. "某村/某组" — the grid column of the Excel ledger."""
        names = [n.name for n in [*self.ancestors(), self] if n.level in ("village", "area")]
        return "/".join(names) or self.name


class Unit(db.Model):
    """A unit or place (单位、场所) inside a grid node."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    responsible_person: Mapped[str] = mapped_column(String(50), default="")  # 消防安全责任人
    responsible_phone: Mapped[str] = mapped_column(String(30), default="")
    manager: Mapped[str] = mapped_column(String(50), default="")  # 消防安全管理人
    manager_phone: Mapped[str] = mapped_column(String(30), default="")
    floor_area: Mapped[float | None] = mapped_column()
    staff_count: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # 一户一码: given once when the unit is made (every creation path goes through this default), never changed;
    # the QR code on the unit's door encodes <public URL>/u/<code>.
    code: Mapped[str] = mapped_column(String(UNIT_CODE_LENGTH), default=new_unit_code)
    # Registered point (WGS-84 degrees, as a phone's browser reports them): a check-in far from it is flagged.
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()

    grid: Mapped[GridNode] = relationship()

    __table_args__ = (
        UniqueConstraint("grid_id", "name", name="uq_unit_grid_name"),
        UniqueConstraint("code", name="uq_unit_code"),
        Index("ix_unit_name", "name"),
        # The county overview's coverage counts every unit of the county by grid, and looks up the grid of each
        # unit visited in the month: both from this index alone (PostgreSQL: an index-only scan, no table rows).
        Index("ix_unit_id_grid_created", "id", "grid_id", "created_at"),
        # The coverage totals' recounts (GridUnitTotal, GridVisitTotal) find a grid's units of a month from here.
        Index("ix_unit_grid_created", "grid_id", "created_at"),
    )

    @property
    def category_label(self) -> str:
        return UNIT_CATEGORIES.get(self.category, self.category)


class GridUnitTotal(db.Model):
    """How many of a grid's units were entered in one month (Beijing time), counted where they lie now: the units
    of a grid at a month's end are the sum over that month and the earlier ones. Kept by the database (triggers of
    migration 0046cover recount a key whenever a unit is entered, moved, re-dated or deleted), so the county
    overview's coverage reads ~500 rows instead of the county's 100,000 units; every total equals a direct count."""

    __tablename__ = "grid_unit_total"

    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-09"
    units: Mapped[int] = mapped_column(server_default="0")


class GridVisitTotal(db.Model):
    """How many units now in a grid, entered by a month's end, some procedure visited in that month (an
    inspection, a patrol: the procedures' `visited_unit_ids`). Kept by the database as GridUnitTotal is: a visit
    recorded, changed or deleted recounts its unit's grid's month; a unit moved recounts its old and new grid for
    every month it has a visit in."""

    __tablename__ = "grid_visit_total"

    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id", ondelete="CASCADE"), primary_key=True)
    # the overview reads one month of every grid: an index of its own (rows pile up month by month)
    month: Mapped[str] = mapped_column(String(7), primary_key=True, index=True)  # "2026-09"
    units: Mapped[int] = mapped_column(server_default="0")


class GridPost(db.Model):
    """A person holding a post (网格长, 网格员, 楼院长) on a grid node."""

    __tablename__ = "grid_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    post: Mapped[str] = mapped_column(String(20))
    person_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30), default="")
    # The holder's account, where they have one (the organisation workbook links it by username).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    node: Mapped[GridNode] = relationship(back_populates="posts")
    user: Mapped[User | None] = relationship()

    @property
    def post_label(self) -> str:
        return GRID_POSTS[self.post]


class CommitteeMember(db.Model):
    """A member unit of the town's fire-safety committee (消防安全委员会/领导小组)."""

    __tablename__ = "committee_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    organ: Mapped[str] = mapped_column(String(100))  # e.g. 某某派出所
    committee_role: Mapped[str] = mapped_column(String(16), default="member")
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    sort_order: Mapped[int] = mapped_column(default=0)

    town: Mapped[GridNode] = relationship()


class UnitCardSettings(db.Model):
    """A town's settings for its units: what the public card shows (the page a QR code opens for someone not
    logged in), and how far from a unit's registered point a check-in may be before it is flagged."""

    __tablename__ = "unit_card_settings"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    report_phone: Mapped[str] = mapped_column(String(30), default="")  # 举报电话; empty hides the line
    # The responsible person's phone is private unless the town's admin chooses to show it.
    show_responsible_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    # A check-in (inspection, patrol) farther than this from the unit's registered point is flagged.
    checkin_far_metres: Mapped[int] = mapped_column(default=300)


class WarningSignText(db.Model):
    """A town's own wording of the 九小场所 warning sign (消防安全警示牌) for one unit category; without a row the
    sign uses the product's default text for the category (webapp/documents/warning_signs.py)."""

    __tablename__ = "warning_sign_text"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    hazard: Mapped[str] = mapped_column(String(300), default="")  # 场所火灾危险性
    precautions: Mapped[str] = mapped_column(String(1000), default="")  # 消防安全事项, one per line
