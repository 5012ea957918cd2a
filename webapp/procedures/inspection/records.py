"""Inspection records (检查记录) and rectification notices (隐患整改通知书): the first half of a case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.cases import leads, special_campaigns
from webapp.cases import photos as case_photos
from webapp.cases.page_reads import shared_read
from webapp.clock import TZ
from webapp.models import AttachmentRole, Document, ProcessInstance, Unit, User
from webapp.procedures.inspection import unit_link
from webapp.procedures.inspection.models import CampaignCheck, ChecklistItem, Hazard, Inspection
from webapp.services import documents, grid, units
from webapp.services.documents import DocumentServices, Subject
from webapp.services.errors import InvalidInput, NotFound
from webapp.services.grid import town_of
from webapp.workdays import WorkdayCalendar

# 整改期限 proposed from severity, in working days after the inspection (editable in the draft).
SEVERITY_WORKDAYS = {"minor": 3, "general": 5, "serious": 10}
SEVERITIES = {"minor": "轻微（3个工作日）", "general": "一般（5个工作日）", "serious": "较重（10个工作日）"}
SERVICE_WORKDAYS = 3  # 送达 within 3 working days of the inspection
CONTACT_OFFICE = "{town}消防安全委员会办公室"


def inspection_route(items: list, major_hazard: bool) -> str:
    """BPMN routing after the record: 'major' → referral, 'notice' → rectification, 'none' → closed."""
    if major_hazard:
        return "major"
    open_items = [i for i in items or [] if i.get("result") == "hazard" and not i.get("corrected_on_spot")]
    return "notice" if open_items else "none"


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=TZ)


def proposed_deadline(calendar: WorkdayCalendar, inspected_on: date, severity: str) -> date:
    return calendar.add_workdays(inspected_on, SEVERITY_WORKDAYS.get(severity, SEVERITY_WORKDAYS["general"]))


def inspection_or_none(session: Session, instance: ProcessInstance) -> Inspection | None:
    """The case's inspection record, read once for the parts of a page (the form, the case panel); with its
    hazards, which every page showing the record lists (one statement instead of two)."""
    return shared_read(session, ("inspection_of", instance.id), lambda: session.scalars(
        select(Inspection).options(joinedload(Inspection.hazards))
        .where(Inspection.instance_id == instance.id)).unique().one_or_none())


def inspection_of(session: Session, instance: ProcessInstance) -> Inspection:
    found = inspection_or_none(session, instance)
    if found is None:
        raise NotFound("该案件没有检查记录。")
    return found


def inspector_names(session: Session, ids: list) -> list[str]:
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([int(i) for i in ids or []])))}
    return [users[int(i)].display_name for i in ids if int(i) in users]


def evidence_photos(session: Session, photos: list | None, *, unit: Unit, user: User | None,
                    instance: ProcessInstance, now: datetime) -> list[dict]:
    """Upload references of a hazard's photos, each queued for its full check and watermarked print copy
    (unit, time, member) in the background."""
    return case_photos.register(session, photos, unit_name=unit.name, member=user, instance_id=instance.id, now=now)


def _item_id(item: dict) -> int:
    value = str(item.get("item_id") or "")
    return int(value) if value.isdigit() else 0


def _hazards_from_items(session: Session, items: list, town_id: int | None, lead_photos: dict[str, list],
                        photos: Callable[[list | None], list[dict]],
                        campaign_bases: dict[str, str]) -> tuple[list[Hazard], list[CampaignCheck]]:
    """The failed items as hazards, each with its checklist item's basis; only the form's items are looked up,
    and only in the unit's town (an id of another town's item gives no basis). An item checking a lead keeps
    the lead's photos before its own. An item of the tagged campaign's own list (`campaign_bases`: name →
    basis) cites the campaign's basis, and is kept as a check of the campaign, pointing at its hazard."""
    ids = {_item_id(i) for i in items if i.get("result") == "hazard"} - {0}
    query = select(ChecklistItem.id, ChecklistItem.legal_basis).where(ChecklistItem.id.in_(ids),
                                                                        ChecklistItem.town_id == town_id)
    bases = {row.id: row.legal_basis for row in session.execute(query)} if ids else {}
    hazards, checks = [], []
    for item in items:
        campaign_item = str(item.get("campaign_item") or "")
        if campaign_item and campaign_item not in campaign_bases:
            raise InvalidInput("专项检查内容与所选专项行动不一致，请重新载入检查项目。", field="items")
        hazard = None
        if item.get("result") == "hazard":
            basis = campaign_bases[campaign_item] if campaign_item else bases.get(_item_id(item), "")
            hazard = Hazard(
                position=len(hazards) + 1, item_name=item.get("item_name") or campaign_item,
                description=item.get("description") or "", location=item.get("location") or "", legal_basis=basis,
                photos=lead_photos.get(str(item.get("lead_id") or ""), []) + photos(item.get("photos")),
                status="corrected_on_spot" if item.get("corrected_on_spot") else "open")
            hazards.append(hazard)
        if campaign_item:
            checks.append(CampaignCheck(item_name=campaign_item, result=str(item.get("result") or ""), hazard=hazard))
    return hazards, checks


