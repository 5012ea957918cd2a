"""Inspection reference data: the checklist (检查项目) and the referral receivers of each town.

Both are created on first use with defaults, so no migration seeds them; `firegrid init`, the demo
loader and a new town's setup call `load_defaults` to create them up front.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CommitteeMember, GridNode
from webapp.models.grid import NINE_SMALL_CATEGORIES, UNIT_CATEGORIES
from webapp.procedures.inspection.models import RECEIVER_KINDS, ChecklistItem, ReferralReceiver
from webapp.services.errors import InvalidInput, NotFound, OutOfScope
from webapp.services.grid import town_of

# 法律依据 of the default items: the article of 《中华人民共和国消防法》 (2021) each duty or ban comes from; a
# failed item prints "违反《…》第…条的规定" on the 整改通知书, so the citation must name the right article.
FIRE_LAW = "《中华人民共和国消防法》"
FIRE_LAW_16_1 = f"{FIRE_LAW}第十六条第一款第（一）项"  # 消防安全责任制、制度、操作规程、预案
FIRE_LAW_16_2 = f"{FIRE_LAW}第十六条第一款第（二）项"  # 配置消防设施、器材，设置标志，定期检验维修
FIRE_LAW_16_3 = f"{FIRE_LAW}第十六条第一款第（三）项"  # 建筑消防设施每年至少全面检测一次
FIRE_LAW_16_4 = f"{FIRE_LAW}第十六条第一款第（四）项"  # 防火防烟分区、防火间距
FIRE_LAW_16_6 = f"{FIRE_LAW}第十六条第一款第（六）项"  # 有针对性的消防演练
FIRE_LAW_17 = f"{FIRE_LAW}第十七条"  # 重点单位: 管理人, 档案, 每日防火巡查, 培训
FIRE_LAW_19 = f"{FIRE_LAW}第十九条"  # 生产、储存、经营场所与居住场所（“三合一”）
FIRE_LAW_21 = f"{FIRE_LAW}第二十一条"  # 吸烟、明火，动火审批，持证作业
FIRE_LAW_23 = f"{FIRE_LAW}第二十三条"  # 易燃易爆危险品
FIRE_LAW_26 = f"{FIRE_LAW}第二十六条"  # 室内装修、装饰材料
FIRE_LAW_27 = f"{FIRE_LAW}第二十七条"  # 电器产品、燃气用具及其线路、管路
FIRE_LAW_28 = f"{FIRE_LAW}第二十八条"  # 消防设施、器材，消火栓，疏散通道、安全出口，门窗障碍物
NINE_SMALL = list(NINE_SMALL_CATEGORIES)
SMALL_PLACES = [*NINE_SMALL, "street_shop", "multi_use", "rental_housing"]
CROWDED = ["key_unit", "crowded_place", "small_school", "small_clinic", "small_hotel", "small_entertainment",
           "small_internet_cafe", "small_beauty_bath"]
WITH_GAS = ["small_restaurant", "street_shop", "multi_use", "rental_housing", "rural_compound", "small_hotel",
            "crowded_place", "small_school"]
HOT_WORK = ["factory_warehouse", "small_workshop", "hazchem_retail", "key_unit"]
RESIDENTIAL = ["rental_housing", "old_residential", "rural_compound", "multi_use", "street_shop"]
# (name, 检查要点, legal basis, categories — empty: all). The first three apply to every place, in this order.
DEFAULT_CHECKLIST = [
    ("安全出口和疏散通道", "安全出口、疏散通道畅通，未被占用、堵塞、封闭；疏散指示标志、应急照明完好。",
     FIRE_LAW_28, []),
    ("灭火器和消防栓", "按规定配置灭火器，压力正常、未过期，放在明显便于取用处；消火栓未被埋压、圈占、遮挡。",
     FIRE_LAW_16_2, []),
    ("电气线路", "电气线路穿管保护，无私拉乱接、超负荷用电，不以铜丝、铁丝代替保险丝。", FIRE_LAW_27, []),
    ("燃气用具和液化气瓶", "燃气用具、管路符合规定，无泄漏；液化气瓶不在地下室、半地下室使用或存放。",
     FIRE_LAW_27, WITH_GAS),
    ("“三合一”住人", "生产、储存、经营场所与住人部分有防火分隔和独立疏散通道；储存、经营易燃易爆危险品的场所不住人。",
     FIRE_LAW_19, SMALL_PLACES),
    ("门窗逃生障碍", "门窗未设置防盗网、广告牌等影响逃生和灭火救援的障碍物，或留有可从内部开启的逃生窗口。",
     FIRE_LAW_28, [*CROWDED, "street_shop", "rental_housing", "small_restaurant", "small_shop"]),
    ("电动自行车停放充电", "电动自行车不在楼道、疏散通道、安全出口停放、充电，不私拉电线“飞线”充电。",
     FIRE_LAW_28, RESIDENTIAL),
    ("易燃易爆物品存放", "易燃易爆危险品按规定储存、限量存放，与其他物品分隔，远离火源。", FIRE_LAW_23,
     ["factory_warehouse", "hazchem_retail", "small_workshop", "multi_use"]),
    ("动火和吸烟管理", "有火灾、爆炸危险的部位禁止吸烟和使用明火；电焊、气焊等动火作业经审批，作业人员持证。",
     FIRE_LAW_21, HOT_WORK),
    ("防火分隔", "防火门、防火卷帘完好，常闭防火门保持关闭；防火间距未被占用。", FIRE_LAW_16_4,
     ["key_unit", "crowded_place", "factory_warehouse", "multi_use", "small_hotel"]),
    ("室内装修材料", "室内装修、装饰使用不燃、难燃材料，无大面积易燃泡沫、软包。", FIRE_LAW_26,
     ["crowded_place", "small_entertainment", "small_internet_cafe", "small_hotel", "small_beauty_bath", "key_unit"]),
    ("消防安全管理制度与台账", "落实消防安全责任人，有消防安全制度、操作规程和灭火与应急疏散预案。", FIRE_LAW_16_1,
     [*CROWDED, "factory_warehouse", "hazchem_retail"]),
    ("消防培训和演练", "员工会报警、会扑救初起火灾、会组织疏散；定期组织有针对性的演练并有记录。", FIRE_LAW_16_6,
     [*CROWDED, "factory_warehouse"]),
    ("建筑消防设施检测", "建筑消防设施每年至少全面检测一次，有检测报告；维修保养有记录。", FIRE_LAW_16_3,
     ["key_unit", "crowded_place", "factory_warehouse"]),
    ("防火巡查和消防档案", "确定消防安全管理人，建立消防档案，实行每日防火巡查并记录。", FIRE_LAW_17, ["key_unit"]),
]
DEFAULT_RECEIVERS = {"police": "派出所", "fire": "消防救援"}
DEFAULT_FEEDBACK_DAYS = 15


def ensure_checklist(session: Session, town: GridNode) -> None:
    """Create the town's default checklist the first time it is needed."""
    if session.scalar(select(ChecklistItem.id).where(ChecklistItem.town_id == town.id).limit(1)) is not None:
        return
    for order, (name, guidance, basis, categories) in enumerate(DEFAULT_CHECKLIST):
        session.add(ChecklistItem(town_id=town.id, name=name, guidance=guidance, legal_basis=basis,
                                  categories=categories, sort_order=order))
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
              categories: list[str], sort_order: int, is_active: bool, guidance: str = "") -> ChecklistItem:
    """Add or change an item of the town's checklist (admin)."""
    item = item_of_town(session, town, item_id or 0) if item_id else ChecklistItem(town_id=town.id)
    if item is None:
        raise NotFound("检查项目不存在。")
    clash = session.scalar(select(ChecklistItem).where(ChecklistItem.town_id == town.id,
                                                       ChecklistItem.name == name.strip()))
    if clash is not None and clash is not item:
        raise InvalidInput(f"检查项目“{name}”已存在。", fields={"name": f"检查项目“{name.strip()}”已存在。"})
    unknown = [c for c in categories if c not in UNIT_CATEGORIES]
    if unknown:
        raise InvalidInput("未知的场所类型。", fields={"categories": f"未知的场所类型：{'、'.join(unknown)}"})
    item.name, item.legal_basis, item.categories = name.strip(), legal_basis.strip(), list(categories)
    item.guidance = guidance.strip()
    item.sort_order, item.is_active = sort_order, is_active
    session.add(item)
    session.flush()
    return item


