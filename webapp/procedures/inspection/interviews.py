"""约谈: hazards still open after their due date are put to the unit's responsible person in an interview;
the 约谈记录 (a form, no number) records it and each hazard gets a new, last deadline — a hazard still not
rectified at that date is referred."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.clock import TZ
from webapp.models import Document, ProcessInstance, User
from webapp.procedures.inspection.models import Interview
from webapp.procedures.inspection.records import inspection_of, town_name, unit_facts
from webapp.services import documents
from webapp.services.documents import DocumentServices, Subject
from webapp.services.errors import NotFound

TEMPLATE = "interview_record"
PENDING = "（约谈后填写）"  # the preview of a record not written yet


def _day(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def schedule(session: Session, instance: ProcessInstance, data: dict) -> Interview:
    """The interview's time, place and people, about every hazard waiting for 约谈."""
    inspection = inspection_of(session, instance)
    moment = datetime.combine(_day(data["scheduled_on"]), time.fromisoformat(data.get("scheduled_time") or "09:00"),
                              tzinfo=TZ)
    interview = Interview(
        inspection=inspection, scheduled_at=moment, place=str(data.get("place") or ""),
        interviewee=str(data.get("interviewee") or ""), interviewers=str(data.get("interviewers") or ""),
        items=[{"hazard_id": h.id, "due_on": None} for h in inspection.hazards if h.status == "interview"])
    session.add(interview)
    session.flush()
    return interview


def current(session: Session, instance: ProcessInstance) -> Interview:
    inspection = inspection_of(session, instance)
    interview = session.scalar(select(Interview).where(Interview.inspection_id == inspection.id)
                               .order_by(Interview.id.desc()))
    if interview is None:
        raise NotFound("该案件没有约谈安排。")
    return interview


def record(session: Session, instance: ProcessInstance, data: dict) -> Interview:
    """What was said and promised; each hazard is open again, due on the date set in the interview."""
    interview = current(session, instance)
    new_dates = {int(row.get("hazard_id") or 0): _day(row["due_on"]) for row in data.get("interview_items") or []
                 if row.get("due_on")}
    interview.held_on = _day(data["held_on"])
    interview.attendees, interview.interviewers = str(data.get("attendees") or ""), str(data.get("interviewers") or "")
    interview.content, interview.commitment = str(data.get("content") or ""), str(data.get("commitment") or "")
    by_id = {h.id: h for h in interview.inspection.hazards}
    items = []
    for item in interview.items:
        hazard = by_id[item["hazard_id"]]
        hazard.status, hazard.interviewed_on = "open", interview.held_on
        hazard.due_on = new_dates.get(hazard.id, hazard.due_on)
        items.append({**item, "due_on": hazard.due_on.isoformat() if hazard.due_on else None})
    interview.items = items
    session.flush()
    return interview


def interview_context(interview: Interview, data: dict | None = None) -> dict:
    """The 约谈记录's fields; in the preview the form's values stand for what is not recorded yet."""
    inspection, data = interview.inspection, data or {}
    by_id = {h.id: h for h in inspection.hazards}
    typed = {int(r.get("hazard_id") or 0): r.get("due_on") for r in data.get("interview_items") or []}
    return {
        "town": town_name(inspection.instance), "unit": unit_facts(inspection.unit),
        "notice_number": inspection.notice_number,
        "scheduled_at": interview.scheduled_at.strftime("%Y-%m-%d %H:%M"),
        "held_on": (interview.held_on.isoformat() if interview.held_on else str(data.get("held_on") or "")[:10])
        or interview.scheduled_at.date().isoformat(),
        "place": interview.place, "interviewee": interview.interviewee,
        "interviewers": interview.interviewers if interview.held_on else str(data.get("interviewers") or
                                                                             interview.interviewers),
        "attendees": interview.attendees or str(data.get("attendees") or interview.interviewee),
        "hazards": [{"description": by_id[i["hazard_id"]].description, "location": by_id[i["hazard_id"]].location,
                     "deadline": (by_id[i["hazard_id"]].deadline or inspection.deadline).isoformat(),
                     "new_deadline": str(i.get("due_on") or typed.get(i["hazard_id"]) or "")[:10] or None}
                    for i in interview.items],
        "content": interview.content or str(data.get("content") or PENDING),
        "commitment": interview.commitment or str(data.get("commitment") or PENDING),
    }


def issue_record(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                 user: User | None, now: datetime) -> Document:
    interview = current(session, instance)
    unit = interview.inspection.unit
    document = documents.create_record(
        session, docs, template_key=TEMPLATE, context=interview_context(interview),
        title=f"约谈记录（{unit.name}）", subject=Subject(instance.grid, unit, instance, "record_interview"),
        user=user, now=now)
    interview.document_id = document.id
    session.flush()
    return document
