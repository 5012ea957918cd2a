"""Official notices (发文): draft content → document context, issue with a number, distribution, register.

Other procedures publish through `start_notice`, which opens a notice_issuance case with a prefilled
draft; the clerk checks it, and it goes through 核稿 and 签发 like any other notice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import actions as cases
from webapp.cases import receipts
from webapp.cases.registry import Basis
from webapp.cases.runtime import CaseRuntime
from webapp.clock import TZ
from webapp.engine import WorkflowEngine
from webapp.models import AttachmentRole, CommitteeMember, Document, GridNode, NumberPrefix, ProcessInstance, User
from webapp.procedures.notice_issuance.models import NoticeDistribution
from webapp.services import documents
from webapp.services.errors import InvalidInput
from webapp.services.grid import required_town, town_of
from webapp.services.spreadsheets import table_workbook

PROCEDURE_KEY = "notice_issuance"
KINDS = ("通知", "通报", "意见", "函", "报告", "请示")
UPWARD_KINDS = ("报告", "请示")
ISSUING_BODIES = {"town": "镇人民政府", "committee": "镇消防安全委员会"}
# 印发机关 by issuing body, after the town's name, until the clerk writes another.
PRINTER_SUFFIX = {"town": "党政办公室", "committee": "消防安全委员会办公室"}
ADDRESSEE_GROUPS = ("各村（社区）", "镇直各部门", "辖区各单位")
DRAFT_DEFAULTS = {
    "kind": "通知", "issuing_body": "town", "direction": "down", "addressees": [], "addressees_other": "",
    "body": "", "cc": "", "copies": 10, "co_signers": [], "joint_organs": [], "note": "", "attachments": [],
}
_LEVEL1 = re.compile(r"^[一二三四五六七八九十]+、\s*")
_LEVEL2 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\s*")
_LEVEL3 = re.compile(r"^\d{1,2}[.．](?!\d)\s*")
_SEPARATORS = re.compile(r"[，,、；;\n]+")


def parse_body(text: str) -> list[dict]:
    """Textarea → template body: 一、 / （一） / 1. lines become heading levels 1–3 (numbers dropped,
    the template numbers them); every other non-empty line is a paragraph."""
    paragraphs = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        for level, pattern in ((1, _LEVEL1), (2, _LEVEL2), (3, _LEVEL3)):
            if pattern.match(line):
                paragraphs.append({"level": level, "text": pattern.sub("", line, count=1)})
                break
        else:
            paragraphs.append({"level": 0, "text": line})
    return paragraphs


def split_names(text: str) -> list[str]:
    return [name.strip() for name in _SEPARATORS.split(text or "") if name.strip()]


def addressee_choices(session: Session, grid: GridNode) -> list[str]:
    """主送 candidates: the usual groups, the committee's member units, and the villages of the town."""
    town = town_of(grid) or grid
    members = session.scalars(select(CommitteeMember.organ).where(CommitteeMember.town_id == town.id)
                              .order_by(CommitteeMember.sort_order))
    villages = session.scalars(select(GridNode.name).where(GridNode.parent_id == town.id)
                               .order_by(GridNode.sort_order))
    names = [*ADDRESSEE_GROUPS, *members, *villages]
    return list(dict.fromkeys(names))


def co_signer_choices(session: Session, grid: GridNode) -> list[User]:
    """会签 candidates: leaders whose scope covers the case."""
    users = session.scalars(select(User).order_by(User.username))
    return [u for u in users if u.has_role("leader") and u.is_enabled and grid.path.startswith(u.scope.path)]


def joint_organ_choices(session: Session, grid: GridNode) -> list[str]:
    """联合发文机关 candidates: the town's organ identities (the 发文机关 of its 发文字号 settings)."""
    town = town_of(grid) or grid
    organs = session.scalars(select(NumberPrefix.organ).where(NumberPrefix.town_id == town.id)
                             .order_by(NumberPrefix.key))
    return list(dict.fromkeys(organs))


def joint_organs(lead: str, data: dict) -> list[str]:
    """联合行文: the issuing organ first (主办机关), then the co-issuing ones chosen; [] when issued alone."""
    organs = list(dict.fromkeys([lead, *(str(name) for name in data.get("joint_organs") or [])]))
    return organs if len(organs) > 1 else []


def addressees(data: dict) -> list[str]:
    chosen = [str(name) for name in data.get("addressees") or []]
    return list(dict.fromkeys([*chosen, *split_names(data.get("addressees_other", ""))]))


def template_key(data: dict) -> str:
    if data.get("template") in ("notice", "notice_upward", "bulletin"):
        return str(data["template"])
    if data.get("ranking"):
        return "bulletin"
    return "notice_upward" if data.get("direction") == "up" else "notice"


