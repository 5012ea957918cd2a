"""The fictitious demo organisation of design.md §7: 江岸区 / 青石镇 / three villages, a second small town
(柳塘镇) and the county's accounts, so the county overview has two towns to show.

Every name here is invented. Each town is made the way a real one is: `set_up_town` (what the setup page
and `firegrid setup` run), then its organisation as an organisation workbook — grid, units, grid posts,
accounts, committee and referral receivers as sheets — through `org_workbook.import_workbook`, so loading
the demo proves both paths; the import gives its new accounts the demo's shared password instead of a
random one each. Loading is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from io import BytesIO
from itertools import cycle

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import defaults, org_workbook, setup
from webapp.models import GridNode, Unit, User
from webapp.models.grid import GRID_POSTS, UNIT_CATEGORIES
from webapp.models.users import ROLES
from webapp.procedures.inspection import workbook as receivers_sheet
from webapp.procedures.inspection.models import RECEIVER_KINDS
from webapp.registers import equipment_points
from webapp.services import accounts

DEMO_PASSWORD = "firegrid-demo"
REGION, TOWN = "江岸区", "青石镇"
VILLAGES = {
    "青石村": ["青石一组", "青石二组", "青石三组"],
    "石桥村": ["石桥东片", "石桥西片", "石桥老街"],
    "河湾社区": ["河湾一号院", "河湾二号院", "滨河片区"],
}
# (username, display name, roles, scope: None = town, else a village); the first is the town setup's admin
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
# The committee (organ, role, contact, phone), given to the town setup: the government heads it.
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
# The referral receivers (类型, 名称, 联系人, 电话), the inspection procedure's sheet of the workbook.
RECEIVERS = [
    (RECEIVER_KINDS["police"], "青石派出所", "罗振华", "0712-5861110"),
    (RECEIVER_KINDS["fire"], "江岸区消防救援大队青石消防救援站", "方志远", "0712-5861119"),
]
# 器材存放点 (名称, 所属网格, 地址, 存放器材); the keepers are invented people like the grid posts'.
EQUIPMENT_POINTS = [
    ("青石镇微型消防站器材库", "", "青石镇人民政府大院东侧",
     "灭火器 20具；消防水带 6盘；消防水枪 4支；消防桶 10只；消防铲 6把"),
    ("青石村委会器材点", "青石村", "青石村村民委员会一楼", "灭火器 10具；消防水带 2盘；消防桶 6只"),
    ("石桥老街器材箱", "石桥村/石桥老街", "石桥老街中段", "灭火器 4具；消防桶 2只；消防沙 1箱"),
    ("河湾社区器材点", "河湾社区", "河湾社区服务中心", "灭火器 8具；消防水带 2盘；应急照明灯 4只"),
]

# The second town: small, no history; it shows a county server with more than one town.
SECOND_TOWN = "柳塘镇"
SECOND_VILLAGES = {"柳塘村": ["柳塘东组", "柳塘西组"], "新埠社区": ["新埠一区"]}
SECOND_USERS = [
    ("admin_liutang", "陆文斌", ["admin"], None),
    ("clerk_liutang", "叶小舟", ["clerk"], None),
    ("leader_liutang", "江启明", ["leader"], None),
    ("inspector_liutang", "孟凡涛", ["inspector"], "柳塘村"),
]
SECOND_COMMITTEE = [
    ("柳塘镇人民政府", "head", "江启明", "0712-5872001"),
    ("柳塘派出所", "member", "古立人", "0712-5872110"),
    ("江岸区消防救援大队柳塘消防救援站", "member", "石开元", "0712-5872119"),
    ("柳塘村村民委员会", "member", "乔满仓", "13907130001"),
    ("新埠社区居民委员会", "member", "柏玉兰", "13907130002"),
]
SECOND_RECEIVERS = [
    (RECEIVER_KINDS["police"], "柳塘派出所", "古立人", "0712-5872110"),
    (RECEIVER_KINDS["fire"], "江岸区消防救援大队柳塘消防救援站", "石开元", "0712-5872119"),
]
SECOND_UNITS = {
    "small_shop": ["柳塘便民超市"],
    "small_restaurant": ["新埠饭庄"],
    "small_workshop": ["柳塘木材加工厂"],
    "key_unit": ["柳塘镇卫生院"],
    "crowded_place": ["新埠农贸市场"],
    "rental_housing": ["新埠一区7号出租屋"],
}
# The county's accounts, scoped at the region: the read-only 县级督导 (全县概览) and the admin who adds towns.
COUNTY_USERS = [
    ("county", "顾明远", ["county"], REGION),
    ("county_admin", "严守正", ["admin"], REGION),
]


@dataclass(frozen=True)
class DemoTown:
    """One demo town as its organisation workbook holds it; users[0] is its admin."""

    name: str
    villages: dict[str, list[str]]
    users: list[tuple[str, str, list[str], str | None]]
    committee: list[tuple[str, str, str, str]]
    receivers: list[tuple[str, str, str, str]]
    units: dict[str, list[str]]
    equipment_points: list[tuple[str, str, str, str]] = field(default_factory=list)
    people_from: int = 0  # where its invented people start in the name and phone sequence
    admin_by_setup: bool = True  # the first town's admin comes from the setup, like a first start


TOWNS = [
    DemoTown(TOWN, VILLAGES, DEMO_USERS, COMMITTEE, RECEIVERS, UNIT_NAMES, EQUIPMENT_POINTS),
    DemoTown(SECOND_TOWN, SECOND_VILLAGES, SECOND_USERS, SECOND_COMMITTEE, SECOND_RECEIVERS, SECOND_UNITS,
             people_from=400, admin_by_setup=False),
]


@dataclass
class DemoSummary:
    created: bool
    units: int  # the demo town's (青石镇), which the history plays
    users: list[tuple[str, str, str]]  # username, display name, role labels


def _person(index: int) -> tuple[str, str]:
    name = SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)]
    return name, f"139{(71200000 + index * 37) % 100_000_000:08d}"


# --- the demo town as workbook rows ------------------------------------------------------------------------

def _paths(town: DemoTown) -> Iterator[tuple[str, str]]:
    """(grid path as the workbook writes it, node name) for the town, each village and its small grids."""
    yield town.name, town.name
    for village, areas in town.villages.items():
        yield village, village
        for area in areas:
            yield f"{village}/{area}", area


def _grid_rows(town: DemoTown) -> list[list[object]]:
    return [[village, area] for village, areas in town.villages.items() for area in ["", *areas]]


def _post_rows(town: DemoTown) -> list[list[object]]:
    rows = []
    for index, (path, name) in enumerate(_paths(town), start=town.people_from // 3):
        posts = ["grid_head", "grid_worker"] + (["building_head"] if "/" in path and "院" in name else [])
        for offset, post in enumerate(posts):
            person, phone = _person(index * 3 + offset)
            rows.append([path, GRID_POSTS[post], person, phone, ""])
    return rows


def _unit_rows(town: DemoTown) -> list[list[object]]:
    areas = cycle([path for path, _name in _paths(town) if "/" in path])
    rows = []
    for category, names in town.units.items():
        for name in names:
            area, count = next(areas), len(rows)
            person, phone = _person(town.people_from + 100 + count)
            manager, manager_phone = _person(town.people_from + 200 + count)
            address = f"{REGION}{town.name}{area.replace('/', '')}{count + 1}号"
            rows.append([name, UNIT_CATEGORIES[category], area, address, person, phone, manager, manager_phone,
                         float(80 + (count * 47) % 900), 2 + (count * 7) % 40])
    return rows


def _equipment_rows(town: DemoTown) -> list[list[object]]:
    """Checked early in January, on the first inspection day of the demo year."""
    rows = []
    for index, (name, grid_path, address, equipment) in enumerate(town.equipment_points):
        keeper, phone = _person(town.people_from + 300 + index)
        rows.append([name, grid_path, address, equipment, keeper, phone, f"2026-01-{6 + index:02d}"])
    return rows


def _account_rows(town: DemoTown) -> list[list[object]]:
    return [[username, display_name, "、".join(ROLES[r] for r in roles), scope or town.name, ""]
            for username, display_name, roles, scope in town.users]


def workbook_rows(town: DemoTown) -> dict[str, list[list[object]]]:
    """The town's organisation by sheet title, as a clerk would fill in the template."""
    return {
        org_workbook.GRID: _grid_rows(town),
        org_workbook.UNITS: _unit_rows(town),
        org_workbook.POSTS: _post_rows(town),
        org_workbook.ACCOUNTS: _account_rows(town),
        org_workbook.COMMITTEE: [[organ, org_workbook.COMMITTEE_LABELS[role], contact, phone]
                                 for organ, role, contact, phone in town.committee],
        receivers_sheet.TITLE: [[*receiver, ""] for receiver in town.receivers],
        equipment_points.TITLE: _equipment_rows(town),
    }


