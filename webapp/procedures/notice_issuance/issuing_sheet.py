"""发文稿纸 (the issuing sheet): made at 印发登记 from the case history and filed with the 定稿.

Each step's person, opinion and date come from the case's recorded events (case_event), not from what a
form says now: the sheet shows the final round, i.e. the last 拟稿 and the 核稿, 会签 and 签发 completed
after it (an earlier round that was sent back is on the case page's history, not on the sheet). The
archive files the sheet and the notice as one item (archive_groups: the notice is the main document).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.registry import StepContext
from webapp.clock import local_day
from webapp.models import CaseEvent, Document, ProcessInstance
from webapp.procedures.notice_issuance import notices
from webapp.services import documents

TEMPLATE = "issuing_sheet"
# The steps a sheet lists under the drafting line, in order (countersign: one row per co-signer).
APPROVAL_STEPS = (("review", "核稿"), ("countersign", "会签"), ("sign_off", "签发"))


def final_round(events: list[CaseEvent]) -> tuple[CaseEvent | None, list[dict]]:
    """The last 拟稿 and the approvals after it: the last 核稿 and 签发, every co-signer's last 会签."""
    drafts = [e for e in events if e.step_key == "draft"]
    draft = drafts[-1] if drafts else None
    after = [e for e in events if draft is None or e.id > draft.id]
    rows = []
    for step_key, name in APPROVAL_STEPS:
        done = {}
        for event in after:
            if event.step_key == step_key:
                done[event.user_id if step_key == "countersign" else step_key] = event
        rows += [{"name": name, "person": e.actor_name, "opinion": e.opinion or "同意", "date": local_day(e.at)}
                 for e in sorted(done.values(), key=lambda e: e.id)]
    return draft, rows


def sheet_context(session: Session, instance: ProcessInstance, data: dict, document: Document, *,
                  printed_on: str, copies: int) -> dict:
    """What the sheet prints: the document's particulars, the drafting line and each approval."""
    events = list(session.scalars(select(CaseEvent).where(CaseEvent.instance_id == instance.id,
                                                          CaseEvent.action == "complete")
                                  .order_by(CaseEvent.id)))
    draft, approvals = final_round(events)
    context = json.loads(document.context_json or "{}")
    return {
        "organ": context.get("signature") or document.issuing_organ or "", "title": document.title,
        "kind": str(data.get("kind") or document.kind), "doc_number": document.number or "",
        "addressees": context.get("addressees") or [], "cc": context.get("cc") or [],
        "attachments": context.get("attachments") or [], "copies": copies, "printed_on": printed_on,
        "drafting_unit": str(data.get("printer") or context.get("issuer") or ""),
        "drafter": draft.actor_name if draft else "", "drafted_on": local_day(draft.at if draft else None),
        "steps": approvals,
    }


def file_sheet(ctx: StepContext) -> Document:
    """印发登记: render the sheet from the history and keep it with the case (the archive groups it)."""
    document = notices.issued_document(ctx.session, ctx.instance)
    context = sheet_context(ctx.session, ctx.instance, ctx.data, document,
                            printed_on=str(ctx.data.get("printed_on") or "")[:10], copies=int(ctx.data["copies"]))
    return documents.create_record(
        ctx.session, ctx.services.documents, template_key=TEMPLATE, context=context,
        title=f"发文稿纸：{document.title}",
        subject=documents.Subject(ctx.instance.grid, ctx.instance.unit, ctx.instance, ctx.step_key),
        user=ctx.user, now=ctx.now)
