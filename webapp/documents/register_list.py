"""Printed registers: a titled, form-like table on the GB/T 9704 page (器材存放点一览表 …).

Built directly with python-docx, not from a docxtpl template: the rows are the whole document, and the
text goes in as XML text nodes (escaped by lxml), so a name typed as "{{ x }}" or "<b>" prints as typed.
Cells use the forms' 16 pt 仿宋 (the shared checker holds table cells to it); a date line closes the
list as its 成文日期.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

from webapp.documents.layout import DATE_LINE, FLUSH_LEFT, Cell, GbDocument
from webapp.documents.ooxml import LINE_PITCH, paragraph
from webapp.documents.template_builder import TITLE_BLOCK
from webapp.documents.templates_forms import FORM_CELL, FORM_RUN, FORM_TEXT

# XML 1.0 refuses these; a pasted name may carry one
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    label: str  # header cell; "|" breaks it into lines
    width_mm: float
    centred: bool = False


def _clean(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text or "")


def _cell(value: str | list[str], column: Column) -> Cell:
    """A value cell; a list of strings is one paragraph per entry (name, grid, address …)."""
    style = FORM_CELL if column.centred else FORM_TEXT
    lines = [value] if isinstance(value, str) else value
    return Cell([paragraph(style, _clean(line)) for line in lines] or [paragraph(style, "")])


def _header(column: Column) -> Cell:
    bold = FORM_CELL.but(run=FORM_RUN.but(bold=True))
    return Cell([paragraph(bold, line) for line in column.label.split("|")], no_wrap=True)


def register_docx(title: str, columns: list[Column], rows: list[list[str | list[str]]], *, subtitle: str,
                  dated: date, empty: str) -> bytes:
    """The list as DOCX: title, a subtitle line, the table (header repeated on every page), the date."""
    doc = GbDocument(title=title)
    doc.para(TITLE_BLOCK.but(before=0, after=LINE_PITCH // 2), _clean(title))
    doc.para(FLUSH_LEFT, _clean(subtitle))
    body = [[_cell(value, column) for value, column in zip(row, columns, strict=True)] for row in rows]
    if not body:
        body = [[Cell([paragraph(FORM_CELL, empty)], span=len(columns))]]
    doc.table([c.width_mm for c in columns], [[_header(c) for c in columns], *body], run=FORM_RUN, header_rows=1)
    doc.para(DATE_LINE.but(before=LINE_PITCH), f"{dated.year}年{dated.month}月{dated.day}日")
    out = io.BytesIO()
    doc.document.save(out)
    return out.getvalue()