def items_for_type(session: Session, town: GridNode, category: str | None) -> list[ChecklistItem]:
    """The admin's view of one place type's checklist, in order, inactive items included (None: every item)."""
    items = all_items(session, town)
    if not category:
        return items
    return [i for i in items if not i.categories or category in i.categories]


def move_item(session: Session, town: GridNode, item_id: int, *, up: bool, category: str | None) -> None:
    """Swap the item with its neighbour in the list the admin sees (one place type, or all). The town's whole
    list is renumbered 10, 20, 30 … first, so equal or gapped orders typed by hand never block a move."""
    item = item_of_town(session, town, item_id)
    if item is None:
        raise NotFound("检查项目不存在。")
    everything = all_items(session, town)
    for position, row in enumerate(everything, start=1):
        row.sort_order = position * 10
    shown = items_for_type(session, town, category) if category else everything
    if item not in shown:  # a stale page: the item's place types changed since it was shown
        shown = everything
    index = shown.index(item)
    other = index - 1 if up else index + 1
    if 0 <= other < len(shown):
        item.sort_order, shown[other].sort_order = shown[other].sort_order, item.sort_order
    session.flush()


def set_active(session: Session, town: GridNode, item_id: int, active: bool) -> ChecklistItem:
    """停用 / 启用: an inactive item leaves new inspections' lists; past records keep its name and basis."""
    item = item_of_town(session, town, item_id)
    if item is None:
        raise NotFound("检查项目不存在。")
    item.is_active = active
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
    return RECEIVER_KINDS.get(receiver.kind, DEPARTMENT_LABEL)


DEPARTMENT_LABEL = "主管部门"


def department_kind(taken: set[str]) -> str:
    """The kind of a department an admin adds (dept1, dept2 …): any number of them, one row each."""
    return next(f"dept{n}" for n in range(1, 1000) if f"dept{n}" not in taken)


def save_receiver(session: Session, town: GridNode, *, receiver_id: int | None, name: str, contact_person: str,
                  phone: str, feedback_days: int) -> ReferralReceiver:
    """Change one of the town's receivers, or add a department (安监站, 市场监管所 …) hazards can be referred to."""
    rows = receivers(session, town)
    if receiver_id is None:
        receiver = ReferralReceiver(grid=town, kind=department_kind(set(rows)))
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
