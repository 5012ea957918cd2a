"""Setting up a town: a real township office's first start (the setup page, `firegrid setup`), and a
county adding its next town. One transaction: the region and town nodes, the organs' number prefixes
(发文字号) for every kind of document a procedure issues, the committee's head unit, the town's first
admin account and every procedure's defaults. Nothing is half-created when a value is refused.

The demo town is set up through here as well, so the demo proves this path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import defaults, registry
from webapp.models import CommitteeMember, GridNode, NumberPrefix, User
from webapp.services import accounts, grid
from webapp.services.errors import InvalidInput

TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
# The organs a town issues documents as (NumberUse.organ), named from the town unless given.
ORGAN_SUFFIXES = {"government": "人民政府", "committee": "消防安全委员会", "office": "党政办公室"}

# What parts outside the case core (the archive: the town's fonds) set up for each new town, given the town
# and its organ names; registered once at start-up, keyed so a second app in one process registers no twin.
TownHook = Callable[[Session, GridNode, dict[str, str]], None]
_town_hooks: dict[str, TownHook] = {}


def on_new_town(name: str, hook: TownHook) -> None:
    _town_hooks[name] = hook


@dataclass(frozen=True)
class TownSetup:
    """What a town tells Firegrid about itself before its first document (Chinese names as printed)."""

    region: str  # 区/县, e.g. 某某区
    town: str  # 镇/乡/街道, e.g. 某某镇
    admin_username: str
    admin_password: str
    admin_name: str = ""
    government: str = ""  # 发文机关 of the town's documents; default {town}人民政府
    committee: str = ""  # the fire-safety committee; default {town}消防安全委员会
    prefixes: dict[str, str] = field(default_factory=dict)  # NumberPrefix key → 机关代字, where not suggested
    # The committee's member units (organ, head | deputy | member, contact person, phone); without a head,
    # the government heads it. Referral receivers (police, fire) are found among them.
    members: tuple[tuple[str, str, str, str], ...] = ()


def short_name(town: str) -> str:
    """松林镇 → 松林: the part of a town's name its 机关代字 start with."""
    for suffix in TOWN_SUFFIXES:
        if town.endswith(suffix) and len(town) > len(suffix):
            return town.removesuffix(suffix)
    return town


def organ_names(setup: TownSetup) -> dict[str, str]:
    town = setup.town.strip()
    given = {"government": setup.government.strip(), "committee": setup.committee.strip()}
    return {organ: given.get(organ) or f"{town}{suffix}" for organ, suffix in ORGAN_SUFFIXES.items()}


def suggested_prefixes(setup: TownSetup) -> dict[str, str]:
    """The 机关代字 of every number prefix the procedures issue under: given, or suggested from the name."""
    town = setup.town.strip()
    names = {"town": town, "short": short_name(town)}
    return {use.key: (setup.prefixes.get(use.key) or use.suggested.format(**names) or use.key).strip()
            for use in registry.number_uses()}


def is_set_up(session: Session) -> bool:
    """True once any account exists: the setup page is for a server nobody can log in to yet."""
    return session.scalar(select(User.id).limit(1)) is not None


def _problems(session: Session, setup: TownSetup) -> dict[str, str]:
    """Every refused value by field name (the names of the setup form)."""
    problems = {}
    for name, value, label in (("region", setup.region, "区（县）名称"), ("town", setup.town, "镇（街道）名称"),
                               ("username", setup.admin_username, "管理员用户名")):
        if not value.strip():
            problems[name] = f"请填写{label}。"
    try:
        accounts.check_password(setup.admin_password, setup.admin_username)
    except InvalidInput as refused:
        problems["password"] = refused.message
    region = _region(session, setup.region)
    if region is not None and any(c.name == setup.town.strip() for c in region.children):
        problems["town"] = f"{region.name}已有“{setup.town.strip()}”。"
    bad = [code for code in suggested_prefixes(setup).values() if any(b in code for b in "〔〕[]（）()")]
    if bad:
        problems["prefixes"] = "机关代字中不要包含括号，年份括号〔〕由系统自动添加。"
    return problems


def _region(session: Session, name: str) -> GridNode | None:
    return session.scalar(select(GridNode).where(GridNode.level == "region", GridNode.name == name.strip()))


@dataclass(frozen=True)
class SetUpTown:
    town: GridNode
    admin: User


def set_up_town(session: Session, setup: TownSetup, *, now: datetime) -> SetUpTown:
    """The town, ready for its admin to log in and import its organisation. Raises InvalidInput naming
    every refused field at once; the caller rolls back."""
    problems = _problems(session, setup)
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    region = _region(session, setup.region) or grid.add_node(session, parent=None, level="region",
                                                                name=setup.region.strip())
    town = grid.add_node(session, parent=region, level="town", name=setup.town.strip())
    organs = organ_names(setup)
    codes = suggested_prefixes(setup)
    for use in registry.number_uses():
        session.add(NumberPrefix(town_id=town.id, key=use.key, organ=organs[use.organ], prefix=codes[use.key],
                                 grammar=use.grammar, description=use.description))
    _add_committee(session, town, setup, organs["government"])
    for hook in _town_hooks.values():
        hook(session, town, organs)
    admin = accounts.create_user(session, username=setup.admin_username, password=setup.admin_password,
                                 display_name=setup.admin_name or setup.admin_username, roles=["admin"],
                                 scope=town, now=now)
    defaults.ensure_defaults(session)
    return SetUpTown(town, admin)


def _add_committee(session: Session, town: GridNode, setup: TownSetup, government: str) -> None:
    members = list(setup.members)
    if not any(role == "head" for _organ, role, _contact, _phone in members):
        members.insert(0, (government, "head", "", ""))
    for order, (organ, role, contact, phone) in enumerate(members):
        session.add(CommitteeMember(town=town, organ=organ, committee_role=role, contact_person=contact, phone=phone,
                                    sort_order=order))


def town_prefixes(session: Session, town: GridNode) -> list[NumberPrefix]:
    return list(session.scalars(select(NumberPrefix).where(NumberPrefix.town_id == town.id)))
