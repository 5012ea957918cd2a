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
BRACKETS = "机关代字中不要包含括号，年份括号〔〕由系统自动添加。"

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
    admin_username: str = ""  # a county's next town may leave its admin to the workbook (or the county admin)
    admin_password: str = ""
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


def problems(session: Session, setup: TownSetup, *, admin_required: bool = True) -> dict[str, str]:
    """Every refused value by field name (the names of the setup and add-town forms), all at once. The
    admin account is checked when required (a first start) or when any of it is given."""
    found = {}
    for name, value, label in (("region", setup.region, "区（县）名称"), ("town", setup.town, "镇（街道）名称")):
        if not value.strip():
            found[name] = f"请填写{label}。"
    found |= _admin_problems(session, setup, admin_required)
    region = _region(session, setup.region)
    if region is not None and any(c.name == setup.town.strip() for c in region.children):
        found["town"] = f"{region.name}已有“{setup.town.strip()}”。"
    codes = suggested_prefixes(setup)
    for key, code in codes.items():
        if any(b in code for b in "〔〕[]（）()"):
            # a code typed into its own field is refused there; one suggested from the name, for all
            found[f"prefix_{key}" if setup.prefixes.get(key) else "prefixes"] = BRACKETS
    return found


def _admin_problems(session: Session, setup: TownSetup, required: bool) -> dict[str, str]:
    username = setup.admin_username.strip()
    if not (required or username or setup.admin_password):
        return {}
    found = {}
    if not username:
        found["username"] = "请填写管理员用户名。"
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        found["username"] = f"用户名“{username}”已被使用。"
    try:
        accounts.check_password(setup.admin_password, username)
    except InvalidInput as refused:
        found["password"] = refused.message
    return found


def check(session: Session, setup: TownSetup, *, admin_required: bool = True) -> None:
    """Raise InvalidInput naming every refused field at once (nothing is written)."""
    found = problems(session, setup, admin_required=admin_required)
    if found:
        raise InvalidInput("；".join(dict.fromkeys(found.values())), fields=found)


def _region(session: Session, name: str) -> GridNode | None:
    return session.scalar(select(GridNode).where(GridNode.level == "region", GridNode.name == name.strip()))


@dataclass(frozen=True)
class SetUpTown:
    town: GridNode
    admin: User | None  # None: a town added without its own admin (by the county, who imports its workbook)


def set_up_town(session: Session, setup: TownSetup, *, now: datetime, admin_required: bool = True) -> SetUpTown:
    """The town, ready for its admin (or the county's) to import its organisation. Raises InvalidInput
    naming every refused field at once; the caller rolls back."""
    check(session, setup, admin_required=admin_required)
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
    admin = None
    if setup.admin_username.strip():
        # a next town's admin has a password the county chose: changed at the first login
        admin = accounts.create_user(session, username=setup.admin_username, password=setup.admin_password,
                                     display_name=setup.admin_name or setup.admin_username, roles=["admin"],
                                     scope=town, now=now, must_change_password=not admin_required)
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