def prefix_key(data: dict) -> str:
    if data.get("issuing_body") == "committee":
        return "committee_notice"
    if data.get("kind") == "函":
        return "town_letter"
    return "town_upward" if data.get("direction") == "up" else "town_notice"


def attachment_title(name: str) -> str:
    return PurePath(name).stem or name


def kept_value(attachment: dict) -> str:
    """How an uploaded attachment appears in the draft form's keep-list: "sha256:file name"."""
    return f"{attachment['file']}:{attachment['name']}"


def merge_attachments(existing: list[dict], kept_values: list[str], uploaded: list[dict]) -> list[dict]:
    """The draft's attachments after a (re)draft: those the clerk kept, then the new uploads."""
    kept = {str(value).partition(":")[0] for value in kept_values}
    merged = [a for a in existing if a["file"] in kept] + list(uploaded)
    return list({a["file"]: a for a in merged}.values())


def default_printer(town: GridNode | None, issuing_body: str) -> str:
    """The 印发机关 a draft starts with: the town's office of the body that issues it."""
    return f"{town.name if town else ''}{PRINTER_SUFFIX.get(issuing_body, PRINTER_SUFFIX['town'])}"


def document_context(session: Session, data: dict, *, today: date, town: GridNode, number: str = "") -> dict:
    """Everything any of the three templates needs, from the case data (preview or issue)."""
    prefix = documents.number_prefix(session, town, prefix_key(data))
    signed_on = data.get("signed_on") or today.isoformat()
    return {
        "organ_mark": f"{prefix.organ}文件",
        "joint_organs": joint_organs(prefix.organ, data),
        "doc_number": number or f"{prefix.prefix}〔{today.year}〕　号",
        "signer": data.get("signer") or "（签发后填写）",
        "title": data.get("title") or "（标题）",
        "addressees": addressees(data),
        "body": parse_body(data.get("body", "")),
        "table_title": data.get("table_title") or "",
        "ranking": data.get("ranking") or [],
        "closing": data.get("closing") or [],
        "attachments": [attachment_title(a["name"]) for a in data.get("attachments") or []],
        "signature": prefix.organ,
        "date": signed_on,
        "note": data.get("note") or None,
        "cc": split_names(data.get("cc", "")),
        "issuer": data.get("printer") or default_printer(town, data.get("issuing_body", "town")),
        "issue_date": data.get("printed_on") or signed_on,
    }


def issue_from_case(session: Session, runtime: CaseRuntime, *, instance: ProcessInstance, data: dict,
                    user: User | None, now: datetime) -> Document:
    """签发 → 编号 → 成文: allocate the number, render and store the red-header DOCX, keep the attachments."""
    docs = runtime.documents
    document = documents.issue(
        session, docs, template_key=template_key(data), context=document_context(session, data, today=now.date(),
                                                                              town=_town(instance)),
        title=str(data["title"]), prefix_key=prefix_key(data),
        subject=documents.Subject(instance.grid, instance.unit, instance, "sign_off"), user=user, now=now,
    )
    for attachment in data.get("attachments") or []:
        documents.attach(session, docs, document, content=docs.store.read(attachment["file"]),
                         name=attachment["name"], media_type=attachment["type"], role=AttachmentRole.ATTACHMENT,
                         now=now)
    return document


def _town(instance: ProcessInstance) -> GridNode:
    return required_town(instance.grid, "发文")


def issued_document(session: Session, instance: ProcessInstance) -> Document | None:
    return session.scalar(select(Document).where(Document.instance_id == instance.id,
                                                 Document.step_key == "sign_off").order_by(Document.id.desc()))


def record_distribution(session: Session, *, instance: ProcessInstance, data: dict, user: User | None,
                        now: datetime) -> NoticeDistribution:
    """印发登记: when, how many copies, to whom."""
    document = issued_document(session, instance)
    if document is None:
        raise InvalidInput("该案件尚未印发公文，无法登记分发。")
    row = NoticeDistribution(
        document=document, printed_on=date.fromisoformat(str(data["printed_on"])[:10]), copies=int(data["copies"]),
        recipients="、".join(split_names(data.get("recipients", ""))), recorded_by=user, recorded_at=now,
    )
    session.add(row)
    session.flush()
    return row


def start_notice(session: Session, runtime: CaseRuntime, *, user: User, grid: GridNode, draft: dict,
                 now: datetime) -> ProcessInstance:
    """Open a 发文 case with a prefilled draft (e.g. the year-end 通报 with `ranking`, `table_title`,
    `closing`); the starting clerk finds the 拟稿 task in the inbox, checks it and submits it."""
    data = {**DRAFT_DEFAULTS, **draft}
    data.setdefault("kept_attachments", [kept_value(a) for a in data["attachments"]])
    if not str(data.get("title") or "").strip():
        raise InvalidInput("发文必须有标题。")
    if data["kind"] not in KINDS:
        raise InvalidInput(f"文种必须是{'、'.join(KINDS)}之一。")
    return cases.start_case(session, runtime, procedure_key=PROCEDURE_KEY, user=user, grid=grid,
                            title=case_title(data), data=data, now=now)


