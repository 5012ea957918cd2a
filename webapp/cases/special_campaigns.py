"""专项行动 (special campaigns): a town's drive with a period, target kinds and areas and its own checklist.

The campaign is core data; each procedure tags its own records (inspections, patrols) and reports its own
figures through `Procedure.campaign_figures`, so the campaign never reads a procedure's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import registry
from webapp.cases.registry import Figure, ItemCount
from webapp.models import GridNode, ProcessInstance, SpecialCampaign, Unit, User, WorkTask
from webapp.models.campaigns import CampaignItem
from webapp.models.grid import UNIT_CATEGORIES
from webapp.services.documents import DocumentServices
from webapp.services.errors import InvalidInput, NotFound, OutOfScope
from webapp.services.grid import ensure_in_scope, organ_name, required_town, town_of

REPORT_TEMPLATE = "campaign_report"
# An item's line in the admin's form: "疏散通道是否畅通｜《消防法》第二十八条" (the basis after the bar).
BASIS_BAR = "｜"
NAME_LENGTH, BASIS_LENGTH = 100, 200  # those of a hazard's item name and legal basis, where a failed item goes


@dataclass(frozen=True)
class CampaignInput:
    """What the admin's form gives: plain values, checked here once more."""

    name: str
    starts_on: date
    ends_on: date
    categories: list[str]
    area_ids: list[int]
    checklist: list[str]  # one item a line, its basis after a bar (BASIS_BAR, or "|")
    basis: str = ""  # 依据: the document that asked for the campaign
    basis_instance_id: int | None = None  # the 收文 case it is set up from (kept from the first save)


def parse_items(lines: list[str]) -> list[CampaignItem]:
    """The form's lines as items; blank lines are dropped."""
    items = []
    for line in lines:
        name, _bar, basis = line.replace("|", BASIS_BAR).partition(BASIS_BAR)
        if name.strip() or basis.strip():
            items.append(CampaignItem(name.strip(), basis.strip()))
    return items


def item_line(item: CampaignItem) -> str:
    """An item as the admin's form shows it."""
    return f"{item.name}{BASIS_BAR}{item.legal_basis}" if item.legal_basis else item.name


def checklist_problem(items: list[CampaignItem]) -> str:
    """What is wrong with the items (empty: nothing); a failed item becomes a hazard line, hence the lengths."""
    names = [item.name for item in items]
    if not all(names):
        return "每项专项检查内容都要写明检查内容（“｜”前的部分）。"
    if len(set(names)) < len(names):
        return "专项检查内容有重复的项目。"
    if any(len(item.name) > NAME_LENGTH for item in items):
        return f"每项检查内容不超过{NAME_LENGTH}字。"
    if any(len(item.legal_basis) > BASIS_LENGTH for item in items):
        return f"每项依据不超过{BASIS_LENGTH}字。"
    return ""


def _problems(session: Session, town: GridNode, values: CampaignInput, campaign_id: int | None) -> dict[str, str]:
    problems = {}
    if not values.name.strip():
        problems["name"] = "请填写专项行动名称。"
    same = session.scalar(select(SpecialCampaign.id).where(SpecialCampaign.town_id == town.id,
                                                           SpecialCampaign.name == values.name.strip()))
    if same is not None and same != campaign_id:
        problems["name"] = "本镇已有同名的专项行动。"
    if values.ends_on < values.starts_on:
        problems["ends_on"] = "结束日期不能早于开始日期。"
    if set(values.categories) - set(UNIT_CATEGORIES):
        problems["categories"] = "请从列表中选择场所类别。"
    nodes = [session.get(GridNode, i) for i in values.area_ids]
    if any(node is None or not town.contains(node) for node in nodes):
        problems["area_ids"] = "只能选择本镇的网格。"
    if problem := checklist_problem(parse_items(values.checklist)):
        problems["checklist"] = problem
    return problems


def town_to_change(user: User, campaign: SpecialCampaign | None = None) -> GridNode:
    """The town whose campaigns the user makes or changes: a town-level user's own (a village user reads only)."""
    town = campaign.town if campaign is not None else required_town(user.scope, "专项行动")
    ensure_in_scope(user, town)
    return town


def save(session: Session, *, user: User, values: CampaignInput, now: datetime,
         campaign: SpecialCampaign | None = None) -> SpecialCampaign:
    """Create a campaign in the user's town, or change one; every problem at once, beside its field."""
    town = town_to_change(user, campaign)
    problems = _problems(session, town, values, campaign.id if campaign else None)
    if problems:
        raise InvalidInput("专项行动未保存，请按提示修改。", fields=problems)
    if campaign is None:
        campaign = SpecialCampaign(town=town, created_at=now,
                                   basis_instance_id=_basis_case(session, user, values.basis_instance_id))
        session.add(campaign)
    campaign.basis = values.basis.strip()[:300]
    campaign.name, campaign.starts_on, campaign.ends_on = values.name.strip(), values.starts_on, values.ends_on
    campaign.categories, campaign.area_ids = list(values.categories), list(values.area_ids)
    campaign.checklist = [{"name": item.name, "legal_basis": item.legal_basis}
                          for item in parse_items(values.checklist)]
    session.flush()
    return campaign


def _basis_case(session: Session, user: User, instance_id: int | None) -> int | None:
    """The 收文 case a new campaign answers: one in the user's scope (another town's: 403, logged) that the user
    is handling now (holds a step of it, as the 承办 person does), like the 收文's own 由此发起."""
    if instance_id is None:
        return None
    case = session.get(ProcessInstance, instance_id)
    if case is None:
        raise NotFound("依据的来文案件不存在。")
    ensure_in_scope(user, case.grid)
    holds = select(WorkTask.id).where(WorkTask.instance_id == case.id, WorkTask.assignee_id == user.id)
    if case.status != "running" or session.scalar(holds.limit(1)) is None:
        raise OutOfScope("只有正在承办该来文的人可以由此建立专项行动。")
    return case.id


