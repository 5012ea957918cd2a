"""The one Excel writer every export goes through (a titled sheet, a bold header row, cells that never
turn into formulas), and the rows of a workbook sheet as read for an import (SheetRow, SheetResult: the
organisation workbook's core sheets, webapp.cases.org_workbook, and a procedure's own sheets,
Procedure.workbook_sheets, speak these types, so every row of every sheet is checked the same way).

Formula injection: a unit named ``=HYPERLINK(…)`` would otherwise be written as a live formula
(openpyxl makes any string starting with "=" a formula), and text starting with + - @ or a tab/CR is
taken as a formula by Excel when the cell is edited or the sheet re-saved as CSV. Such text is written
as a string cell with Excel's "quote prefix" (the cell shows ``=1+1``, the formula bar ``'=1+1``), so
the text is kept exactly as typed and stays text when the clerk edits the cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _as_text(cell: Cell | WriteOnlyCell) -> None:
    cell.data_type = "s"
    cell.quotePrefix = True


def _cell_value(value: Any) -> Any:
    """Strings without the control characters openpyxl refuses (IllegalCharacterError, i.e. a 500)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def append_row(sheet: Any, values: Sequence[Any]) -> None:
    """sheet.append(values), with formula-like text kept as text (normal and write-only sheets)."""
    values = [_cell_value(value) for value in values]
    if not any(looks_like_formula(value) for value in values):
        sheet.append(list(values))
        return
    if isinstance(sheet, Worksheet):
        sheet.append(list(values))
        for cell in sheet[sheet.max_row]:
            if looks_like_formula(cell.value):
                _as_text(cell)
        return
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if looks_like_formula(value):
            _as_text(cell)
        cells.append(cell)
    sheet.append(cells)


def empty_book() -> Workbook:
    """A workbook without sheets, to add tables to (add_table)."""
    book = Workbook()
    book.remove(book.active)
    return book


def add_table(book: Workbook, title: str, headers: Sequence[str], widths: Sequence[int] = (), *,
              heading: str | None = None) -> Worksheet:
    """A sheet named `title` with an optional heading line, then the bold `headers`; fill it with append_row."""
    sheet = book.create_sheet(title[:31])  # Excel's limit for sheet names
    if heading is not None:
        append_row(sheet, [heading])
    append_row(sheet, list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    return sheet


def new_table(title: str, headers: Sequence[str], widths: Sequence[int] = (), *,
              heading: str | None = None) -> tuple[Workbook, Worksheet]:
    """A workbook whose one sheet has `title`, an optional heading line, then the bold `headers`."""
    book = empty_book()
    return book, add_table(book, title, headers, widths, heading=heading)


def to_bytes(book: Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] = (),
                   *, heading: str | None = None, freeze_header: bool = False) -> bytes:
    """A one-sheet .xlsx: heading line (optional), bold headers, then the rows."""
    book, sheet = new_table(title, headers, widths, heading=heading)
    header_row = sheet.max_row
    for row in rows:
        append_row(sheet, row)
    if freeze_header:
        sheet.freeze_panes = f"A{header_row + 1}"
    return to_bytes(book)


# -- reading: the rows of one sheet of an imported workbook ------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as the text a clerk typed: 12.0 → "12", None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass(frozen=True)
class SheetRow:
    """A filled row of a sheet: its number in Excel (the header is row 1) and its cells by header."""

    number: int
    values: dict[str, object]

    def text(self, header: str) -> str:
        return cell_text(self.values.get(header))


@dataclass
class SheetResult:
    """What one sheet's rows did: labels of the rows added and updated, how many were unchanged, and
    every refused row as (row number, reason in Chinese)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def refuse(self, row: SheetRow, reason: str) -> None:
        self.problems.append((row.number, reason))

    def count(self, label: str, *, created: bool, changed: bool) -> None:
        if created:
            self.added.append(label)
        elif changed:
            self.updated.append(label)
        else:
            self.unchanged += 1

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.updated)


def duplicate_rows(rows: list[SheetRow], key: Callable[[SheetRow], object | None], result: SheetResult,
                   what: str) -> list[SheetRow]:
    """The rows whose `key` (None: not checked) repeats an earlier row are refused; the rest are returned."""
    seen: dict[object, int] = {}
    kept = []
    for row in rows:
        value = key(row)
        if value is not None and value in seen:
            result.refuse(row, f"与第{seen[value]}行重复（{what}相同）")
            continue
        if value is not None:
            seen[value] = row.number
        kept.append(row)
    return kept
