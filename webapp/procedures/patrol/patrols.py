"""Recording patrols and reading them back: the unit file's entries, coverage visits, the month's list."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session, selectinload

from webapp.cases import actions as cases
from webapp.cases import leads, special_campaigns
from webapp.cases import photos as case_photos
from webapp.cases.page_reads import has_shared_read, shared_read
from webapp.cases.registry import Figure, Measure, StepContext, Tally, UnitEvent, Visit
from webapp.cases.runtime import CaseRuntime
from webapp.clock import TZ
from webapp.models import GridNode, HazardLead, ProcessInstance, SpecialCampaign, Unit, User
from webapp.procedures.patrol.models import CATEGORIES, LEAD_SOURCE, Patrol, PatrolHazard
from webapp.services import units
from webapp.services.errors import InvalidInput
from webapp.services.grid import in_subtree

KEY = "patrol"


def case_title(data: dict) -> str:
    return f"巡查：{data.get('unit_name') or '单位'}"


def start_patrol(session: Session, runtime: CaseRuntime, *, user: User, unit: Unit, data: dict,
                 now: datetime) -> Patrol:
    """Record a patrol of `unit` as a case that ends at once (the after-start hook writes the Patrol)."""
    data = {**data, "unit_id": unit.id, "unit_name": unit.name}
    instance = cases.start_case(session, runtime, procedure_key=KEY, user=user, grid=unit.grid, unit=unit,
                                title=case_title(data), data=data, now=now)
    return patrol_of(session, instance)


def patrol_of(session: Session, instance: ProcessInstance) -> Patrol:
    found = session.scalar(select(Patrol).where(Patrol.instance_id == instance.id))
    if found is None:
        raise InvalidInput("该案件没有巡查记录。")
    return found


def _hazard_entries(data: dict) -> list[dict]:
    if data.get("outcome") == "none":
        return []
    entries = [h for h in data.get("hazards") or [] if h.get("category")]
    for entry in entries:
        if entry["category"] not in CATEGORIES:
            raise InvalidInput(f"隐患类别“{entry['category']}”不在列表中。")
        if not str(entry.get("description") or "").strip():
            raise InvalidInput("请用一句话描述隐患。")
    if data.get("outcome") == "hazard" and not entries:
        raise InvalidInput("请至少填写一项隐患，或点“未发现问题”。")
    return entries


def _evidence(context: StepContext, unit: Unit, photos: list | None) -> list[dict]:
    """The photos' references, each queued for its full check and watermarked print copy (unit, time,
    patroller) in the background."""
    return case_photos.register(context.session, photos, unit_name=unit.name, member=context.user,
                                instance_id=context.instance.id, now=context.now)


def record_patrol(context: StepContext) -> list[int]:
    """After-start hook: the start form's content as a Patrol, each hazard not fixed on the spot a lead."""
    instance, data, user = context.instance, context.data, context.user
    unit = instance.unit
    if unit is None:
        raise InvalidInput("巡查必须选择单位。")
    session = context.session
    checkin = units.check_in(session, unit, *units.checkin_values(data))
    campaign = special_campaigns.tag(session, data.get("special_campaign_id"), unit, context.now.date())
    patrol = Patrol(instance=instance, unit=unit, grid=unit.grid, patrolled_at=context.now,
                    special_campaign_id=campaign.id if campaign else None,
                    patroller_id=user.id if user else None, patroller_name=user.display_name if user else "",
                    checkin_latitude=checkin.latitude, checkin_longitude=checkin.longitude,
                    checkin_accuracy=checkin.accuracy, checkin_distance=checkin.distance, checkin_far=checkin.far)
    session.add(patrol)
    session.flush()
    for position, entry in enumerate(_hazard_entries(data), start=1):
        fixed = str(entry.get("fixed_on_spot")) in ("yes", "True", "true")
        hazard = PatrolHazard(patrol=patrol, position=position, category=entry["category"],
                              description=str(entry.get("description") or "").strip(),
                              photos=_evidence(context, unit, entry.get("photos")), fixed_on_spot=fixed)
        session.add(hazard)
        if not fixed:
            hazard.lead_id = leads.report_lead(
                session, unit=unit, source=LEAD_SOURCE, source_id=patrol.id, category=hazard.category,
                description=hazard.description, photos=hazard.photos, user=user, now=context.now).id
    session.flush()
    return []


def _loaded():  # noqa: ANN202 - a query option
    return selectinload(Patrol.hazards)


def unit_patrols(session: Session, unit: Unit, limit: int | None = None) -> list[Patrol]:
    """Newest first; the unit's page lists them in its patrol section (`limit`) and in its timeline (all), so
    the whole list read for one serves the other."""
    stmt = select(Patrol).where(Patrol.unit_id == unit.id).order_by(Patrol.patrolled_at.desc()).options(_loaded())
    key = ("unit_patrols", unit.id)
    if limit is not None and not has_shared_read(session, key):
        return list(session.scalars(stmt.limit(limit)))
    return shared_read(session, key, lambda: list(session.scalars(stmt)))[:limit]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """"2026-12" → its first moment and the first moment of the next month."""
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=TZ)
    except ValueError as error:
        raise InvalidInput("月份格式应为“2026-12”。") from error
    if not 2000 <= first.year <= 2100:
        raise InvalidInput("月份应在2000年到2100年之间。")
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def patrols_in_scope(session: Session, user: User, month: str, *, mine: bool) -> list[Patrol]:
    """The month's patrols of units in the user's scope, newest first; `mine`: only the user's own."""
    start, end = month_bounds(month)
    stmt = (select(Patrol).join(GridNode, Patrol.grid_id == GridNode.id)
            .where(GridNode.path.startswith(user.scope.path), Patrol.patrolled_at >= start, Patrol.patrolled_at < end)
            .order_by(Patrol.patrolled_at.desc()).options(_loaded(), selectinload(Patrol.unit)))
    if mine:
        stmt = stmt.where(Patrol.patroller_id == user.id)
    return list(session.scalars(stmt))