def start_from_basis(session: Session, runtime: CaseRuntime, user: User, grid: GridNode, basis: Basis,
                     now: datetime) -> ProcessInstance:
    """承办 of a 收文 → 另行发文: a 通知 draft that names the received document as its basis; the handler
    finds the 拟稿 task in the inbox and completes 主送 and 正文."""
    body = f"根据{basis.label}要求，结合我镇实际，现就有关工作通知如下："
    return start_notice(session, runtime, user=user, grid=grid, now=now,
                        draft={"title": f"关于贯彻落实《{basis.title}》的通知"[:100], "body": body,
                               "basis": basis.label})


def case_title(data: dict) -> str:
    return f"发文：{data.get('title') or ''}"


def register(session: Session, year: int) -> list[tuple[Document, NoticeDistribution | None]]:
    """发文登记簿: the numbered documents this procedure issued in a year, with their distribution."""
    start, end = datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)
    stmt = (select(Document, NoticeDistribution)
            .join(ProcessInstance, Document.instance_id == ProcessInstance.id)
            .outerjoin(NoticeDistribution, NoticeDistribution.document_id == Document.id)
            .where(ProcessInstance.procedure == PROCEDURE_KEY, Document.number.is_not(None),
                   Document.created_at >= start, Document.created_at < end)
            .order_by(Document.id))
    return [(document, distribution) for document, distribution in session.execute(stmt)]


REGISTER_HEADERS = ("文号", "文种", "标题", "主送", "签发人", "签发日期", "印发日期", "份数", "分送单位", "状态",
                    "签收")
EXPORT_HEADERS = (*REGISTER_HEADERS, "签收明细")  # the page shows the detail on hover and on the case page


@dataclass(frozen=True)
class RegisterRow:
    document_id: int
    cells: list[str]  # in REGISTER_HEADERS order
    instance_id: int | None = None
    receipt_detail: str = ""  # each recipient's 签收 state, see cases.receipts.detail


def register_rows(session: Session, year: int, scope_path: str) -> list[RegisterRow]:
    """发文登记簿 rows, for the page (with a link to each document) and the Excel export."""
    found = [(d, dist) for d, dist in register(session, year) if d.grid.path.startswith(scope_path)]
    delivered: dict[int, list] = {}
    for receipt in receipts.of_documents(session, [d.id for d, _ in found]) if found else []:
        delivered.setdefault(receipt.document_id, []).append(receipt)
    rows = []
    for document, distribution in found:
        context = json.loads(document.context_json)
        signed = delivered.get(document.id, [])
        rows.append(RegisterRow(document.id, [
            document.number or "", document.kind, document.title, "、".join(context.get("addressees") or []),
            context.get("signer", ""),
            str(context.get("date") or ""), str(distribution.printed_on) if distribution else "",
            str(distribution.copies) if distribution else "", distribution.recipients if distribution else "",
            document.status_label, receipts.tally(signed),
        ], document.instance_id, receipts.detail(signed)))
    return rows


def register_workbook(year: int, rows: list[RegisterRow]) -> bytes:
    return table_workbook(f"{year}年发文登记簿", EXPORT_HEADERS, ([*row.cells, row.receipt_detail] for row in rows),
                          (22, 8, 48, 30, 10, 12, 12, 8, 40, 10, 12, 60))


def case_data(engine: WorkflowEngine, instance: ProcessInstance) -> dict:
    """The case's latest data: the open task's, or the last completed step's."""
    workflow = engine.deserialize(instance.state_json)
    ready = engine.ready_user_tasks(workflow)
    if ready:
        return ready[0].data
    done = engine.completed_user_tasks(workflow)
    return done[-1].data if done else {}


def distribution_of(session: Session, document: Document | None) -> NoticeDistribution | None:
    if document is None:
        return None
    return session.scalar(select(NoticeDistribution).where(NoticeDistribution.document_id == document.id))


def preview_data(task_data: dict, posted: dict) -> dict:
    """What the draft would be if submitted now: kept attachments plus the names of new uploads."""
    kept = merge_attachments(task_data.get("attachments") or [], posted.get("kept_attachments") or [], [])
    new = [a for a in posted.pop("new_attachments", None) or [] if a.get("name")]
    return {**task_data, **posted, "attachments": kept + new}
