"""Inspection reference data: the checklist (检查项目) and the referral receivers of each town.

Both are created on first use with defaults, so no migration seeds them; `firegrid init`, the demo
loader and a new town's setup call `load_defaults` to create them up front.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CommitteeMember, GridNode
from webapp.models.grid import NINE_SMALL_CATEGORIES
from webapp.procedures.inspection.models import RECEIVER_KINDS, ChecklistItem, ReferralReceiver
from webapp.services.errors import InvalidInput, NotFound, OutOfScope
from webapp.services.grid import town_of

FIRE_LAW_16 = "《中华人民共和国消防法》第十六条"
FIRE_LAW_28 = "《中华人民共和国消防法》第二十八条"
FIRE_LAW_19 = "《中华人民共和国消防法》第十九条"
FIRE_LAW_21 = "《中华人民共和国消防法》第二十一条"
SMALL_PLACES = [*NINE_SMALL_CATEGORIES, "street_shop", "multi_use", "rental_housing"]
# (name, legal basis, categories — empty: all)
DEFAULT_CHECKLIST = [
    ("安全出口和疏散通道", FIRE_LAW_28, []),
    ("灭火器和消防栓", FIRE_LAW_16, []),
    ("电气线路", FIRE_LAW_21, []),
    ("防火分隔", FIRE_LAW_28, ["key_unit", "crowded_place", "factory_warehouse", "multi_use", "small_hotel"]),
    ("易燃易爆物品存放", FIRE_LAW_19, ["factory_warehouse", "hazchem_retail", "small_workshop", "multi_use"]),
    ("“三合一”住人", FIRE_LAW_19, SMALL_PLACES),
    ("消防安全管理制度与台账", FIRE_LAW_16, ["key_unit", "crowded_place", "factory_warehouse", "hazchem_retail",
                                           "small_school", "small_hotel", "small_entertainment"]),
    ("电动自行车停放充电", FIRE_LAW_28, ["rental_housing", "old_residential", "rural_compound", "multi_use"]),
]
DEFAULT_RECEIVERS = {"police": "派出所", "fire": "消防救援"}
DEFAULT_FEEDBACK_DAYS = 15


def ensure_checklist(session: Session, town: GridNode) -> None:
    """Create the town's default checklist the first time it is needed."""
    if session.scalar(select(ChecklistItem.id).where(ChecklistItem.town_id == town.id).limit(1)) is not None:
        return
    for order, (name, basis, categories) in enumerate(DEFAULT_CHECKLIST):
        session.add(ChecklistItem(town_id=town.id, name=name, legal_basis=basis, categories=categories,
                                  sort_order=order))
    session.flush()


def all_items(session: Session, grid: GridNode) -> list[ChecklistItem]:
    """The checklist of the town `grid` lies in (the town itself, a village or a unit's small grid)."""
    town = town_of(grid) or grid
    ensure_checklist(session, town)
    return list(session.scalars(select(ChecklistItem).where(ChecklistItem.town_id == town.id)
                                .order_by(ChecklistItem.sort_order, ChecklistItem.id)))


def checklist_for(session: Session, grid: GridNode, category: str) -> list[ChecklistItem]:
    """The active items of the town's checklist for a unit category (`grid`: the unit's grid)."""
    return [item for item in all_items(session, grid) if item.applies_to(category)]


def item_of_town(session: Session, town: GridNode, item_id: int) -> ChecklistItem | None:
    """A checklist item being edited: None for 0; another town's answers OutOfScope (logged)."""
    item = session.get(ChecklistItem, item_id) if item_id else None
    if item is not None and item.town_id != town.id:
        raise OutOfScope("该检查项目属于其他镇（街道），不在您的管辖范围内。")
    return item


def save_item(session: Session, town: GridNode, *, item_id: int | None, name: str, legal_basis: str,
              categories: list[str], sort_order: int, is_active: bool) -> ChecklistItem:
    """Add or change an item of the town's checklist (admin)."""
    item = item_of_town(session, town, item_id or 0) if item_id else ChecklistItem(town_id=town.id)
    if item is None:
        raise NotFound("检查项目不存在。")
    clash = session.scalar(select(ChecklistItem).where(ChecklistItem.town_id == town.id,
                                                       ChecklistItem.name == name.strip()))
    if clash is not None and clash is not item:
        raise InvalidInput(f"检查项目“{name}”已存在。")
    item.name, item.legal_basis, item.categories = name.strip(), legal_basis.strip(), list(categories)
    item.sort_order, item.is_active = sort_order, is_active
    session.add(item)
    session.flush()
    return item


def receivers(session: Session, grid: GridNode) -> dict[str, ReferralReceiver]:
    """The town's receivers by kind, created from the committee members on first use."""
    town = town_of(grid) or grid
    rows = {r.kind: r for r in session.scalars(select(ReferralReceiver).where(ReferralReceiver.grid_id == town.id))}
    for kind, marker in DEFAULT_RECEIVERS.items():
        if kind not in rows:
            rows[kind] = _default_receiver(session, town, kind, marker)
    session.flush()
    return rows


def _default_receiver(session: Session, town: GridNode, kind: str, marker: str) -> ReferralReceiver:
    member = session.scalar(select(CommitteeMember).where(
        CommitteeMember.town_id == town.id, CommitteeMember.organ.contains(marker),
    ).order_by(CommitteeMember.sort_order))
    receiver = ReferralReceiver(
        grid=town, kind=kind, name=member.organ if member else f"{town.name}{RECEIVER_KINDS[kind]}",
        contact_person=member.contact_person if member else "", phone=member.phone if member else "",
        feedback_days=DEFAULT_FEEDBACK_DAYS)
    session.add(receiver)
    return receiver


def load_defaults(session: Session) -> None:
    """Every town's checklist and receivers (`firegrid init`, the demo loader, a new town's setup)."""
    for town in session.scalars(select(GridNode).where(GridNode.level == "town")):
        ensure_checklist(session, town)
        receivers(session, town)


def receiver_label(receiver: ReferralReceiver) -> str:
    """派出所 / 消防救援机构 for the two every town has; 主管部门 for a department an admin added."""
    return RECEIVER_KINDS.get(receiver.kind, "主管部门")


def save_receiver(session: Session, town: GridNode, *, receiver_id: int | None, name: str, contact_person: str,
                  phone: str, feedback_days: int) -> ReferralReceiver:
    """Change one of the town's receivers, or add a department (安监站, 市场监管所 …) hazards can be referred to."""
    rows = receivers(session, town)
    if receiver_id is None:
        taken = {r.kind for r in rows.values()}
        kind = next(f"dept{n}" for n in range(1, 1000) if f"dept{n}" not in taken)
        receiver = ReferralReceiver(grid=town, kind=kind)
        session.add(receiver)
    else:
        receiver = next((r for r in rows.values() if r.id == receiver_id), None)
        if receiver is None:
            raise NotFound("本镇没有这个移交接收部门。")
    problems = {}
    if not name.strip():
        problems["name"] = "请填写部门名称。"
    if any(r.name == name.strip() and r is not receiver for r in rows.values()):
        problems["name"] = f"“{name.strip()}”已在移交接收部门中。"
    if not 1 <= feedback_days <= 90:
        problems["feedback_days"] = "反馈期限应为1至90日。"
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    receiver.name, receiver.contact_person, receiver.phone = name.strip(), contact_person.strip(), phone.strip()
    receiver.feedback_days = feedback_days
    session.flush()
    return receiver