def _town_id(unit: Unit) -> int | None:
    town = town_of(unit.grid)
    return town.id if town else None


def record_inspection(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                      user: User | None, now: datetime) -> Inspection:
    """The start form's content as an Inspection with its hazards, and the 检查记录 document."""
    unit = instance.unit
    if unit is None:
        raise InvalidInput("检查记录必须选择被检查单位。")
    inspected_at = datetime.combine(date.fromisoformat(data["inspected_on"][:10]),
                                    time.fromisoformat(data.get("inspected_time") or "09:00"), tzinfo=TZ)
    items = data.get("items") or []
    checkin = units.check_in(session, unit, *units.checkin_values(data))
    campaign = special_campaigns.tag(session, data.get("special_campaign_id"), unit, inspected_at.date())
    hazards, checks = _hazards_from_items(
        session, items, _town_id(unit), _take_up_leads(session, instance, items, now),
        lambda photos: evidence_photos(session, photos, unit=unit, user=user, instance=instance, now=now),
        {item.name: item.legal_basis for item in campaign.items} if campaign else {})
    inspection = Inspection(
        instance=instance, unit=unit, grid=unit.grid, inspected_at=inspected_at,
        inspectors=inspector_names(session, data.get("inspector_ids") or []),
        major_hazard=bool(data.get("major_hazard")), plan_id=data.get("plan_id") or None,
        special_campaign_id=campaign.id if campaign else None, hazards=hazards, campaign_checks=checks,
        checkin_latitude=checkin.latitude, checkin_longitude=checkin.longitude, checkin_accuracy=checkin.accuracy,
        checkin_distance=checkin.distance, checkin_far=checkin.far)
    session.add(inspection)
    session.flush()
    context = record_context(inspection, data)
    document = documents.create_record(
        session, docs, template_key="inspection_record", context=context, title=f"消防安全检查记录（{unit.name}）",
        subject=Subject(unit.grid, unit, instance, "start"), user=user, now=now)
    inspection.record_document_id = document.id
    session.flush()
    return inspection


def _take_up_leads(session: Session, instance: ProcessInstance, items: list, now: datetime) -> dict[str, list]:
    """The leads the record's items checked are taken up (confirmed when found a hazard); lead id → photos."""
    photos = {}
    for item in items:
        if item.get("lead_id"):
            lead = leads.take_up(session, int(item["lead_id"]), instance=instance,
                                 confirmed=item.get("result") == "hazard", now=now)
            photos[str(lead.id)] = list(lead.photos or [])
    return photos


def unit_facts(unit: Unit) -> dict:
    return {"name": unit.name, "address": unit.address, "responsible_person": unit.responsible_person,
            "phone": unit.responsible_phone or unit.manager_phone}


def record_context(inspection: Inspection, data: dict) -> dict:
    results = {"passed": "合格", "hazard": "存在隐患", "na": "不适用"}
    items = [{"name": i.get("item_name") or "", "result": results.get(i.get("result"), ""),
              "remark": (i.get("description") or None) if i.get("result") == "hazard" else None}
             for i in data.get("items") or []]
    return {
        "record_no": f"JC-{inspection.inspected_at.year}-{inspection.id:04d}",
        "unit": unit_facts(inspection.unit),
        "inspection": {"date": inspection.inspected_at.date().isoformat(),
                       "time": inspection.inspected_at.strftime("%H:%M"), "inspectors": inspection.inspectors},
        "items": items,
        "hazards": [{"description": h.description, "location": h.location} for h in inspection.hazards],
        "measures": data.get("measures") or _default_measures(inspection),
        "unit_representative": data.get("unit_representative") or None,
    }


def _default_measures(inspection: Inspection) -> str:
    if inspection.major_hazard:
        return "发现重大火灾隐患，移交有关部门依法处理。"
    if any(h.status == "open" for h in inspection.hazards):
        return "未能当场改正的隐患，另行下发火灾隐患整改通知书。"
    return "未发现需限期整改的火灾隐患。" if not inspection.hazards else "发现的问题已当场改正。"


def organ(session: Session, prefix_key: str, instance: ProcessInstance) -> tuple[str, str]:
    """(organ mark, signature) of the body that issues a document of this prefix."""
    name = documents.number_prefix(session, grid.required_town(instance.grid, "发文编号"), prefix_key).organ
    region = next((n.name for n in instance.grid.ancestors() if n.level == "region"), "")
    return f"{region}{name}", f"{region}{name}"


def town_name(instance: ProcessInstance) -> str:
    town = town_of(instance.grid)
    return town.name if town else ""


