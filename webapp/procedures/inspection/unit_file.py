"""What the inspection procedure puts in a unit's file (一户一档): each inspection with its hazards, the
rectification notice and its service, the re-inspection, the referral and its feedback."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.cases import photos as case_photos
from webapp.cases.registry import UnitEvent
from webapp.clock import TZ
from webapp.models import Document, Unit
from webapp.procedures.inspection.models import Inspection

CASE = "cases.detail"
# A hazard ledger state summarising several hazards: the most pressing one wins.
_PRESSING = ("escalated", "interview", "open", "referred", "rectified", "closed", "corrected_on_spot")
_STATE = {"escalated": "待移交", "interview": "待约谈", "open": "整改中", "referred": "已移交", "rectified": "已整改",
          "closed": "已办结", "corrected_on_spot": "当场改正"}


def _at(day: date, document: Document | None) -> datetime:
    """When a step happened: its document's issue time, else the end of the recorded day (so an entry of
    that day sorts after the inspection that led to it)."""
    if document is not None and (document.issued_at or document.created_at):
        return document.issued_at or document.created_at
    return datetime.combine(day, time(23, 59), tzinfo=TZ)


def _hazard_state(inspection: Inspection) -> str:
    statuses = {h.status for h in inspection.hazards}
    return next((_STATE[s] for s in _PRESSING if s in statuses), "")


def _inspection_entry(inspection: Inspection, resolved: list[dict]) -> UnitEvent:
    hazards = "；".join(f"{h.description}（{h.status_label}）" for h in inspection.hazards)
    found = f"发现隐患{len(inspection.hazards)}处：{hazards}" if inspection.hazards else "未发现火灾隐患"
    major = "，重大火灾隐患" if inspection.major_hazard else ""
    # The file is shown and exported as one PDF for the county: the watermarked print copies (unit, time,
    # member) where the photo has one; the originals stay on the case page under their SHA-256.
    photos, note = case_photos.display_keys(resolved)
    return UnitEvent(
        when=inspection.inspected_at, kind="消防安全检查",
        summary=f"检查人员：{'、'.join(inspection.inspectors)}；{found}{major}" + (f"（{note}）" if note else ""),
        state=_hazard_state(inspection), endpoint=CASE, args=(("instance_id", inspection.instance_id),),
        document_ids=tuple(i for i in (inspection.record_document_id,) if i), photo_keys=photos)


def _followups(inspection: Inspection, documents: dict[int, Document]) -> list[UnitEvent]:
    case = (("instance_id", inspection.instance_id),)
    found: list[UnitEvent] = []
    notice = documents.get(inspection.notice_document_id or 0)
    if notice is not None:
        served = (f"；{inspection.served_on.isoformat()}送达，签收人{inspection.served_to or '—'}"
                  if inspection.served_on else "")
        deadline = f"，整改期限{inspection.deadline.isoformat()}" if inspection.deadline else ""
        found.append(UnitEvent(
            when=_at(inspection.inspected_at.date(), notice), kind="隐患整改通知书",
            summary=f"{inspection.notice_number or notice.number or ''}{deadline}{served}",
            state="已送达" if inspection.served_on else "待送达", endpoint=CASE, args=case,
            document_ids=(notice.id,)))
    if inspection.reinspected_on:
        opinion = documents.get(inspection.reinspection_document_id or 0)
        fixed = sum(h.status not in ("open", "interview", "escalated") for h in inspection.hazards)
        found.append(UnitEvent(
            when=_at(inspection.reinspected_on, opinion), kind="复查",
            summary=f"复查隐患{len(inspection.hazards)}处，已整改{fixed}处"
                    + (f"；复查意见书{opinion.number}" if opinion is not None and opinion.number else ""),
            state=_hazard_state(inspection), endpoint=CASE, args=case,
            document_ids=(opinion.id,) if opinion is not None else ()))
    if inspection.referred_on:
        letter = documents.get(inspection.referral_document_id or 0)
        found.append(UnitEvent(
            when=_at(inspection.referred_on, letter), kind="隐患移交",
            summary=f"移交{inspection.referral_receiver}"
                    + (f"；移交函{letter.number}" if letter is not None and letter.number else ""),
            state="已反馈" if inspection.feedback_on else "待反馈", endpoint=CASE, args=case,
            document_ids=(letter.id,) if letter is not None else ()))
    if inspection.feedback_on:
        found.append(UnitEvent(
            when=_at(inspection.feedback_on, None), kind="移交处理反馈",
            summary=f"{inspection.referral_receiver}：{inspection.feedback_measures}"
                    + (f"；结果：{inspection.feedback_result}" if inspection.feedback_result else ""),
            endpoint=CASE, args=case))
    return found


def unit_events(session: Session, unit: Unit) -> list[UnitEvent]:
    """The unit's inspections with their hazards and what followed each (read with three queries)."""
    inspections = list(session.scalars(select(Inspection).where(Inspection.unit_id == unit.id)
                                       .options(selectinload(Inspection.hazards))
                                       .order_by(Inspection.inspected_at)))
    ids = {i for x in inspections for i in (x.notice_document_id, x.reinspection_document_id,
                                             x.referral_document_id) if i}
    documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))} if ids else {}
    photos = case_photos.resolve_groups(session, [[p for h in x.hazards for p in h.photos] for x in inspections])
    return [entry for inspection, resolved in zip(inspections, photos, strict=True)
            for entry in (_inspection_entry(inspection, resolved), *_followups(inspection, documents))]
