"""Re-inspection (复查意见书), referral (移交函) and the receiver's feedback: the second half of a case."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import photos as case_photos
from webapp.models import AttachmentRole, Document, ProcessInstance, User
from webapp.procedures.inspection import deadlines
from webapp.procedures.inspection.models import Hazard, Inspection, ReferralReceiver
from webapp.procedures.inspection.records import (
    attach_scan,
    evidence_photos,
    inspection_of,
    issue_step_document,
    organ,
    unit_facts,
)
from webapp.procedures.inspection.referral_models import ReportUp
from webapp.procedures.inspection.setup import receivers
from webapp.services import documents
from webapp.services.documents import DocumentServices

REFERRAL_BASIS = ["《中华人民共和国消防法》第十六条", "《消防监督检查规定》第二十四条"]


NEXT_STEPS = {"interview": "对未整改的火灾隐患，将约谈你单位消防安全责任人，并重新确定整改期限。",
              "no": "对未整改的火灾隐患，依法移交公安派出所或消防救援机构处理。",
              "pending": "其余火灾隐患整改期限未到，请在期限内整改完毕。"}


def _checked(inspection: Inspection, data: dict) -> list[tuple[Hazard, dict]]:
    by_id = {h.id: h for h in inspection.hazards}
    pairs = [(by_id.get(int(check.get("hazard_id") or 0)), check) for check in data.get("checks") or []]
    return [(hazard, check) for hazard, check in pairs if hazard is not None]


def reinspection_context(session: Session, instance: ProcessInstance, data: dict, now: datetime) -> dict:
    """The opinion lists the hazards given a conclusion; one still within its own deadline is left out."""
    inspection = inspection_of(session, instance)
    mark, signature = organ(session, "reinspection", instance)
    checked = _checked(inspection, data)
    answers = {check.get("rectified") for _hazard, check in checked}
    rows = [{"description": hazard.description, "location": hazard.location,
             "corrected": check.get("rectified") == "yes", "remark": check.get("remark") or None}
            for hazard, check in checked if check.get("rectified") != "pending"]
    fixed = all(row["corrected"] for row in rows)
    steps = [NEXT_STEPS[answer] for answer in ("interview", "no", "pending") if answer in answers]
    return {
        "organ_mark": mark, "doc_number": "（印发时编号）", "title": "复查意见书", "unit": unit_facts(inspection.unit),
        "original_number": inspection.notice_number,
        "reinspection": {"date": str(data.get("reinspected_on") or now.date().isoformat())[:10],
                         "inspectors": inspection.inspectors},
        "hazards": rows,
        "conclusion": ("所列火灾隐患已全部整改。" if not steps else "已到期的火灾隐患已整改。")
        if fixed else "部分火灾隐患未整改。",
        "next_step": "".join(steps) or None,
        "signature": signature, "date": now.date().isoformat(), "note": None, "receipt": None,
    }


def apply_reinspection(session: Session, instance: ProcessInstance, data: dict) -> dict:
    """Each checked hazard takes its answer (before the workflow routes on the result)."""
    inspection = inspection_of(session, instance)
    day = date.fromisoformat(str(data.get("reinspected_on"))[:10])
    for hazard, check in _checked(inspection, data):
        deadlines.apply_check(hazard, str(check.get("rectified") or ""), day)
    session.flush()
    return deadlines.route_data(inspection)


def issue_reinspection(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                       user: User | None, now: datetime) -> Document:
    """Keep the re-inspection photos and issue the 复查意见书 (prefix `reinspection`) citing the notice's number."""
    inspection = inspection_of(session, instance)
    context = reinspection_context(session, instance, data, now)
    for hazard, check in _checked(inspection, data):
        hazard.photos = [*hazard.photos, *evidence_photos(session, check.get("photos"), unit=inspection.unit,
                                                          user=user, instance=instance, now=now)]
    document = issue_step_document(
        session, docs, inspection, "reinspect", template_key="reinspection_opinion", prefix_key="reinspection",
        context=context, title=f"复查意见书（{inspection.unit.name}）", user=user, now=now)
    inspection.reinspection_document_id = document.id
    inspection.reinspected_on = date.fromisoformat(context["reinspection"]["date"])
    session.flush()
    return document


def referred_hazards(inspection: Inspection) -> list[Hazard]:
    if inspection.major_hazard and not inspection.notice_number:
        return [h for h in inspection.hazards if h.status != "corrected_on_spot"] or list(inspection.hazards)
    return [h for h in inspection.hazards if h.status == "escalated"]