@cache
def _workbook(name: str) -> bytes:
    """The town's workbook, made once a process (the tests load the demo for many tests; the rows never change)."""
    return org_workbook.filled_workbook(workbook_rows(next(town for town in TOWNS if town.name == name)))


# --- loading -----------------------------------------------------------------------------------------------

def _load_town(session: Session, town: DemoTown, now: datetime) -> GridNode:
    """Set the town up and import its workbook, as a county adds a town; the accounts get the demo password."""
    admin = town.users[0]
    given = setup.TownSetup(region=REGION, town=town.name, admin_name=admin[1],
                            **({"admin_username": admin[0], "admin_password": DEMO_PASSWORD}
                               if town.admin_by_setup else {}))
    node = setup.set_up_town(session, given, now=now, admin_required=town.admin_by_setup).town
    workbook = _workbook(town.name)
    # every new account gets the demo's shared password instead of a random one shown once
    org_workbook.import_workbook(session, node, BytesIO(workbook), now=now, new_password=lambda: DEMO_PASSWORD)
    return node


def _add_county_users(session: Session, now: datetime) -> None:
    region = session.scalar(select(GridNode).where(GridNode.level == "region", GridNode.name == REGION))
    for username, display_name, roles, _scope in COUNTY_USERS:  # as `firegrid users add` makes them
        if session.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_user(session, username=username, display_name=display_name, password=DEMO_PASSWORD,
                                 roles=roles, scope=region, now=now)


