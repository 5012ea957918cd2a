"""签订率 per grid node with drill-down, the unsigned list, and its Excel reminder list."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from webapp.cases.registry import Figure, Measure, Ratio, Tally, TownTally
from webapp.models import GridNode, User
from webapp.procedures.responsibility_letters.models import LetterCampaign, ResponsibilityLetter
from webapp.services.errors import OutOfScope
from webapp.services.grid import ensure_in_scope, get_node
from webapp.services.spreadsheets import table_workbook

OPEN = ("pending", "issued")


@dataclass
class Rate:
    label: str
    required: int = 0
    signed: int = 0
    node: GridNode | None = None  # set when the row can be drilled into

    @property
    def unsigned(self) -> int:
        return self.required - self.signed

    @property
    def rate(self) -> float:
        return self.signed / self.required if self.required else 0.0

    @property
    def rate_text(self) -> str:
        if not self.required:
            return "—"
        percent = self.rate * 100
        return f"{percent:.0f}%" if percent == int(percent) else f"{percent:.1f}%"


@dataclass
class Dashboard:
    campaign: LetterCampaign
    node: GridNode
    total: Rate
    rows: list[Rate] = field(default_factory=list)
    unsigned: list[ResponsibilityLetter] = field(default_factory=list)
    trail: list[GridNode] = field(default_factory=list)  # from the campaign's node down to this one


def dashboard_node(session: Session, user: User, campaign: LetterCampaign, node_id: int | None) -> GridNode:
    """The node to show: the one asked for, else the campaign's, narrowed to the user's scope."""
    if node_id:
        node = get_node(session, node_id)
    elif user.scope.contains(campaign.grid):
        node = campaign.grid
    else:
        node = user.scope
    if not campaign.grid.contains(node):
        raise OutOfScope("该网格不在本次签订活动的范围内。")
    ensure_in_scope(user, node)
    return node


def _counts(session: Session, campaign: LetterCampaign, node: GridNode) -> tuple[Counter, Counter]:
    rows = session.execute(
        select(ResponsibilityLetter.grid_path, ResponsibilityLetter.status, func.count())
        .where(ResponsibilityLetter.campaign_id == campaign.id, ResponsibilityLetter.status != "void",
               ResponsibilityLetter.grid_path.startswith(node.path))
        .group_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.status))
    required, signed = Counter(), Counter()
    for path, status, count in rows:
        required[path] += count
        if status == "signed":
            signed[path] += count
    return required, signed


def _rate(label: str, required: Counter, signed: Counter, prefix: str, node: GridNode | None = None) -> Rate:
    return Rate(label, sum(c for p, c in required.items() if p.startswith(prefix)),
                sum(c for p, c in signed.items() if p.startswith(prefix)), node)


def build(session: Session, user: User, campaign: LetterCampaign, node_id: int | None = None) -> Dashboard:
    node = dashboard_node(session, user, campaign, node_id)
    required, signed = _counts(session, campaign, node)
    total = _rate(node.name, required, signed, node.path)
    rows = [_rate(child.name, required, signed, child.path, child) for child in node.children]
    own = Rate("本级（镇直部门）" if node.level == "town" else "本级", required[node.path], signed[node.path])
    if own.required:
        rows.append(own)
    # Only nodes the user may open: a village user's trail starts at the village, not the town.
    trail = [n for n in [*node.ancestors(), node] if campaign.grid.contains(n) and user.scope.contains(n)]
    return Dashboard(campaign, node, total, [r for r in rows if r.required], unsigned_letters(session, campaign, node),
                     trail)


def unsigned_letters(session: Session, campaign: LetterCampaign, node: GridNode) -> list[ResponsibilityLetter]:
    return list(session.scalars(
        select(ResponsibilityLetter)
        .where(ResponsibilityLetter.campaign_id == campaign.id, ResponsibilityLetter.status.in_(OPEN),
               ResponsibilityLetter.grid_path.startswith(node.path))
        .order_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.id)))


def reminder_xlsx(dashboard: Dashboard) -> bytes:
    """催签名单: every unsigned counterparty below the node, with responsible person and phone."""
    title = f"{dashboard.campaign.title} 未签订名单（{dashboard.node.name}，签订率 {dashboard.total.rate_text}）"
    rows = ([index, letter.party_b_name, letter.kind_label, letter.grid.display_path(), letter.responsible_person,
             letter.phone, letter.status_label] for index, letter in enumerate(dashboard.unsigned, start=1))
    return table_workbook("未签订名单", ["序号", "签订对象", "类别", "所属网格", "责任人", "联系电话", "状态"], rows,
                          (6, 30, 16, 22, 12, 16, 10), heading=title)


def town_figures(session: Session, towns: list[GridNode], now: datetime) -> dict[int, list[Figure]]:
    """For the county overview: this year's 签订率 of the letters below each town, over all its campaigns (one
    query grouped by grid path for all the towns)."""
    tally = TownTally(towns)
    rows = session.execute(
        select(ResponsibilityLetter.grid_path, ResponsibilityLetter.campaign_id, ResponsibilityLetter.status,
               func.count())
        .join(LetterCampaign, ResponsibilityLetter.campaign_id == LetterCampaign.id)
        .where(LetterCampaign.year == now.year, ResponsibilityLetter.status != "void",
               tally.under(ResponsibilityLetter.grid_path))
        .group_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.campaign_id, ResponsibilityLetter.status))
    rates = {town.id: Rate("签订率") for town in towns}
    campaigns: dict[int, set[int]] = {town.id: set() for town in towns}
    for path, campaign_id, status, count in rows:
        if (town_id := tally.town_of(path)) is not None:
            rates[town_id].required += count
            rates[town_id].signed += count if status == "signed" else 0
            campaigns[town_id].add(campaign_id)
    return {town.id: [_rate_figure(town, rates[town.id], campaigns[town.id], now.year)] for town in towns}


def _rate_figure(town: GridNode, rate: Rate, campaign_ids: set[int], year: int) -> Figure:
    value = f"{rate.rate_text}（{rate.signed}/{rate.required}）" if rate.required else "—"
    if len(campaign_ids) != 1:  # one campaign: its dashboard at the town; several or none: no one page
        return Figure(f"{year}年责任书签订率", value, order=30)
    return Figure(f"{year}年责任书签订率", value, order=30, endpoint="letters.dashboard",
                  args=(("campaign_id", next(iter(campaign_ids))), ("node", town.id)))


def _of_year(stmt: Select, grid: GridNode, year: int) -> Select:
    return (stmt.join(LetterCampaign, ResponsibilityLetter.campaign_id == LetterCampaign.id)
            .where(LetterCampaign.year == year, ResponsibilityLetter.status != "void",
                   ResponsibilityLetter.grid_path.startswith(grid.path)))


def _year_letters(session: Session, grid: GridNode, year: int) -> list[ResponsibilityLetter]:
    stmt = _of_year(select(ResponsibilityLetter), grid, year)
    return list(session.scalars(stmt.order_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.id)))


def _per_path(grid: GridNode, year: int) -> Select:
    rows = select(ResponsibilityLetter.grid_path.label("path"), literal(1).label("weight"))
    return _of_year(rows.select_from(ResponsibilityLetter), grid, year)


def _signed_by(end: date) -> ColumnElement[bool]:
    return and_(ResponsibilityLetter.status == "signed",
                or_(ResponsibilityLetter.signed_on.is_(None), ResponsibilityLetter.signed_on <= end))


def _letter_tally(letter: ResponsibilityLetter) -> Tally:
    return Tally(letter.grid_path, letter.signed_on, letter.party_b_name,
                 f"{letter.kind_label} · {letter.status_label}", "letters.letter", (("letter_id", letter.id),))


def letters_due(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """应签责任书（份）: the letters of the campaigns of the period's year under `grid`."""
    return [_letter_tally(letter) for letter in _year_letters(session, grid, start.year)]


def letters_signed(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """已签责任书（份）: of those, the ones signed by the period's end."""
    stmt = _of_year(select(ResponsibilityLetter), grid, start.year).where(_signed_by(end))
    return [_letter_tally(letter) for letter in session.scalars(
        stmt.order_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.id))]


MEASURES = (
    Measure("letters_due", "应签责任书（份）", letters_due, order=20,
            counted=lambda grid, start, end: _per_path(grid, start.year)),
    Measure("letters_signed", "已签责任书（份）", letters_signed, order=21,
            counted=lambda grid, start, end: _per_path(grid, start.year).where(_signed_by(end))),
    Ratio("signing_rate", "签订率", "letters_signed", "letters_due", order=22),
)