def lead_states(session: Session, patrols: list[Patrol]) -> dict[int, HazardLead]:
    """Lead id → lead, for showing where each reported hazard stands."""
    return {lead.id: lead for lead in leads.leads_of(session, LEAD_SOURCE, [p.id for p in patrols])}


def hazard_state(hazard: PatrolHazard, states: dict[int, HazardLead]) -> str:
    if hazard.fixed_on_spot:
        return "当场整改"
    lead = states.get(hazard.lead_id or 0)
    return lead.status_label if lead else ""


def summary(patrol: Patrol, states: dict[int, HazardLead]) -> str:
    if patrol.no_problem:
        return "未发现问题"
    parts = [f"{h.category}：{h.description}（{hazard_state(h, states)}）" for h in patrol.hazards]
    return f"发现隐患{len(parts)}处：" + "；".join(parts)


def unit_events(session: Session, unit: Unit) -> list[UnitEvent]:
    """一户一档: one entry per patrol, with its hazards, where they stand and their photos."""
    patrols = unit_patrols(session, unit)
    states = lead_states(session, patrols)
    events = []
    photos = case_photos.resolve_groups(session, [[p for h in patrol.hazards for p in h.photos] for patrol in patrols])
    for patrol, resolved in zip(patrols, photos, strict=True):
        pending = any(states.get(h.lead_id or 0) is not None and states[h.lead_id].status == "open"
                      for h in patrol.hazards)
        # the watermarked print copy (no EXIF position), as the inspection's entries show; a damaged photo
        # is named in the summary instead
        keys, note = case_photos.display_keys(resolved)
        events.append(UnitEvent(
            when=patrol.patrolled_at, kind=LEAD_SOURCE,
            summary=f"{patrol.patroller_name}：{summary(patrol, states)}" + (f"（{note}）" if note else ""),
            state="待检查核实" if pending else "", endpoint="cases.detail",
            args=(("instance_id", patrol.instance_id),), photo_keys=keys))
    return events


def unit_visits(session: Session, grid: GridNode, start: date, end: date) -> list[Visit]:
    """Coverage: every patrol of a unit under `grid` from `start` to `end` (both included) is a visit."""
    # Two columns only, and by the unit's grid now (as the inspection's visits): coverage reads years of them.
    stmt = (select(Patrol.unit_id, Patrol.patrolled_at).join(Unit, Patrol.unit_id == Unit.id)
            .join(GridNode, Unit.grid_id == GridNode.id)
            .where(GridNode.path.startswith(grid.path), *_patrolled_between(start, end)))
    return [Visit(unit_id, moment.astimezone(TZ).date(), LEAD_SOURCE) for unit_id, moment in session.execute(stmt)]


def visited_unit_ids(start: date, end: date) -> Select:
    """The county overview's coverage: the units patrolled from `start` to `end`, counted by the database."""
    return select(Patrol.unit_id).where(*_patrolled_between(start, end))


def _patrolled_between(start: date, end: date) -> tuple[ColumnElement[bool], ...]:
    return (Patrol.patrolled_at >= datetime.combine(start, time.min, TZ),
            Patrol.patrolled_at < datetime.combine(end + timedelta(days=1), time.min, TZ))


def patrols_under(session: Session, grid: GridNode, start: date, end: date) -> list[Patrol]:
    """Patrols of units under `grid` in the period, oldest first (the year-end evaluation counts them)."""
    stmt = (select(Patrol).join(GridNode, Patrol.grid_id == GridNode.id).where(*_patrolled(grid, start, end))
            .order_by(Patrol.patrolled_at).options(_loaded(), selectinload(Patrol.unit)))
    return list(session.scalars(stmt))


def campaign_figures(session: Session, campaign: SpecialCampaign) -> list[Figure]:
    """巡查次数 and 巡查发现隐患 (当场改正) of the patrols tagged to a 专项行动."""
    tagged = Patrol.special_campaign_id == campaign.id
    count = session.scalar(select(func.count(Patrol.id)).where(tagged))
    found, fixed = session.execute(
        select(func.count(PatrolHazard.id), func.count(PatrolHazard.id).filter(PatrolHazard.fixed_on_spot))
        .join(Patrol, PatrolHazard.patrol_id == Patrol.id).where(tagged)).one()
    return [Figure("巡查次数", str(count), 20), Figure("巡查发现隐患", str(found), 21),
            Figure("巡查当场改正", str(fixed), 22)]


def _patrolled(grid: GridNode, start: date, end: date) -> tuple[ColumnElement[bool], ...]:
    return in_subtree(Patrol.grid_id, grid), *_patrolled_between(start, end)


def patrol_tallies(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """巡查（次） of the reports upward: every patrol under `grid` in the period."""
    return [Tally(p.grid.path, p.patrolled_at.astimezone(TZ).date(), p.unit.name,
                  f"{p.patroller_name}：" + ("未发现问题" if p.no_problem else f"发现隐患{len(p.hazards)}处"),
                  "cases.detail", (("instance_id", p.instance_id),))
            for p in patrols_under(session, grid, start, end)]


def patrols_per_path(grid: GridNode, start: date, end: date) -> Select:
    return (select(GridNode.path.label("path"), literal(1).label("weight")).select_from(Patrol)
            .join(GridNode, Patrol.grid_id == GridNode.id).where(*_patrolled(grid, start, end)))


MEASURES = (Measure("patrols", "巡查（次）", patrol_tallies, order=30, counted=patrols_per_path),)
