"""The town's checklist (检查项目) as an Excel sheet: exported for editing, imported back by the admin.

A row is matched to an item by its name: it updates that item or adds one; items missing from the sheet
stay as they are (deactivate them on the page). Every row is checked before anything is written, and one
refused row refuses the file: the admin gets every row's problem at once and nothing changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from webapp.models import GridNode
from webapp.models.grid import UNIT_CATEGORIES
from webapp.procedures.inspection.models import ChecklistItem
from webapp.procedures.inspection.setup import all_items
from webapp.services.errors import InvalidInput
from webapp.services.spreadsheets import SheetResult, SheetRow, cell_text, duplicate_rows, table_workbook

TITLE = "检查项目"
HEADERS = ("排序", "检查项目", "检查要点", "法律依据", "适用场所类型", "启用")
REQUIRED = ("检查项目", "法律依据")
EVERY_TYPE = "全部"
YES, NO = "是", "否"
SEPARATORS = re.compile(r"[、,，;；\s]+")  # not "/": it is part of 小学校/幼儿园
CATEGORY_KEYS = {label: key for key, label in UNIT_CATEGORIES.items()} | {key: key for key in UNIT_CATEGORIES}
LIMITS = {"检查项目": 100, "检查要点": 500, "法律依据": 200}


def export_rows(session: Session, town: GridNode) -> list[list[object]]:
    return [[item.sort_order, item.name, item.guidance, item.legal_basis,
             "、".join(UNIT_CATEGORIES.get(c, c) for c in item.categories) or EVERY_TYPE,
             YES if item.is_active else NO] for item in all_items(session, town)]


def export_xlsx(session: Session, town: GridNode) -> bytes:
    return table_workbook(TITLE, HEADERS, export_rows(session, town), (6, 22, 50, 36, 40, 6), freeze_header=True)


@dataclass(frozen=True)
class _Parsed:
    sort_order: int | None
    name: str
    guidance: str
    legal_basis: str
    categories: list[str]
    is_active: bool


def _categories(row: SheetRow, result: SheetResult) -> list[str]:
    words = [w for w in SEPARATORS.split(row.text("适用场所类型")) if w and w != EVERY_TYPE]
    unknown = [w for w in words if w not in CATEGORY_KEYS]
    if unknown:
        result.refuse(row, f"未知的场所类型“{'、'.join(unknown)}”（可选：{'、'.join(UNIT_CATEGORIES.values())}，"
                           f"或填“{EVERY_TYPE}”）")
    return list(dict.fromkeys(CATEGORY_KEYS[w] for w in words if w in CATEGORY_KEYS))


def _parse(row: SheetRow, result: SheetResult) -> _Parsed | None:
    before = len(result.problems)
    for header, limit in LIMITS.items():
        if len(row.text(header)) > limit:
            result.refuse(row, f"“{header}”不能超过{limit}字")
    if not row.text("检查项目"):
        result.refuse(row, "“检查项目”不能为空")
    order = row.text("排序")
    if order and not order.lstrip("-").isdigit():
        result.refuse(row, f"“排序”应为整数，实际为“{order}”")
    active = row.text("启用") or YES
    if active not in (YES, NO):
        result.refuse(row, f"“启用”应填“{YES}”或“{NO}”，实际为“{active}”")
    categories = _categories(row, result)
    if len(result.problems) > before:
        return None
    return _Parsed(int(order) if order else None, row.text("检查项目"), row.text("检查要点"), row.text("法律依据"),
                   categories, active == YES)


def import_rows(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
    """Check every row; write only when none was refused (the SheetResult lists what changed or why not)."""
    result = SheetResult()
    parsed = [p for row in duplicate_rows(rows, lambda r: r.text("检查项目") or None, result, "检查项目")
              if (p := _parse(row, result)) is not None]
    if result.problems:
        return result
    items = {item.name: item for item in all_items(session, town)}
    next_order = max((i.sort_order for i in items.values()), default=0)
    for row in parsed:
        item = items.get(row.name)
        if item is None:
            next_order += 10
            item = ChecklistItem(town_id=town.id, name=row.name, sort_order=next_order)
            session.add(item)
        values = (row.guidance, row.legal_basis, row.categories, row.is_active,
                  item.sort_order if row.sort_order is None else row.sort_order)
        changed = (item.guidance, item.legal_basis, list(item.categories or []), item.is_active,
                   item.sort_order) != values
        result.count(row.name, created=row.name not in items, changed=changed)
        item.guidance, item.legal_basis, item.categories, item.is_active, item.sort_order = values
    session.flush()
    return result


def _sheet_rows(stream: IO[bytes]) -> list[SheetRow]:
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a file that is not xlsx
        raise InvalidInput("无法读取该文件，请上传 .xlsx 格式的检查项目表。") from error
    page = book[TITLE] if TITLE in book.sheetnames else book.worksheets[0]
    values = page.iter_rows(values_only=True)
    header = [cell_text(cell) for cell in next(values, ())]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise InvalidInput(f"表头缺少：{'、'.join(missing)}，请使用本页导出的表格。")
    rows = [SheetRow(number, dict(zip(header, row, strict=False)))
            for number, row in enumerate(values, start=2) if any(cell_text(v) for v in row)]
    if not rows:
        raise InvalidInput("表中没有检查项目。")
    return rows


def import_xlsx(session: Session, town: GridNode, stream: IO[bytes]) -> SheetResult:
    """Import the sheet; any refused row → InvalidInput listing every one ("第N行：…"), nothing written."""
    result = import_rows(session, town, _sheet_rows(stream))
    if result.problems:
        problems = [f"第{number}行：{reason}" for number, reason in sorted(result.problems)]
        raise InvalidInput(f"检查项目表有{len(problems)}处错误，未导入任何数据。", problems)
    return result
