"""Units as an Excel ledger (台账): blank template, export, and all-or-nothing import."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import IO
from zipfile import ZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from webapp.models import GridNode, Unit
from webapp.models.grid import UNIT_CATEGORIES
from webapp.services import spreadsheets, units
from webapp.services.errors import InvalidInput
from webapp.services.grid import find_by_display_path, town_of
from webapp.services.input_rules import DB_INT_MAX, FLOAT_LIMIT, clean_text, text_problem
from webapp.services.uploads import DAMAGED, XLSX, ooxml_problem

# (header, Unit attribute); the header row is the contract with the clerks' spreadsheets.
COLUMNS = [
    ("单位名称", "name"),
    ("单位类别", "category"),
    ("所属网格", "grid"),
    ("地址", "address"),
    ("消防安全责任人", "responsible_person"),
    ("责任人电话", "responsible_phone"),
    ("消防安全管理人", "manager"),
    ("管理人电话", "manager_phone"),
    ("建筑面积（平方米）", "floor_area"),
    ("从业人数", "staff_count"),
    ("纬度", "latitude"),  # the registered point check-ins are measured against (optional)
    ("经度", "longitude"),
]
HEADERS = [header for header, _ in COLUMNS]
TEXT_ATTRIBUTES = ("name", "address", "responsible_person", "responsible_phone", "manager", "manager_phone")
MAX_ROWS = 10_000  # a town's ledger is a few thousand units; more is a wrong file
MAX_LISTED_PROBLEMS = 100
UNREADABLE = "无法读取该文件，请上传 .xlsx 格式的单位台账。"
TOO_MANY_ROWS = f"文件超过{MAX_ROWS}行（或表格数据过大），请分成几个文件导入。"
ROW_BYTES = 2048  # a generous ledger row in sheet XML: ten cells of long Chinese text
CATEGORY_BY_LABEL = {label: key for key, label in UNIT_CATEGORIES.items()}


@dataclass
class ImportResult:
    """Rows that created a unit, changed one, or repeated what was already recorded."""

    created: int
    changed: int
    unchanged: int

    def summary(self) -> str:
        return f"新增{self.created}个单位，更新{self.changed}个单位，{self.unchanged}个单位无变化"


def _workbook_with_header() -> tuple[Workbook, Worksheet]:
    return spreadsheets.new_table("单位台账", HEADERS, [max(12, len(header) * 2 + 4) for header in HEADERS])


def blank_template() -> bytes:
    """The empty ledger with a category drop-down, for clerks to fill in."""
    book, sheet = _workbook_with_header()
    lists = book.create_sheet("类别")
    for label in UNIT_CATEGORIES.values():
        lists.append([label])
    validation = DataValidation(type="list", formula1=f"=类别!$A$1:$A${len(UNIT_CATEGORIES)}", allow_blank=False)
    sheet.add_data_validation(validation)
    validation.add("B2:B5000")
    return spreadsheets.to_bytes(book)


def export_units(unit_rows: list[Unit]) -> bytes:
    book, sheet = _workbook_with_header()
    for unit in unit_rows:
        spreadsheets.append_row(sheet, [
            unit.name, unit.category_label, unit.grid.display_path(), unit.address,
            unit.responsible_person, unit.responsible_phone, unit.manager, unit.manager_phone,
            unit.floor_area, unit.staff_count, unit.latitude, unit.longitude,
        ])
    return spreadsheets.to_bytes(book)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value: object, kind: type, header: str, problems: list[str], *,
            signed: bool = False) -> float | int | None:
    text = _text(value)
    if not text:
        return None
    try:
        number = kind(float(text)) if kind is int else kind(text)
    except (ValueError, OverflowError):  # int(float("1e400")) overflows
        problems.append(f"“{header}”应为数字，实际为“{text[:50]}”")
        return None
    if not math.isfinite(number) or abs(number) > (DB_INT_MAX if kind is int else FLOAT_LIMIT):
        problems.append(f"“{header}”数值超出范围")
        return None
    if number < 0 and not signed:
        problems.append(f"“{header}”不能为负数")
    return number


def _clean(row: dict[str, object], header: str, attribute: str, problems: list[str]) -> str:
    """A text cell through the forms' sanitiser rules: one line, no NUL, at most the column's length."""
    text = _text(row.get(header))
    problem = text_problem(text, multiline=False)
    if problem:
        problems.append(f"“{header}”{problem.removeprefix('此项')}")
    text = clean_text(text, multiline=False).replace("\n", " ")
    limit = Unit.__table__.c[attribute].type.length
    if limit and len(text) > limit:
        problems.append(f"“{header}”不能超过{limit}个字")
    return text


def _parse_row(session: Session, scope: GridNode, row: dict[str, object]) -> tuple[units.UnitFields | None, list[str]]:
    problems: list[str] = []
    category_text = _text(row.get("单位类别"))
    category = CATEGORY_BY_LABEL.get(category_text) or (category_text if category_text in UNIT_CATEGORIES else "")
    if not category:
        problems.append(f"未知的单位类别“{category_text}”" if category_text else "单位类别不能为空")
    grid_text = _text(row.get("所属网格"))
    town = town_of(scope)
    grid = find_by_display_path(town, grid_text) if grid_text and town else None
    if grid is None:
        problems.append(f"未知的网格“{grid_text}”" if grid_text else "所属网格不能为空")
    elif not scope.contains(grid):
        problems.append(f"网格“{grid_text}”不在您的管辖范围内")
    floor_area = _number(row.get("建筑面积（平方米）"), float, "建筑面积", problems)
    staff_count = _number(row.get("从业人数"), int, "从业人数", problems)
    latitude = _number(row.get("纬度"), float, "纬度", problems, signed=True)
    longitude = _number(row.get("经度"), float, "经度", problems, signed=True)
    texts = {attribute: _clean(row, header, attribute, problems) for header, attribute in COLUMNS
             if attribute in TEXT_ATTRIBUTES}
    if problems:
        return None, problems
    fields = units.UnitFields(category=category, grid=grid, floor_area=floor_area, staff_count=staff_count,
                              latitude=latitude, longitude=longitude, **texts)
    return fields, units.validate(fields)


def _largest_member(content: bytes) -> int:
    with ZipFile(BytesIO(content)) as archive:
        return max((info.file_size for info in archive.infolist()), default=0)


def _read_rows(stream: IO[bytes]) -> Iterator[dict[str, object]]:
    """The data rows as header → value, read lazily; the workbook is checked as an upload is (zip bomb,
    "../" members, main parts) before openpyxl inflates anything, and more than MAX_ROWS rows are refused."""
    content = stream.read()
    problem = ooxml_problem(content, XLSX)
    if problem:
        raise InvalidInput(UNREADABLE if problem == DAMAGED else f"该文件{problem}")
    if _largest_member(content) > MAX_ROWS * ROW_BYTES:
        raise InvalidInput(TOO_MANY_ROWS)  # told from the zip directory, before openpyxl reads a row
    try:
        sheet = load_workbook(BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as error:  # openpyxl raises many types for a file that is not xlsx
        raise InvalidInput(UNREADABLE) from error
    rows = sheet.iter_rows(values_only=True)
    header = [_text(cell) for cell in next(rows, ())]
    missing = [h for h in HEADERS[:3] if h not in header]
    if missing:
        raise InvalidInput(f"表头缺少：{'、'.join(missing)}。请使用系统提供的导入模板。")
    for count, values in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise InvalidInput(TOO_MANY_ROWS)
        yield dict(zip(header, values, strict=False))


def import_units(session: Session, scope: GridNode, stream: IO[bytes], *, now: datetime) -> ImportResult:
    """Validate every row first; any problem → InvalidInput listing each row, and nothing saved.

    Grid paths ("某村/某片区") are read below the town of `scope`, and must lie inside `scope`.
    A row naming an existing unit (same grid and name) updates it, so export → import round-trips.
    """
    parsed: list[tuple[int, units.UnitFields]] = []
    problems: list[str] = []
    seen: dict[tuple[int, str], int] = {}
    for row_number, row in enumerate(_read_rows(stream), start=2):
        if not any(_text(v) for v in row.values()):
            continue
        fields, row_problems = _parse_row(session, scope, row)
        if fields is not None:
            key = (fields.grid.id, fields.name)
            if key in seen:
                row_problems.append(f"与第{seen[key]}行重复（同一网格内单位名称相同）")
            seen.setdefault(key, row_number)
        problems.extend(f"第{row_number}行：{p}" for p in row_problems)
        if fields is not None:
            parsed.append((row_number, fields))
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > MAX_LISTED_PROBLEMS:
            listed.append(f"……另有{len(problems) - MAX_LISTED_PROBLEMS}处错误未列出，请先改正以上各处后重新导入。")
        raise InvalidInput(f"导入失败，共{len(problems)}处错误，未导入任何数据。", listed)
    if not parsed:
        raise InvalidInput("文件中没有单位数据。")
    result = ImportResult(created=0, changed=0, unchanged=0)
    for _, fields in parsed:
        existing = units.find_duplicate(session, fields)
        if existing is None:
            result.created += 1
        elif units.differs(existing, fields):
            result.changed += 1
        else:
            result.unchanged += 1
            continue
        units.save_unit(session, fields, now=now, unit=existing)
    return result
