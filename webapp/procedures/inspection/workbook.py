"""The inspection procedure's sheet of the organisation workbook: 移交接收部门 (where grids refer hazards).

One row for each of the two kinds every town has (派出所 / 消防救援机构), matched by kind, and one row for each
other department (类型 主管部门: 安监站, 市场监管所 …), matched by its name.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.registry import WorkbookSheet
from webapp.models import GridNode
from webapp.procedures.inspection.models import RECEIVER_KINDS, ReferralReceiver
from webapp.procedures.inspection.setup import DEFAULT_FEEDBACK_DAYS, DEPARTMENT_LABEL, department_kind, receiver_label
from webapp.services import units
from webapp.services.spreadsheets import SheetResult, SheetRow, duplicate_rows

TITLE = "移交接收部门"
HEADERS = ("类型", "名称", "联系人", "电话", "反馈期限（天）")
KIND_BY_LABEL = {label: kind for kind, label in RECEIVER_KINDS.items()} | {kind: kind for kind in RECEIVER_KINDS}
MAX_FEEDBACK_DAYS = 365


def _receivers(session: Session, town: GridNode) -> dict[str, ReferralReceiver]:
    query = select(ReferralReceiver).where(ReferralReceiver.grid_id == town.id).order_by(ReferralReceiver.id)
    return {receiver.kind: receiver for receiver in session.scalars(query)}


def export_rows(session: Session, town: GridNode) -> list[list[object]]:
    found = _receivers(session, town)
    ordered = [found[k] for k in RECEIVER_KINDS if k in found]
    ordered += [r for k, r in found.items() if k not in RECEIVER_KINDS]
    return [[receiver_label(r), r.name, r.contact_person, r.phone, r.feedback_days] for r in ordered]


def _row_kind(row: SheetRow, found: dict[str, ReferralReceiver]) -> str | None:
    """派出所 / 消防救援机构 → their kind; 主管部门 → the department of that name, or a new department's kind."""
    label = row.text("类型")
    if label != DEPARTMENT_LABEL:
        return KIND_BY_LABEL.get(label)
    same = next((k for k, r in found.items() if k not in RECEIVER_KINDS and r.name == row.text("名称")), None)
    return same or department_kind(set(found))


def _row_key(row: SheetRow) -> object | None:
    label = row.text("类型")
    return (label, row.text("名称")) if label == DEPARTMENT_LABEL else KIND_BY_LABEL.get(label)


def _days(row: SheetRow, result: SheetResult) -> int | None:
    text = row.text("反馈期限（天）")
    if not text:
        return DEFAULT_FEEDBACK_DAYS
    if not text.isdigit() or not 1 <= int(text) <= MAX_FEEDBACK_DAYS:
        result.refuse(row, f"“反馈期限（天）”应为1至{MAX_FEEDBACK_DAYS}的整数，实际为“{text}”")
        return None
    return int(text)


def import_rows(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
    result = SheetResult()
    found = _receivers(session, town)
    for row in duplicate_rows(rows, _row_key, result, "类型"):
        problems_before = len(result.problems)
        kind, name = _row_kind(row, found), row.text("名称")
        contact, phone = row.text("联系人"), row.text("电话")
        if kind is None:
            choices = "、".join([*RECEIVER_KINDS.values(), DEPARTMENT_LABEL])
            result.refuse(row, f"未知的类型“{row.text('类型')}”（可选：{choices}）")
        if not name or len(name) > 100:
            result.refuse(row, "“名称”不能为空，且不超过100字")
        if problem := units.phone_problem(phone):
            result.refuse(row, problem)
        days = _days(row, result)
        if len(result.problems) > problems_before:
            continue
        existing = found.get(kind)
        values = (name, contact, phone, days)
        changed = existing is not None and (existing.name, existing.contact_person, existing.phone,
                                            existing.feedback_days) != values
        result.count(f"{RECEIVER_KINDS.get(kind, DEPARTMENT_LABEL)} {name}", created=existing is None, changed=changed)
        if existing is None:
            found[kind] = ReferralReceiver(grid=town, kind=kind)
            session.add(found[kind])
        if existing is None or changed:
            receiver = found[kind]
            receiver.name, receiver.contact_person, receiver.phone, receiver.feedback_days = values
    session.flush()
    return result


SHEET = WorkbookSheet(TITLE, HEADERS, ("类型", "名称"), export_rows, import_rows,
                      f"类型填{'、'.join(RECEIVER_KINDS.values())}（每种一行）或{DEPARTMENT_LABEL}（安监站、市场监管所等，"
                      f"按名称对应）；反馈期限为移交后的天数，默认{DEFAULT_FEEDBACK_DAYS}天。")
