"""村（社区）上报: a village clerk passes a hazard or a patrol lead up to the town's referral queue with a note;
the town refers several queued items at once (referrals.refer_bundle)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.models import GridNode, HazardLead, User
from webapp.procedures.inspection.models import Hazard, Inspection
from webapp.procedures.inspection.referral_models import ReportUp
from webapp.services import audit, grid
from webapp.services.errors import InvalidInput, NotFound

OPEN_HAZARD_STATES = ("open",)


def report(session: Session, user: User, *, hazard_id: int | None = None, lead_id: int | None = None, note: str,
           now: datetime) -> ReportUp:
    """Queue one open hazard or open lead (in the user's scope) for the town; once only."""
    hazard = session.get(Hazard, hazard_id) if hazard_id else None
    lead = session.get(HazardLead, lead_id) if lead_id and hazard is None else None
    if hazard is None and lead is None:
        raise NotFound("没有这个隐患或线索。")
    place = hazard.inspection.grid if hazard else lead.grid
    grid.ensure_in_scope(user, place)
    if (hazard and hazard.status not in OPEN_HAZARD_STATES) or (lead and lead.status != "open"):
        raise InvalidInput("该隐患已整改、已移交或已办结，无需上报。")
    if _already_queued(session, hazard, lead):
        raise InvalidInput("该隐患已上报，正在等待镇（街道）移交。")
    town = grid.required_town(place, "上报")
    unit_id = hazard.inspection.unit_id if hazard else lead.unit_id
    row = ReportUp(town_id=town.id, grid_id=user.scope.id, unit_id=unit_id, hazard=hazard, lead=lead,
                   note=note.strip()[:1000], reported_at=now, reported_by_id=user.id)
    session.add(row)
    session.flush()
    audit.record(session, at=now, user=user, action="report_up", object_type="report_up", object_id=row.id,
                 summary=f"{row.unit.name}：{row.description[:60]}")
    return row


def _already_queued(session: Session, hazard: Hazard | None, lead: HazardLead | None) -> bool:
    column, value = (ReportUp.hazard_id, hazard.id) if hazard else (ReportUp.lead_id, lead.id)
    return session.scalar(select(ReportUp.id).where(column == value, ReportUp.status == "queued")) is not None


def queue(session: Session, town: GridNode) -> list[ReportUp]:
    """待移交: what the town's villages (and its own staff) queued, oldest first."""
    stmt = (select(ReportUp).where(ReportUp.town_id == town.id, ReportUp.status == "queued")
            .order_by(ReportUp.reported_at, ReportUp.id)
            .options(selectinload(ReportUp.unit), selectinload(ReportUp.grid), selectinload(ReportUp.hazard),
                     selectinload(ReportUp.lead), selectinload(ReportUp.reported_by)))
    return list(session.scalars(stmt))


def reportable_leads(session: Session, user: User) -> list[HazardLead]:
    """Open patrol leads in the user's scope that are not queued yet (the village clerk's list to report from)."""
    queued = select(ReportUp.lead_id).where(ReportUp.lead_id.is_not(None), ReportUp.status == "queued")
    stmt = (select(HazardLead).join(GridNode, HazardLead.grid_id == GridNode.id)
            .where(GridNode.path.startswith(user.scope.path), HazardLead.status == "open", HazardLead.id.not_in(queued))
            .order_by(HazardLead.reported_at.desc()).limit(200).options(selectinload(HazardLead.unit)))
    return list(session.scalars(stmt))


def reportable_hazards(session: Session, user: User) -> list[Hazard]:
    """Open hazards of inspections in the user's scope that are not queued yet."""
    queued = select(ReportUp.hazard_id).where(ReportUp.hazard_id.is_not(None), ReportUp.status == "queued")
    stmt = (select(Hazard).join(Inspection).join(GridNode, Inspection.grid_id == GridNode.id)
            .where(GridNode.path.startswith(user.scope.path), Hazard.status.in_(OPEN_HAZARD_STATES),
                   Hazard.id.not_in(queued))
            .order_by(Inspection.inspected_at.desc(), Hazard.position).limit(200)
            .options(selectinload(Hazard.inspection).selectinload(Inspection.unit)))
    return list(session.scalars(stmt))
