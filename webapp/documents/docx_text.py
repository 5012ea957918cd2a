"""A DOCX as plain blocks (paragraphs, headings, tables) in document order, for a text preview when
LibreOffice cannot lay out pages. The template decides the HTML; this only reads the file."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

# The red-header templates style by direct formatting, not by heading styles: a centred line of
# 18 pt or more is the organ mark or the title (standards: title 2号 = 22 pt, body 3号 = 16 pt).
HEADING_PT = 18
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
ALIGNMENTS = {WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right"}


@dataclass
class Block:
    kind: str  # "heading", "paragraph" or "table"
    text: str = ""
    align: str = ""  # "", "center" or "right"
    rows: list[list[str]] = field(default_factory=list)


def _paragraph(paragraph: Paragraph) -> Block:
    sizes = [run.font.size.pt for run in paragraph.runs if run.font.size]
    align = ALIGNMENTS.get(paragraph.alignment, "")
    style = (paragraph.style.name or "") if paragraph.style is not None else ""
    heading = style.startswith(("Heading", "Title")) or (align == "center" and sizes and max(sizes) >= HEADING_PT)
    return Block("heading" if heading else "paragraph", paragraph_text(paragraph._p), align)


def paragraph_text(p) -> str:  # noqa: ANN001 - a w:p element
    """The paragraph's text like python-docx's, plus names kept whole in an empty ruby (fitting.nobreak),
    whose base text python-docx does not read."""
    parts = []
    for element in p.iter(qn("w:t"), qn("w:tab"), qn("w:br")):
        ancestors = list(element.iterancestors())
        if (element.getparent().tag != qn("w:r")  # a tab stop in w:tabs, not a tab character
                or next(a for a in ancestors if a.tag == qn("w:p")) is not p
                or any(a.tag == qn("w:rt") for a in ancestors)):
            continue  # a text box's own paragraph (read on its own), or the empty ruby annotation
        parts.append({qn("w:tab"): "\t", qn("w:br"): "\n"}.get(element.tag, element.text or ""))
    return "".join(parts)


def _table(table: Table) -> Block:
    rows = []
    for row in table.rows:
        # A horizontally merged cell is listed once per column it spans, as the same XML cell.
        unique = list({id(cell._tc): cell for cell in row.cells}.values())
        rows.append([cell.text for cell in unique])
    return Block("table", rows=rows)


def _text_box_paragraphs(element, document) -> list[Paragraph]:
    """Text boxes anchored in a paragraph (the 版记 sits in one), without their legacy VML copies."""
    found = []
    for box in element.iter(qn("w:txbxContent")):
        if not any(ancestor.tag == MC_FALLBACK for ancestor in box.iterancestors()):
            found += [Paragraph(p, document) for p in box.iterchildren(qn("w:p"))]
    return found


def docx_blocks(content: bytes) -> list[Block]:
    """Paragraphs and tables of the body in order; empty paragraphs are dropped."""
    document = Document(io.BytesIO(content))
    blocks = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rpartition("}")[2]
        if tag == "p":
            for paragraph in [Paragraph(element, document), *_text_box_paragraphs(element, document)]:
                block = _paragraph(paragraph)
                if block.text.strip():
                    blocks.append(block)
        elif tag == "tbl":
            blocks.append(_table(Table(element, document)))
    return blocks