@dataclass(frozen=True)
class LinkSettings:
    """The town's public address (FIREGRID_PUBLIC_URL; empty: the notice prints no link) and the signing key."""

    public_url: str = ""
    secret: str = ""


def notice_context(session: Session, instance: ProcessInstance, data: dict, now: datetime,
                   link: LinkSettings | None = None) -> dict:
    """The 隐患整改通知书 from the draft's data (preview: the number is still a placeholder), with the unit's
    own link and its QR code under the closing lines."""
    inspection = inspection_of(session, instance)
    mark, signature = organ(session, "rectification", instance)
    latest = max((d for h in data.get("notice_hazards") or [] if (d := hazard_deadline(h, data))), default=None)
    valid_until = date.fromisoformat(latest) + unit_link.VALID_AFTER_DEADLINE if latest else unit_link.last_day(
        inspection)
    block = unit_link.notice_block(link.public_url, link.secret, inspection, valid_until) if link else None
    return {
        "organ_mark": mark, "doc_number": "（签发后编号）", "title": "火灾隐患整改通知书",
        "unit": unit_facts(inspection.unit),
        "inspection": {"date": inspection.inspected_at.date().isoformat(), "inspectors": inspection.inspectors},
        "hazards": [{"description": h.get("description") or "", "location": h.get("location") or "",
                     "legal_basis": h.get("legal_basis") or "", "deadline": hazard_deadline(h, data) or ""}
                    for h in data.get("notice_hazards") or []],
        "contact_office": CONTACT_OFFICE.format(town=town_name(instance)),
        "signature": signature, "date": now.date().isoformat(), "note": data.get("note") or None, "receipt": None,
        "unit_link": block,
    }


def hazard_deadline(row: dict, data: dict) -> str | None:
    """A hazard's own 整改期限 in the draft, else the notice's."""
    value = row.get("deadline") or data.get("deadline")
    return str(value)[:10] if value else None


def issue_step_document(session: Session, docs: DocumentServices, inspection: Inspection, step_key: str, *,
                        template_key: str, prefix_key: str, context: dict, title: str, user: User | None,
                        now: datetime) -> Document:
    """签发 → 编号 → 印发 of one of the case's documents: the number its preview left open is allocated now."""
    context = {key: value for key, value in context.items() if key != "doc_number"}
    instance = inspection.instance
    return documents.issue(session, docs, template_key=template_key, context=context, prefix_key=prefix_key,
                           title=title, user=user, now=now,
                           subject=Subject(instance.grid, inspection.unit, instance, step_key))


def issue_notice(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                 user: User | None, now: datetime, link: LinkSettings | None = None) -> Document:
    """签发 → 编号 (prefix `rectification`, 第NNNN号) → 印发."""
    inspection = inspection_of(session, instance)
    document = issue_step_document(
        session, docs, inspection, "sign_notice", template_key="rectification_notice", prefix_key="rectification",
        context=notice_context(session, instance, data, now, link),
        title=f"火灾隐患整改通知书（{inspection.unit.name}）", user=user, now=now)
    inspection.notice_document_id, inspection.notice_number = document.id, document.number or ""
    inspection.deadline = date.fromisoformat(str(data["deadline"])[:10])
    _apply_notice_edits(inspection, data)
    session.flush()
    return document


def _apply_notice_edits(inspection: Inspection, data: dict) -> None:
    """The clerk may sharpen a hazard's wording, location and legal basis in the notice, and give it its
    own deadline; the deadline as issued stays on the record, later dates go to `due_on`."""
    by_id = {h.id: h for h in inspection.hazards}
    for row in data.get("notice_hazards") or []:
        hazard = by_id.get(int(row.get("hazard_id") or 0))
        if hazard is not None:
            hazard.description, hazard.location = row.get("description") or "", row.get("location") or ""
            hazard.legal_basis = row.get("legal_basis") or ""
            deadline = hazard_deadline(row, data)
            hazard.deadline = hazard.due_on = date.fromisoformat(deadline) if deadline else None


def attach_scan(session: Session, docs: DocumentServices, document_id: int | None, scan: dict | None,
                role: AttachmentRole, now: datetime) -> None:
    """A signed paper that came back (送达回执, 反馈函) is kept with the document it answers, when both exist."""
    document = session.get(Document, document_id) if document_id else None
    if document is not None and scan:
        documents.attach(session, docs, document, content=docs.store.read(scan["file"]), name=scan["name"],
                         media_type=scan["type"], role=role, now=now)


def record_service(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                   now: datetime) -> None:
    """送达: date and receiver recorded; the signed receipt's scan attached to the notice."""
    inspection = inspection_of(session, instance)
    inspection.served_on = date.fromisoformat(str(data["served_on"])[:10])
    inspection.served_to = str(data.get("receiver_name") or "")
    attach_scan(session, docs, inspection.notice_document_id, data.get("receipt_scan"), AttachmentRole.RECEIPT, now)
    session.flush()
