"""一户一码 label sheets: A4 pages of 3 × 8 labels, each a QR code, the unit's name and its code.

QR codes come from segno: pure Python and maintained, it writes PNG and SVG itself, so neither Pillow
nor a C library is needed to make them (Pillow only reads them back in the tests).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import segno
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from webapp.documents.ooxml import HEITI, SONGTI

COLUMNS, ROWS = 3, 8
PAGE_MARGIN_MM = 10
ROW_HEIGHT_MM = (297 - 2 * PAGE_MARGIN_MM - 1) / ROWS  # 1 mm spare so LibreOffice never spills a row
QR_SIZE_MM = 22


@dataclass(frozen=True)
class Label:
    name: str
    code: str
    url: str
    png: bytes | None = None  # the QR code made beforehand (a background job makes them chunk by chunk)


def qr_png(url: str, scale: int = 8) -> bytes:
    """The QR code of `url` as PNG (error correction M: a label survives a scratch or a smudge)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


@lru_cache(maxsize=1024)
def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG for a web page; kept per address (~25 ms to make, and a unit's
    address does not change), so a unit page seen again does not redraw it."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=4, title="单位二维码")


def _font(run, name: str, size: float, bold: bool = False) -> None:  # noqa: ANN001
    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _tight(paragraph) -> None:  # noqa: ANN001
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0


def _fill(cell, label: Label) -> None:  # noqa: ANN001
    picture = cell.paragraphs[0]
    _tight(picture)
    image = io.BytesIO(label.png or qr_png(label.url))
    picture.add_run().add_picture(image, width=Mm(QR_SIZE_MM), height=Mm(QR_SIZE_MM))
    name = cell.add_paragraph()
    _tight(name)
    _font(name.add_run(label.name), HEITI, 9, bold=True)
    code = cell.add_paragraph()
    _tight(code)
    _font(code.add_run(f"单位码 {label.code}"), SONGTI, 8)


def _no_split(row) -> None:  # noqa: ANN001
    row.height, row.height_rule = Mm(ROW_HEIGHT_MM), WD_ROW_HEIGHT_RULE.EXACTLY
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def label_sheet(labels: list[Label], title: str) -> bytes:
    """The DOCX: one table of COLUMNS × ROWS labels per A4 page, in the order given."""
    document = Document()
    document.core_properties.title = title
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = section.left_margin = section.right_margin = Mm(PAGE_MARGIN_MM)
    section.header_distance = section.footer_distance = Mm(0)
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(labels), 1), per_page):
        if start:
            document.add_section(WD_SECTION.NEW_PAGE)
        _page(document, labels[start:start + per_page])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page(document, labels: list[Label]) -> None:  # noqa: ANN001
    rows = max(1, -(-len(labels) // COLUMNS))
    table = document.add_table(rows=rows, cols=COLUMNS)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.style = document.styles["Table Grid"]  # the cut lines
    for row in table.rows:
        _no_split(row)
        for cell in row.cells:
            cell.width = Mm((210 - 2 * PAGE_MARGIN_MM) / COLUMNS)
    for index, label in enumerate(labels):
        _fill(table.cell(index // COLUMNS, index % COLUMNS), label)
