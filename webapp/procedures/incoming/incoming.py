"""收文: registration with a 收文编号, the steps' records, 传阅 state and the 收文处理单.

The 收文编号 is allocated in the registering transaction (services.numbering): a refused registration
rolls it back, so no number is consumed.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.cases import follow_ups, special_campaigns
from webapp.cases.registry import Basis, StepContext
from webapp.cases.runtime import CaseRuntime
from webapp.clock import local_day
from webapp.models import AttachmentRole, DocumentAttachment, GridNode, ProcessInstance, User
from webapp.procedures.incoming.models import IncomingDocument, IncomingReading
from webapp.services import documents, numbering
from webapp.services.errors import InvalidInput, OutOfScope
from webapp.services.grid import required_town

PROCEDURE_KEY = "incoming"
PREFIX_KEY = "incoming"
SHEET = "incoming_sheet"
# What a received file may be: the archive keeps PDF and DOCX (OFD is converted before it is registered).
RECEIVED_TYPES = {"application/pdf": "PDF",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX"}
OFD_HINT = "OFD 文件请先用版式阅读器另存（转换）为 PDF 后上传。"


def case_title(data: dict) -> str:
    return f"收文：{data.get('title') or ''}"


def incoming_of(session: Session, instance: ProcessInstance) -> IncomingDocument | None:
    return session.scalar(select(IncomingDocument).where(IncomingDocument.instance_id == instance.id)
                          .options(selectinload(IncomingDocument.readings)))


def _required(session: Session, instance: ProcessInstance) -> IncomingDocument:
    found = incoming_of(session, instance)
    if found is None:
        raise InvalidInput("该收文尚未登记。")
    return found


def _name(user: User | None) -> str:
    return user.display_name if user else ""


def candidates(session: Session, instance: ProcessInstance | None, role: str) -> list[User]:
    """Enabled users of `role` whose scope covers the case (承办: 文书; 传阅: 领导)."""
    if instance is None:
        return []
    users = session.scalars(select(User).order_by(User.username))
    return [u for u in users if u.has_role(role) and u.is_enabled and instance.grid.path.startswith(u.scope.path)]


def register(context: StepContext) -> list[int]:
    """签收/登记 (the start form): the received file is checked, the 收文编号 allocated, the row written."""
    data, session = context.data, context.session
    ref = data.get("received_file") or None
    if not ref:
        raise InvalidInput("请上传来文文件。", fields={"received_file": "请上传来文文件。"})
    if ref.get("type") not in RECEIVED_TYPES:
        message = f"来文文件只接受 PDF 或 DOCX。{OFD_HINT}"
        raise InvalidInput(message, fields={"received_file": message})
    town = required_town(context.instance.grid, "收文登记")
    prefix = documents.number_prefix(session, town, PREFIX_KEY)
    allocated = numbering.allocate(session, town_id=town.id, prefix=prefix.prefix, year=context.now.year,
                                   grammar=prefix.grammar, now=context.now)
    incoming = IncomingDocument(
        instance=context.instance, town=town, number=allocated.number, sender=data["sender"],
        sender_number=data.get("sender_number") or "", title=data["title"], secrecy=data["secrecy"],
        urgency=data["urgency"], received_on=date.fromisoformat(str(data["received_on"])[:10]), file=ref,
        registered_by_name=_name(context.user), registered_at=context.now)
    session.add(incoming)
    session.flush()
    return []


def record_proposal(context: StepContext) -> list[int]:
    incoming = _required(context.session, context.instance)
    incoming.proposal = context.data.get("proposal") or ""
    incoming.proposed_by_name, incoming.proposed_at = _name(context.user), context.now
    return []


def check_assignment(context: StepContext) -> list[int]:
    """Before 批办 completes: the named people must hold the step's role in the case's scope."""
    session, instance, data = context.session, context.instance, context.data
    handlers = {u.username for u in candidates(session, instance, "clerk")}
    readers = {u.username for u in candidates(session, instance, "leader")}
    if data.get("handler") not in handlers:
        raise InvalidInput("承办人不在可选范围内。", fields={"handler": "请选择承办人。"})
    chosen = list(dict.fromkeys(data.get("readers") or []))
    if any(name not in readers for name in chosen):
        raise InvalidInput("传阅人不在可选范围内。", fields={"readers": "传阅人不在可选范围内。"})
    data["readers"] = chosen
    return []


def record_assignment(context: StepContext) -> list[int]:
    """批办: the instruction, the 承办 person and one 传阅 row per reader (their tasks open in parallel)."""
    session, data = context.session, context.data
    incoming = _required(session, context.instance)
    incoming.instruction = data.get("instruction") or ""
    incoming.assigned_by_name, incoming.assigned_at = _name(context.user), context.now
    incoming.handler = session.scalar(select(User).where(User.username == data["handler"]))
    for position, username in enumerate(data.get("readers") or []):
        reader = session.scalar(select(User).where(User.username == username))
        incoming.readings.append(IncomingReading(user=reader, position=position, reader_name=reader.display_name))
    session.flush()
    return []


def record_reading(context: StepContext) -> list[int]:
    """已阅: the reader's own row (the 传阅 task is named for them)."""
    incoming = _required(context.session, context.instance)
    reading = next((r for r in incoming.readings if context.user and r.user_id == context.user.id), None)
    if reading is None:
        raise InvalidInput("您不在本件的传阅名单中。")
    reading.read_at, reading.remark = context.now, (context.data.get("read_remark") or "").strip()
    return []


def record_handling(context: StepContext) -> list[int]:
    incoming = _required(context.session, context.instance)
    incoming.handling, incoming.handled_at = context.data.get("handling") or "", context.now
    return []


