"""整改计划 / 延期: the unit asks (the inspector records it) for later dates with a plan; a leader decides.

The notice's 整改期限 stay on each hazard (`Hazard.deadline`); an approved plan moves only `due_on`.
The plan prints as a form (整改计划及延期审批表) with the leader's decision, approved or refused.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Document, ProcessInstance, User
from webapp.procedures.inspection.models import RectificationPlan
from webapp.procedures.inspection.records import inspection_of, town_name, unit_facts
from webapp.services import documents
from webapp.services.documents import DocumentServices, Subject
from webapp.services.errors import NotFound

TEMPLATE = "rectification_plan"


def _day(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def record_application(session: Session, instance: ProcessInstance, data: dict) -> RectificationPlan:
    """The application as the inspector recorded it: hazards given a later date, each with the date it
    was due until now."""
    inspection = inspection_of(session, instance)
    by_id = {h.id: h for h in inspection.hazards if h.status == "open"}
    items = [{"hazard_id": hazard.id, "due_on": _day(row["due_on"]).isoformat(),
              "previous_due": (hazard.due_on or hazard.deadline).isoformat()}
             for row in data.get("plan_items") or [] if row.get("due_on")
             and (hazard := by_id.get(int(row.get("hazard_id") or 0))) is not None]
    plan = RectificationPlan(
        inspection=inspection, applied_on=_day(data["applied_on"]), applicant=str(data.get("applicant") or ""),
        reason=str(data.get("reason") or ""), measures=str(data.get("measures") or ""),
        interim_measures=str(data.get("interim_measures") or ""), items=items)
    session.add(plan)
    session.flush()
    return plan


def pending_plan(session: Session, instance: ProcessInstance) -> RectificationPlan:
    inspection = inspection_of(session, instance)
    plan = session.scalar(select(RectificationPlan).where(RectificationPlan.inspection_id == inspection.id,
                                                          RectificationPlan.status == "pending")
                          .order_by(RectificationPlan.id.desc()))
    if plan is None:
        raise NotFound("该案件没有待审批的整改计划。")
    return plan


def decide(session: Session, instance: ProcessInstance, data: dict, user: User | None, now: datetime
           ) -> RectificationPlan:
    """Approved: each hazard is due on its new date; refused: the dates stay as they were."""
    plan = pending_plan(session, instance)
    plan.status = "approved" if data.get("verdict") == "approve" else "refused"
    plan.decided_by, plan.decided_on = (user.display_name if user else ""), now.date()
    plan.opinion = str(data.get("review_opinion") or "")
    if plan.status == "approved":
        by_id = {h.id: h for h in plan.inspection.hazards}
        for item in plan.items:
            by_id[item["hazard_id"]].due_on = _day(item["due_on"])
    session.flush()
    return plan


def plan_context(plan: RectificationPlan, data: dict | None = None) -> dict:
    """The form's fields; before the decision (the leader's preview) the decision block is blank."""
    inspection = plan.inspection
    by_id = {h.id: h for h in inspection.hazards}
    verdict = {"approved": "approve", "refused": "refuse"}.get(plan.status, (data or {}).get("verdict"))
    return {
        "town": town_name(inspection.instance), "unit": unit_facts(inspection.unit),
        "notice_number": inspection.notice_number, "applied_on": plan.applied_on.isoformat(),
        "applicant": plan.applicant, "reason": plan.reason, "measures": plan.measures,
        "interim_measures": plan.interim_measures,
        "hazards": [{"description": by_id[i["hazard_id"]].description, "location": by_id[i["hazard_id"]].location,
                     "deadline": (by_id[i["hazard_id"]].deadline or _day(i["previous_due"])).isoformat(),
                     "requested": i["due_on"]} for i in plan.items],
        "decision": {"approve": "同意延期，按整改计划所列期限整改。", "refuse": "不予延期，仍按原整改期限整改。"}.get(
            verdict or "", ""),
        "opinion": plan.opinion if plan.status != "pending" else str((data or {}).get("review_opinion") or ""),
        "decided_by": plan.decided_by, "decided_on": plan.decided_on.isoformat() if plan.decided_on else None,
    }


def issue_plan(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
               user: User | None, now: datetime) -> Document:
    """The decided plan as a form of the case (no number), kept on the plan."""
    plan = session.scalar(select(RectificationPlan).where(RectificationPlan.inspection_id
                                                          == inspection_of(session, instance).id)
                          .order_by(RectificationPlan.id.desc()))
    unit = plan.inspection.unit
    document = documents.create_record(
        session, docs, template_key=TEMPLATE, context=plan_context(plan),
        title=f"整改计划及延期审批表（{unit.name}）",
        subject=Subject(instance.grid, unit, instance, "review_extension"), user=user, now=now)
    plan.document_id = document.id
    session.flush()
    return document