def _town_node(session: Session, name: str) -> GridNode | None:
    return session.scalar(select(GridNode).where(GridNode.level == "town", GridNode.name == name))


def demo_usernames() -> list[str]:
    return [user[0] for town in TOWNS for user in town.users] + [user[0] for user in COUNTY_USERS]


def load_demo(session: Session, *, now: datetime, county: bool = True) -> DemoSummary:
    """Create whatever of the demo organisation does not exist yet (each town by its name). county=False:
    the demo town alone, a single-town server (no second town, no county accounts)."""
    created = _town_node(session, TOWN) is None
    for town in TOWNS if county else TOWNS[:1]:
        if _town_node(session, town.name) is None:
            _load_town(session, town, now)
    if county:
        _add_county_users(session, now)
    session.flush()
    defaults.ensure_defaults(session)
    names = demo_usernames()
    users = sorted(session.scalars(select(User).where(User.username.in_(names))), key=lambda u: names.index(u.username))
    town = _town_node(session, TOWN)
    unit_count = len(list(session.scalars(select(Unit.id).join(Unit.grid).where(GridNode.path.startswith(town.path)))))
    return DemoSummary(
        created=created, units=unit_count,
        users=[(u.username, u.display_name, "、".join(u.role_labels)) for u in users],
    )
