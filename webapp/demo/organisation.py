"""The fictitious demo organisation of design.md §7: 江岸区 / 青石镇 / three villages.

Every name here is invented. Loading is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import cycle

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import defaults
from webapp.models import CommitteeMember, GridNode, GridPost, NumberPrefix, Unit, User
from webapp.services import accounts, grid

DEMO_PASSWORD = "firegrid-demo"
REGION, TOWN = "江岸区", "青石镇"
VILLAGES = {
    "青石村": ["青石一组", "青石二组", "青石三组"],
    "石桥村": ["石桥东片", "石桥西片", "石桥老街"],
    "河湾社区": ["河湾一号院", "河湾二号院", "滨河片区"],
}
# Number prefixes (机关代字) per kind of document: key, issuing body, prefix, grammar, description.
NUMBER_PREFIXES = [
    ("town_notice", "青石镇人民政府", "青石府发", "wenhao", "镇政府下行文（通知、通报、意见）"),
    ("town_upward", "青石镇人民政府", "青石府文", "wenhao", "镇政府上行文（报告、请示）"),
    ("town_letter", "青石镇人民政府", "青石府函", "wenhao", "镇政府函"),
    ("committee_notice", "青石镇消防安全委员会", "青石消安委发", "wenhao", "消安委通知、通报"),
    ("rectification", "青石镇人民政府", "青石消整", "di", "隐患整改通知书"),
    ("reinspection", "青石镇人民政府", "青石消复", "di", "复查意见书"),
    ("referral", "青石镇人民政府", "青石消移", "wenhao", "火灾隐患移交函（函：普通文号）"),
    ("minutes_joint", "青石镇消防安全委员会", "青石镇消防安全联席会议纪要", "qi", "双月联席会议纪要"),
    ("minutes_quarterly", "青石镇消防安全委员会", "青石镇消防工作会议纪要", "qi", "季度消防工作会议纪要"),
    ("minutes_committee", "青石镇消防安全委员会", "青石镇消防安全委员会会议纪要", "qi", "月度消委会会议纪要"),
]
# (username, display name, roles, scope: None = town, else a village)
DEMO_USERS = [
    ("admin", "周立新", ["admin"], None),
    ("clerk", "林晓雯", ["clerk"], None),
    ("office_head", "韩志明", ["office_head"], None),
    ("leader", "郑国栋", ["leader"], None),
    ("archivist", "沈秋萍", ["archivist"], None),
    ("inspector", "许建军", ["inspector"], None),
    ("inspector2", "邓海燕", ["inspector"], None),
    ("clerk_shiqiao", "吴佳琪", ["clerk"], "石桥村"),
    ("inspector_shiqiao", "钱卫东", ["inspector"], "石桥村"),
]
COMMITTEE = [
    ("青石镇人民政府", "head", "郑国栋", "0712-5861001"),
    ("青石镇党政办公室", "deputy", "韩志明", "0712-5861002"),
    ("青石派出所", "member", "罗振华", "0712-5861110"),
    ("江岸区消防救援大队青石消防救援站", "member", "方志远", "0712-5861119"),
    ("青石镇安全生产监督管理站", "member", "蒋明亮", "0712-5861003"),
    ("青石镇综治办", "member", "陶丽君", "0712-5861004"),
    ("青石市场监督管理所", "member", "范永胜", "0712-5861005"),
    ("青石村村民委员会", "member", "孔德厚", "13907120001"),
    ("石桥村村民委员会", "member", "曹永平", "13907120002"),
    ("河湾社区居民委员会", "member", "彭秀兰", "13907120003"),
]
# Category → invented shop names; units are dealt round-robin into the nine small grids.
UNIT_NAMES = {
    "small_shop": ["顺发便利店", "惠民超市", "兴隆日杂店", "万家小卖部", "乐购便利店", "平价粮油店"],
    "small_restaurant": ["老街面馆", "河鲜酒家", "福满楼饭店", "香满园快餐", "乡味小厨"],
    "small_hotel": ["青石客栈", "桥头旅社", "滨河宾馆"],
    "small_internet_cafe": ["极速网吧", "星空网咖"],
    "small_beauty_bath": ["丽人美发店", "清泉浴室", "雅致美容院"],
    "small_workshop": ["宏达木器加工厂", "利民粮油加工坊", "永兴五金加工部", "恒达纸箱厂"],
    "small_clinic": ["青石村卫生室", "仁和诊所", "康宁药房诊所"],
    "small_school": ["阳光幼儿园", "小太阳托管班"],
    "small_entertainment": ["欢乐歌厅", "金嗓子歌城"],
    "key_unit": ["青石镇中心小学", "青石镇卫生院", "江岸石化加油站", "青石敬老院"],
    "crowded_place": ["青石农贸市场", "河湾购物广场", "青石镇文化活动中心"],
    "street_shop": ["老街服装店", "诚信电器行", "石桥五金店", "河湾水果店", "平安药店", "青石理发店"],
    "rental_housing": ["石桥老街12号出租屋", "河湾二号院5栋出租屋", "青石二组18号出租屋", "滨河片区3号出租屋"],
    "multi_use": ["鸿运“三合一”加工门店", "巧手服装加工店", "石桥电动车维修铺"],
    "rural_compound": ["青石三组王家大院", "石桥东片李家大院"],
    "old_residential": ["河湾一号院小区", "滨河老宿舍区"],
    "factory_warehouse": ["青石物流仓库", "石桥建材仓库", "河湾冷链库", "河湾农资仓库"],
    "hazchem_retail": ["青石烟花爆竹零售点", "石桥液化气供应站"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["建华", "秀英", "志强", "海燕", "国庆", "丽华", "明亮", "春梅", "永红", "德胜", "桂芳", "晓东"]


@dataclass
class DemoSummary:
    created: bool
    units: int
    users: list[tuple[str, str, str]]  # username, display name, role labels


def _person(index: int) -> tuple[str, str]:
    name = SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)]
    return name, f"139{(71200000 + index * 37) % 100_000_000:08d}"


def _build_grid(session: Session) -> tuple[GridNode, dict[str, GridNode]]:
    region = grid.add_node(session, parent=None, level="region", name=REGION)
    town = grid.add_node(session, parent=region, level="town", name=TOWN)
    nodes: dict[str, GridNode] = {TOWN: town}
    for v_index, (village_name, areas) in enumerate(VILLAGES.items()):
        village = grid.add_node(session, parent=town, level="village", name=village_name, sort_order=v_index)
        nodes[village_name] = village
        for a_index, area_name in enumerate(areas):
            nodes[area_name] = grid.add_node(session, parent=village, level="area", name=area_name, sort_order=a_index)
    return town, nodes


def _add_posts(nodes: dict[str, GridNode]) -> None:
    for index, node in enumerate(nodes.values()):
        head, head_phone = _person(index * 3)
        worker, worker_phone = _person(index * 3 + 1)
        node.posts.append(GridPost(post="grid_head", person_name=head, phone=head_phone))
        node.posts.append(GridPost(post="grid_worker", person_name=worker, phone=worker_phone))
        if node.level == "area" and "院" in node.name:
            keeper, keeper_phone = _person(index * 3 + 2)
            node.posts.append(GridPost(post="building_head", person_name=keeper, phone=keeper_phone))


def _add_units(session: Session, nodes: dict[str, GridNode], now: datetime) -> int:
    areas = cycle([n for n in nodes.values() if n.level == "area"])
    count = 0
    for category, names in UNIT_NAMES.items():
        for name in names:
            area = next(areas)
            person, phone = _person(100 + count)
            manager, manager_phone = _person(200 + count)
            session.add(Unit(
                grid=area, name=name, category=category,
                address=f"江岸区青石镇{area.parent.name}{area.name}{count + 1}号",
                responsible_person=person, responsible_phone=phone,
                manager=manager, manager_phone=manager_phone,
                floor_area=float(80 + (count * 47) % 900), staff_count=2 + (count * 7) % 40, created_at=now,
            ))
            count += 1
    session.flush()
    return count


def _add_users(session: Session, nodes: dict[str, GridNode], now: datetime) -> None:
    for username, display_name, roles, scope_name in DEMO_USERS:
        accounts.create_user(
            session, username=username, display_name=display_name, password=DEMO_PASSWORD,
            roles=roles, scope=nodes[scope_name or TOWN], now=now,
        )


def load_demo(session: Session, *, now: datetime) -> DemoSummary:
    """Create the demo organisation unless the demo town already exists."""
    existing = session.scalar(select(GridNode).where(GridNode.level == "town", GridNode.name == TOWN))
    created = existing is None
    if created:
        town, nodes = _build_grid(session)
        _add_posts(nodes)
        _add_units(session, nodes, now)
        for order, (organ, role, person, phone) in enumerate(COMMITTEE):
            session.add(CommitteeMember(town=town, organ=organ, committee_role=role,
                                        contact_person=person, phone=phone, sort_order=order))
        _add_users(session, nodes, now)
        for key, organ, prefix, grammar, description in NUMBER_PREFIXES:
            session.add(NumberPrefix(key=key, organ=organ, prefix=prefix, grammar=grammar, description=description))
        session.flush()
        defaults.ensure_defaults(session)
    users = list(session.scalars(select(User).where(User.username.in_([u[0] for u in DEMO_USERS]))))
    unit_count = session.query(Unit).count()
    return DemoSummary(
        created=created, units=unit_count,
        users=[(u.username, u.display_name, "、".join(u.role_labels)) for u in users],
    )
