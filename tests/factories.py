"""Small builders for the data one test needs, made through the product's own services where it has
them (grid, units, accounts, defaults); number prefixes and committee members have no creating service
(the admin only edits them), so they are added as rows, as the demo loader does.

The demo town (`demo` fixture) is for tests whose subject is the demo; most tests need one town,
a village or two, a unit and a few users (`small_town`, `sign_in` fixtures). Every name is fictitious and not a demo
name, so a test that still leans on the demo without asking for it fails instead of passing by luck.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from webapp.cases import defaults
from webapp.clock import TZ
from webapp.models import CommitteeMember, GridNode, NumberPrefix, Unit, User
from webapp.services import accounts, grid, units

PASSWORD = "factory-pass-1"
CREATED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)

# Every kind of numbered document the procedures issue: key → (issuing body suffix, prefix suffix, grammar).
PREFIX_KINDS = {
    "town_notice": ("人民政府", "府发", "wenhao"),
    "town_upward": ("人民政府", "府文", "wenhao"),
    "town_letter": ("人民政府", "府函", "wenhao"),
    "committee_notice": ("消防安全委员会", "消安委发", "wenhao"),
    "office_notice": ("党政办公室", "党政办发", "wenhao"),
    "rectification": ("人民政府", "消整", "di"),
    "reinspection": ("人民政府", "消复", "di"),
    "referral": ("人民政府", "消移", "wenhao"),
    "incoming": ("人民政府", "收", "di"),
    "minutes_joint": ("消防安全委员会", "消防安全联席会议纪要", "qi"),
    "minutes_quarterly": ("消防安全委员会", "消防工作会议纪要", "qi"),
    "minutes_committee": ("消防安全委员会", "消防安全委员会会议纪要", "qi"),
}


def town(session: Session, name: str = "松林镇", *, region: str | GridNode = "示例区") -> GridNode:
    """A town under its region: its organs' number prefixes, a committee with a police station and a fire
    station, and every procedure's defaults (made after the committee, so referral receivers come from it)."""
    parent = region if isinstance(region, GridNode) else grid.add_node(session, parent=None, level="region",
                                                                       name=region)
    node = grid.add_node(session, parent=parent, level="town", name=name)
    short = name.removesuffix("镇")
    for key, (organ, prefix, grammar) in PREFIX_KINDS.items():
        series = f"{name}{prefix}" if grammar == "qi" else f"{short}{prefix}"
        session.add(NumberPrefix(town_id=node.id, key=key, organ=f"{name}{organ}", prefix=series, grammar=grammar))
    committee = [(f"{name}人民政府", "head"), (f"{short}派出所", "member"),
                 (f"{parent.name}消防救援大队{short}消防救援站", "member")]
    for order, (organ, role) in enumerate(committee):
        committee_member(session, node, organ, role=role, sort_order=order)
    defaults.ensure_defaults(session)
    return node


def village(session: Session, town_node: GridNode, name: str = "松林村", *, areas: tuple[str, ...] = ()) -> GridNode:
    """A village (or community) of the town, with the named small grids below it."""
    node = grid.add_node(session, parent=town_node, level="village", name=name)
    for order, area_name in enumerate(areas):
        grid.add_node(session, parent=node, level="area", name=area_name, sort_order=order)
    return node


def unit(session: Session, grid_node: GridNode, name: str, category: str = "small_shop", **extra: object) -> Unit:
    """A unit saved through the ledger's validation (phones must be valid when given)."""
    fields = units.UnitFields(grid=grid_node, name=name, category=category,
                              address=extra.pop("address", f"{grid_node.name}1号"), **extra)
    return units.save_unit(session, fields, now=CREATED_AT)


def user(session: Session, username: str, *roles: str, scope: GridNode, display_name: str = "") -> User:
    """An account that logs in with PASSWORD."""
    return accounts.create_user(session, username=username, display_name=display_name or username,
                                password=PASSWORD, roles=list(roles), scope=scope, now=CREATED_AT)


def committee_member(session: Session, town_node: GridNode, organ: str, *, role: str = "member",
                     contact_person: str = "", phone: str = "", sort_order: int = 0) -> CommitteeMember:
    member = CommitteeMember(town=town_node, organ=organ, committee_role=role, contact_person=contact_person,
                             phone=phone, sort_order=sort_order)
    session.add(member)
    session.flush()
    return member


@dataclass
class SmallTown:
    """One town with two villages (two small grids each), a few units and one user per role.

    Users: admin, clerk, office_head, leader, archivist, inspector, inspector2 (town scope);
    village_clerk and village_inspector (scope: `village`, the first village).
    """

    town: GridNode
    village: GridNode
    other_village: GridNode
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


# username → display name (fictitious); the first six hold the role of their username, town-wide.
STAFF = {
    "admin": "严正华", "clerk": "苏晓梅", "office_head": "秦志远", "leader": "郝国强", "archivist": "温秋兰",
    "inspector": "白建业", "inspector2": "邱海霞", "village_clerk": "柯佳怡", "village_inspector": "鲁卫平",
}
TOWN_ROLES = ["admin", "clerk", "office_head", "leader", "archivist", "inspector"]


def small_town(session: Session) -> SmallTown:
    town_node = town(session)
    first = village(session, town_node, "松林村", areas=("松林一组", "松林二组"))
    second = village(session, town_node, "柳岸社区", areas=("柳岸一号院", "柳岸老街"))
    built = SmallTown(town=town_node, village=first, other_village=second)
    for grid_node, name, category in [
        (first.children[0], "丰收便利店", "small_shop"), (first.children[1], "松香面馆", "small_restaurant"),
        (second.children[0], "快乐网咖", "small_internet_cafe"), (second.children[1], "柳岸客栈", "small_hotel"),
    ]:
        built.units[name] = unit(session, grid_node, name, category)
    accounts_to_make = [(role, role, town_node) for role in TOWN_ROLES] + [
        ("inspector2", "inspector", town_node), ("village_clerk", "clerk", first),
        ("village_inspector", "inspector", first)]
    for username, role, scope in accounts_to_make:
        built.users[username] = user(session, username, role, scope=scope, display_name=STAFF[username])
    session.commit()
    return built