def basis(incoming: IncomingDocument) -> Basis:
    return Basis(incoming.instance_id, incoming.title, incoming.sender, incoming.sender_number)


def campaign_prefill(incoming: IncomingDocument) -> dict[str, object]:
    """What a 专项行动 set up from this document starts with: its name from the title (关于开展…的通知 →
    …), the document as its 依据, and this case."""
    name = re.sub(r"^关于(开展|组织开展|深入开展)?", "", incoming.title)
    name = re.sub(r"的(通知|实施方案|工作方案|方案|意见)$", "", name) or incoming.title
    return {"name": name[:100], "basis": basis(incoming).label[:300], "basis_case": incoming.instance_id}


def start_follow_up(session: Session, runtime: CaseRuntime, *, instance: ProcessInstance, key: str, user: User,
                    now: datetime) -> ProcessInstance:
    """承办: the handling person starts another procedure (发文, 会议 …) from the received document, before the
    承办 step is submitted; the new case is linked to this one (cases.follow_ups)."""
    incoming = _required(session, instance)
    if incoming.handler_id != user.id:
        raise OutOfScope("只有本件的承办人可以由此发起办理。")
    if incoming.handled_at is not None or instance.status != "running":
        raise InvalidInput("本件已承办完毕，不能再由此发起办理。")
    return follow_ups.start(session, runtime, key=key, basis=basis(incoming), user=user, now=now)


def started_from(session: Session, instance: ProcessInstance) -> list[str]:
    """由此发起的办理 as the 收文处理单 names it: the cases started from this one, then the 专项行动 set up."""
    cases = [case.title for case in follow_ups.started_from(session, instance)]
    return cases + [f"专项行动：{c.name}" for c in special_campaigns.set_up_from(session, instance.id)]


def _closing_opinion(closing_note: str, started: list[str]) -> str:
    """办结's line on the 收文处理单: the note, and what the handling started (its 办理结果)."""
    opinion = (closing_note or "办结").rstrip("。")
    return f"{opinion}。由此发起：{'、'.join(started)}" if started else opinion


def sheet_context(incoming: IncomingDocument, *, closing_note: str = "", closed_by: str = "",
                  closed_on: str = "", started: list[str] | None = None) -> dict:
    """What the 收文处理单 prints: the registration, then each step's person, opinion and date."""
    readings = [{"name": r.reader_name, "date": local_day(r.read_at), "remark": r.remark or "已阅"}
                if r.read_at else {"name": r.reader_name, "date": "", "remark": "未阅"} for r in incoming.readings]
    return {
        "town": incoming.town.name, "number": incoming.number, "sender": incoming.sender,
        "sender_number": incoming.sender_number, "title": incoming.title, "secrecy": incoming.secrecy,
        "urgency": incoming.urgency, "received_on": incoming.received_on.isoformat(),
        "registered_by": incoming.registered_by_name,
        "steps": [
            {"name": "拟办", "person": incoming.proposed_by_name, "opinion": incoming.proposal,
             "date": local_day(incoming.proposed_at)},
            {"name": "批办", "person": incoming.assigned_by_name, "opinion": incoming.instruction,
             "date": local_day(incoming.assigned_at)},
            {"name": "承办", "person": _name(incoming.handler), "opinion": incoming.handling,
             "date": local_day(incoming.handled_at)},
            {"name": "办结", "person": closed_by, "opinion": _closing_opinion(closing_note, started or []),
             "date": closed_on},
        ],
        "readings": readings,
    }


def close(context: StepContext) -> list[int]:
    """办结: the 收文处理单 is made and filed with the received file as its attachment (one archive item)."""
    session = context.session
    incoming = _required(session, context.instance)
    incoming.closing_note = (context.data.get("closing_note") or "").strip()
    incoming.closed_by_name, incoming.closed_at = _name(context.user), context.now
    data = sheet_context(incoming, closing_note=incoming.closing_note, closed_by=incoming.closed_by_name,
                         closed_on=local_day(context.now),
                         started=started_from(session, context.instance))
    sheet = documents.create_record(
        session, context.services.documents, template_key=SHEET, context=data, title=f"收文处理单：{incoming.title}",
        subject=documents.Subject(context.instance.grid, None, context.instance, context.step_key),
        user=context.user, now=context.now)
    ref = incoming.file
    session.add(DocumentAttachment(document=sheet, file_sha256=ref["file"], name=ref.get("name") or "来文",
                                   role=AttachmentRole.RECEIVED.value, created_at=context.now))
    incoming.sheet = sheet
    session.flush()
    return [sheet.id]


def preview(context: StepContext, template_key: str) -> dict:
    incoming = _required(context.session, context.instance)
    return sheet_context(incoming, closing_note=context.data.get("closing_note") or "",
                         closed_by=_name(context.user), closed_on=local_day(context.now),
                         started=started_from(context.session, context.instance))


def task_subject(session: Session, instance: ProcessInstance, key: str) -> str:
    incoming = incoming_of(session, instance)
    return f"传阅：{incoming.title}" if incoming else "传阅"


def in_scope(session: Session, user: User, year: int | None = None) -> list[IncomingDocument]:
    """收文登记簿: the received documents of cases in the user's scope, newest first."""
    stmt = (select(IncomingDocument).join(ProcessInstance, ProcessInstance.id == IncomingDocument.instance_id)
            .join(GridNode, GridNode.id == ProcessInstance.grid_id).where(GridNode.path.startswith(user.scope.path))
            .options(selectinload(IncomingDocument.readings), selectinload(IncomingDocument.handler))
            .order_by(IncomingDocument.received_on.desc(), IncomingDocument.id.desc()))
    return [d for d in session.scalars(stmt) if year is None or d.received_on.year == year]
