"""Electronic-record metadata of one item (GB/T 18894-2016 names), as JSON and XML."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.archive.codes import FiledItem
from webapp.archive.models import RETENTIONS
from webapp.models import AttachmentRole, CaseEvent, Document, GridNode
from webapp.models.workflow import CASE_ACTION_LABELS
from webapp.services.documents import responsible_party

SECRECY = "无"  # not classified: the catalogue leaves 密级 blank
DECISION_LABELS = {"approve": "同意", "send_back": "退回", "reject": "不同意"}
# The document's own files, then every attachment role under the label it is declared with.
FILE_ROLES = {"main": "正文", "pdf": "正文（PDF/A）", **{role.value: role.label for role in AttachmentRole}}
# A PDF is recorded as PDF/A only when it passed the PDF/A check (FileEntry.format), else as plain PDF.
FORMATS = {".docx": "DOCX（Office Open XML）", ".xlsx": "XLSX（Office Open XML）", ".pdf": "PDF", ".jpg": "JPEG",
           ".jpeg": "JPEG", ".png": "PNG"}
CREATORS = {"main": "Firegrid（docxtpl 生成）", "pdf": "LibreOffice（{format} 导出）"}


@dataclass
class FileEntry:
    """A file written into an item folder."""

    name: str
    role: str  # a key of FILE_ROLES
    size: int
    sha256: str
    document_id: int
    media_type: str = ""
    format: str = ""  # what inspecting the file found, e.g. "PDF/A-2b" or "PDF"


def responsible(context_json: str, grid: GridNode | None, stored: str) -> str:
    """责任者 of a document: derived from its data and town as new documents record it (older records may hold
    nothing, or the 印发机关 instead of the 发文机关), else what the record holds."""
    try:
        context = json.loads(context_json or "{}")
    except ValueError:
        context = {}
    return responsible_party(context if isinstance(context, dict) else {}, grid) or stored


def document_responsible(document: Document) -> str:
    return responsible(document.context_json, document.grid, document.issuing_organ)


def date8(moment: datetime | None) -> str:
    return f"{moment:%Y%m%d}" if moment else ""


# case id → its events as (order, metadata row): the rows of several cases merge by the order
CaseHistories = dict[int, list[tuple[tuple[datetime, int], dict[str, Any]]]]


def case_histories(session: Session, instance_ids: set[int]) -> CaseHistories:
    """Every event of these cases (a batch of items' cases, in one query), oldest first."""
    histories: CaseHistories = {}
    if not instance_ids:
        return histories
    events = session.scalars(select(CaseEvent).where(CaseEvent.instance_id.in_(sorted(instance_ids)))
                             .order_by(CaseEvent.at, CaseEvent.id))
    for event in events:
        histories.setdefault(event.instance_id, []).append(((event.at, event.id), {
            "时间": event.at.isoformat(timespec="seconds"), "办理人": event.actor_name,
            "动作": CASE_ACTION_LABELS.get(event.action, event.action), "步骤": event.step_title or event.step_key,
            "决定": DECISION_LABELS.get(event.decision, event.decision), "意见": event.opinion,
            "关联文件": list(event.document_ids or []),
        }))
    return histories


def suffix_of(name: str) -> str:
    """What `Path(name).suffix.lower()` gives, without a Path: pathlib interns every name it parses, and the
    interpreter's table of interned strings grew by ~0.5 kB an item of an export (it never shrinks)."""
    name = name.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _file_record(entry: FileEntry) -> dict[str, Any]:
    suffix = suffix_of(entry.name)
    shown = entry.format or FORMATS.get(suffix, entry.media_type or suffix.lstrip(".").upper())
    use = FILE_ROLES[entry.role]
    if entry.role == "pdf" and not is_pdfa(shown):
        use = "正文（PDF）"
    return {
        "计算机文件名": entry.name, "计算机文件大小": entry.size, "SHA-256": entry.sha256, "格式信息": shown,
        "文档创建程序": CREATORS.get(entry.role, "上传（扫描/拍照设备）").format(format=shown), "用途": use,
        "所属文件": entry.document_id,
    }


def is_pdfa(format_info: str) -> bool:
    """Whether a 格式信息 value claims PDF/A (verify re-checks every such claim)."""
    return format_info.startswith("PDF/A")


def item_metadata(item: FiledItem, documents: list[Document], organs: list[str], files: list[FileEntry],
                  history: list[dict[str, Any]], pages: int, pages_estimated: bool, organ: str) -> dict[str, Any]:
    """`organs`: each document's 责任者; `organ`: the item's (its main document's, else the 立档单位)."""
    main = documents[0]
    return {
        "档号": item.archive_code, "题名": main.title, "文件编号": main.number or "",
        "责任者": organ, "日期": date8(main.issued_at), "机构或问题": item.organ_code,
        "保管期限": RETENTIONS.get(item.retention, item.retention), "保管期限代码": item.retention,
        "年度": item.year, "件号": item.serial, "密级": SECRECY, "页数": pages, "页数为估算": pages_estimated,
        "组成文件": [{
            "文件标识": d.id, "题名": d.title, "文件编号": d.number or "", "文种": d.kind, "模板": d.template_key,
            "版本": d.version, "日期": date8(d.issued_at), "责任者": responsible_party or organ,
        } for d, responsible_party in zip(documents, organs, strict=True)],
        "电子文件": [_file_record(f) for f in files],
        "办理过程": history,
    }


_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 cannot hold


def _xml(key: str, value: Any, pad: str, lines: list[str]) -> None:
    """One element as indented lines (as ElementTree.indent lays it out: a list's entries are 条目), written
    directly: building and serialising an ElementTree tree was a sixth of an export's time. Text, the commonest
    value, is tested for first."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict | list):
        if not value:
            lines.append(f"{pad}<{key} />")
            return
        lines.append(f"{pad}<{key}>")
        inner = pad + "  "
        if isinstance(value, dict):
            for child_key, child in value.items():
                _xml(child_key.replace("-", ""), child, inner, lines)
        else:
            for entry in value:
                _xml("条目", entry, inner, lines)
        lines.append(f"{pad}</{key}>")
        return
    else:
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    lines.append(f"{pad}<{key}>{escape(text)}</{key}>" if text else f"{pad}<{key} />")


def metadata_files(metadata: dict[str, Any]) -> list[tuple[str, bytes]]:
    """元数据.json and 元数据.xml of an item, as (name, content)."""
    lines = ["<?xml version='1.0' encoding='utf-8'?>"]
    _xml("电子文件", metadata, "", lines)
    # JSON without indentation: the C encoder (indented JSON takes the pure-Python one); people read the XML
    return [("元数据.json", json.dumps(metadata, ensure_ascii=False).encode("utf-8")),
            # the control characters XML cannot hold go in one pass (the names are ours: only values hold any)
            ("元数据.xml", _XML_INVALID.sub("", "\n".join(lines)).encode("utf-8"))]