def set_up_from(session: Session, instance_id: int) -> list[SpecialCampaign]:
    """The campaigns set up from this 收文 case (its 由此发起的办理), oldest first."""
    return list(session.scalars(select(SpecialCampaign).where(SpecialCampaign.basis_instance_id == instance_id)
                                .order_by(SpecialCampaign.id)))


def get(session: Session, user: User, campaign_id: int) -> SpecialCampaign:
    """A campaign of the user's town (one of another town is out of scope, 403)."""
    campaign = session.get(SpecialCampaign, campaign_id)
    if campaign is None:
        raise NotFound("专项行动不存在。")
    if not (user.scope.contains(campaign.town) or campaign.town.contains(user.scope)):
        raise OutOfScope(f"专项行动“{campaign.name}”不在您的管辖范围内。")
    return campaign


def of_town(session: Session, user: User) -> list[SpecialCampaign]:
    """The campaigns the user's scope reaches: its town's, or every town's below a county scope; newest first."""
    town = town_of(user.scope)
    stmt = select(SpecialCampaign).join(SpecialCampaign.town)
    stmt = stmt.where(SpecialCampaign.town_id == town.id) if town else stmt.where(
        GridNode.path.startswith(user.scope.path))
    return list(session.scalars(stmt.order_by(SpecialCampaign.starts_on.desc(), SpecialCampaign.id.desc())))


def areas(session: Session, campaign: SpecialCampaign) -> list[GridNode]:
    return [node for i in campaign.area_ids if (node := session.get(GridNode, i)) is not None]


def open_for(session: Session, user: User, day: date) -> list[SpecialCampaign]:
    """The user's town's campaigns open on `day`: the choices of an inspection or patrol form."""
    return [c for c in of_town(session, user) if c.open_on(day)]


def choices(session: Session, user: User, day: date, unit: Unit | None) -> list[SpecialCampaign]:
    """The campaigns a record of `unit` on `day` may be tagged to (any unit's, while none is chosen)."""
    return [c for c in open_for(session, user, day) if unit is None or c.covers(unit, areas(session, c))]


def items_of(session: Session, campaign_id: int | None) -> list[CampaignItem]:
    """The checklist items of a campaign (none for no or an unknown campaign)."""
    campaign = session.get(SpecialCampaign, campaign_id) if campaign_id else None
    return campaign.items if campaign is not None else []


def tag(session: Session, campaign_id: int | None, unit: Unit, day: date) -> SpecialCampaign | None:
    """The campaign a record of `unit` on `day` is tagged to, after checking it is open then and targets the
    unit; None when no campaign was chosen."""
    if not campaign_id:
        return None
    campaign = session.get(SpecialCampaign, campaign_id)
    if campaign is None:
        raise InvalidInput("所选专项行动不存在。", field="special_campaign_id")
    if not campaign.open_on(day):
        raise InvalidInput(f"专项行动“{campaign.name}”在{day.isoformat()}不在行动期内。", field="special_campaign_id")
    if not campaign.covers(unit, areas(session, campaign)):
        raise InvalidInput(f"“{unit.name}”不在专项行动“{campaign.name}”的对象范围内。", field="special_campaign_id")
    return campaign


def figures(session: Session, campaign: SpecialCampaign) -> list[Figure]:
    """The campaign's statistics, from every procedure's tagged records."""
    return registry.campaign_figures(session, campaign)


@dataclass(frozen=True)
class ItemFigure:
    """One of the campaign's own checklist items with how the tagged records found it."""

    name: str
    legal_basis: str
    checked: int
    failed: int
    rectified: int
    listed: bool = True  # False: no longer on the campaign's checklist, but checked while it was


def item_figures(session: Session, campaign: SpecialCampaign) -> list[ItemFigure]:
    """Per item of the campaign's checklist, in its order, the tagged records' 检查/不合格/已整改 counts; then any
    item since taken off the list that records checked."""
    counts = registry.campaign_item_counts(session, campaign)
    found = [ItemFigure(item.name, item.legal_basis, *_counted(counts.pop(item.name, ItemCount())))
             for item in campaign.items]
    return found + [ItemFigure(name, "", *_counted(count), listed=False) for name, count in sorted(counts.items())]


def _counted(count: ItemCount) -> tuple[int, int, int]:
    return count.checked, count.failed, count.rectified


def report_context(session: Session, campaign: SpecialCampaign, *, today: date) -> dict:
    """The closing report's (专项行动总结报告) data."""
    places = "、".join(campaign.category_labels) or "全部场所"
    return {
        "name": campaign.name, "organ": organ_name(campaign.town), "made_on": today.isoformat(),
        "period": f"{campaign.starts_on.isoformat()} 至 {campaign.ends_on.isoformat()}",
        "targets": places, "areas": "、".join(n.name for n in areas(session, campaign)) or campaign.town.name,
        "checklist": [{"name": f.name if f.listed else f"{f.name}（已移出检查内容）", "basis": f.legal_basis,
                       "checked": f.checked, "failed": f.failed, "rectified": f.rectified}
                      for f in item_figures(session, campaign)],
        "figures": [{"label": f.label, "value": f.value} for f in figures(session, campaign)],
    }


def closing_report(session: Session, docs: DocumentServices, campaign: SpecialCampaign, *, today: date) -> bytes:
    """专项行动总结报告 as a DOCX (a form like the others: 16 pt 仿宋 on the GB/T 9704 page)."""
    return docs.renderer.render(REPORT_TEMPLATE, report_context(session, campaign, today=today))
