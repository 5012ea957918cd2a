"""Hazard leads (隐患线索) between procedures: one reports them (a patrol's hazard not fixed on the spot),
another takes them up (the next inspection of the unit). Neither knows the other; both know this."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.clock import TZ
from webapp.models import GridNode, HazardLead, ProcessInstance, Unit, User
from webapp.services.errors import InvalidInput


def report_lead(session: Session, *, unit: Unit, source: str, source_id: int, category: str, description: str,
                photos: list[dict], user: User | None, now: datetime) -> HazardLead:
    lead = HazardLead(unit=unit, grid=unit.grid, source=source, source_id=source_id, category=category,
                      description=description, photos=list(photos), reported_at=now,
                      reported_by_id=user.id if user else None, reporter_name=user.display_name if user else "")
    session.add(lead)
    session.flush()
    return lead


def open_leads(session: Session, unit_id: int) -> list[HazardLead]:
    """The unit's leads no inspection has taken up yet, oldest first."""
    return list(session.scalars(select(HazardLead).where(HazardLead.unit_id == unit_id, HazardLead.status == "open")
                                .order_by(HazardLead.reported_at, HazardLead.id)))


def leads_of(session: Session, source: str, source_ids: list[int]) -> list[HazardLead]:
    """What one kind of record (e.g. patrols) reported, for showing where each lead stands."""
    if not source_ids:
        return []
    return list(session.scalars(select(HazardLead).where(HazardLead.source == source,
                                                        HazardLead.source_id.in_(source_ids))
                                .order_by(HazardLead.id)))


def take_up(session: Session, lead_id: int, *, instance: ProcessInstance, confirmed: bool,
            now: datetime) -> HazardLead:
    """The case `instance` (an inspection of the lead's unit) checked the lead: a hazard it confirmed, or gone."""
    lead = session.get(HazardLead, lead_id)
    if lead is None or lead.unit_id != instance.unit_id or lead.status != "open":
        raise InvalidInput("巡查线索已被其他检查核实或不属于该单位，请刷新页面后重新填写。")
    lead.status = "confirmed" if confirmed else "not_found"
    lead.taken_up_at, lead.taken_up_instance_id = now, instance.id
    session.flush()
    return lead


def unconfirmed_leads(session: Session, grid: GridNode, year: int) -> list[HazardLead]:
    """Leads reported in `year` under `grid` that no inspection confirmed (still open, or not found): the
    hazard ledger lists them beside the inspections' hazards, which include the confirmed ones."""
    stmt = (select(HazardLead).join(GridNode, HazardLead.grid_id == GridNode.id)
            .where(GridNode.path.startswith(grid.path), HazardLead.status != "confirmed",
                   HazardLead.reported_at >= datetime(year, 1, 1, tzinfo=TZ),
                   HazardLead.reported_at < datetime(year + 1, 1, 1, tzinfo=TZ))
            .order_by(HazardLead.reported_at, HazardLead.id)
            .options(selectinload(HazardLead.unit), selectinload(HazardLead.grid)))
    return list(session.scalars(stmt))


def files_taken_up_by(session: Session, instance: ProcessInstance) -> dict[str, str]:
    """Hash → name of the photos of the leads a case took up: the case shows them with its own uploads."""
    leads = session.scalars(select(HazardLead).where(HazardLead.taken_up_instance_id == instance.id))
    return {photo["file"]: str(photo.get("name") or "") for lead in leads for photo in lead.photos or []
            if isinstance(photo, dict) and isinstance(photo.get("file"), str)}