def actions_taken(session: Session, inspection: Inspection) -> str:
    if not inspection.notice_number:
        return (f"我镇检查组于{_cn(inspection.inspected_at.date())}检查时认定上述情形属重大火灾隐患，"
                "已当场责令该单位采取临时防范措施。")
    text = f"我镇已下发《火灾隐患整改通知书》（{inspection.notice_number}）"
    if inspection.reinspected_on:
        opinion = session.get(Document, inspection.reinspection_document_id)
        text += f"，并于{_cn(inspection.reinspected_on)}复查（{opinion.number if opinion else ''}）"
    return text + "，该单位仍未整改。"


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def chosen_receivers(session: Session, instance: ProcessInstance, data: dict) -> list[ReferralReceiver]:
    """The receivers the 拟制移交函 step chose: one or several (联合处置); cases drafted before a letter could
    go to several hold one kind as text."""
    chosen = data.get("receiver_kind") or ["police"]
    kinds = {chosen} if isinstance(chosen, str) else set(chosen)
    found = receivers(session, instance.grid)
    return [receiver for kind, receiver in found.items() if kind in kinds] or [found["police"]]


def referral_context(session: Session, instance: ProcessInstance, data: dict, now: datetime) -> dict:
    """One letter, its 主送 listing every chosen department (as the town's bundled letters do)."""
    inspection = inspection_of(session, instance)
    mark, signature = organ(session, "referral", instance)
    targets = chosen_receivers(session, instance, data)
    kinds = {t.kind for t in targets}
    attachments = []
    if inspection.notice_number:
        attachments.append(f"火灾隐患整改通知书（{inspection.notice_number}）")
    if inspection.reinspection_document_id:
        attachments.append("复查意见书")
    photos = sum(len(h.photos) for h in inspection.hazards)
    if photos:
        attachments.append(f"现场照片{photos}张")
    return {
        "organ_mark": mark, "doc_number": "（签发后编号）", "addressee": "、".join(t.name for t in targets),
        "title": f"关于移交{inspection.unit.name}火灾隐患的函", "unit": unit_facts(inspection.unit),
        "inspection": {"date": inspection.inspected_at.date().isoformat(), "inspectors": inspection.inspectors},
        "hazards": [{"description": h.description, "location": h.location} for h in referred_hazards(inspection)],
        "actions_taken": data.get("actions_taken") or actions_taken(session, inspection),
        "legal_basis": sorted({h.legal_basis for h in referred_hazards(inspection) if h.legal_basis}) or REFERRAL_BASIS,
        "request": (data.get("requested_action") or "").strip(),  # the letter itself asks for feedback
        "feedback_days": int(data.get("feedback_days") or targets[0].feedback_days),
        "attachments": attachments, "signature": signature, "date": now.date().isoformat(),
        "contact": {"name": data.get("contact_name") or "", "phone": data.get("contact_phone") or ""},
        "cc": [r.name for k, r in receivers(session, instance.grid).items() if k not in kinds],
    }


def issue_referral(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                   user: User | None, now: datetime) -> Document:
    """签发 → 编号 (prefix `referral`) → 印发, with the notice, opinion and photos attached."""
    inspection = inspection_of(session, instance)
    context = referral_context(session, instance, data, now)
    document = issue_step_document(
        session, docs, inspection, "sign_referral", template_key="referral_letter", prefix_key="referral",
        context=context, title=context["title"], user=user, now=now)
    _attach_evidence(session, docs, document, inspection, now)
    for hazard in referred_hazards(inspection):
        hazard.status = "referred"
    inspection.referral_document_id, inspection.referred_on = document.id, now.date()
    inspection.referral_receiver = context["addressee"][:100]  # the column's length; the list has them all
    session.flush()
    return document


def _attach_evidence(session: Session, docs: DocumentServices, letter: Document, inspection: Inspection,
                     now: datetime) -> None:
    for document_id in (inspection.notice_document_id, inspection.reinspection_document_id):
        earlier = session.get(Document, document_id) if document_id else None
        if earlier is not None:
            documents.attach(session, docs, letter, content=docs.store.read(earlier.file_sha256),
                             name=earlier.filename, media_type=documents.DOCX, role=AttachmentRole.ATTACHMENT, now=now)
    for hazard in inspection.hazards:
        for photo in hazard.photos:
            # The receiver prints what it gets: the watermarked copy (made now if the background job has not
            # yet come to it); the original stays in the case by its hash.
            sha256, name, media_type = case_photos.printable(session, docs.store, photo, now)
            documents.attach(session, docs, letter, content=docs.store.read(sha256), name=name,
                             media_type=media_type, role=AttachmentRole.PHOTO, now=now)


def record_feedback(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                    now: datetime) -> None:
    """处理情况反馈: date recorded, scan attached to the letter, referred hazards closed."""
    inspection = inspection_of(session, instance)
    # hazards a village reported up and the town referred in a bundle close with that referral's answers
    bundled = set(session.scalars(select(ReportUp.hazard_id).where(ReportUp.status == "referred",
                                                                  ReportUp.hazard_id.is_not(None))))
    inspection.feedback_on = date.fromisoformat(str(data["feedback_on"])[:10])
    inspection.feedback_measures = str(data.get("measures") or "")
    inspection.feedback_result = str(data.get("result") or "")
    for hazard in inspection.hazards:
        if hazard.status == "referred" and hazard.id not in bundled:
            hazard.status = "closed"
    attach_scan(session, docs, inspection.referral_document_id, data.get("feedback_scan"), AttachmentRole.FEEDBACK,
                now)
    session.flush()
