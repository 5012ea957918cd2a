"""GB/T 9704-2012 page, styles and footers for a python-docx document.

Measured choices (standards.md §5): 22 lines come from an exact 28.95 pt line pitch and
28 characters from −0.3 pt character spacing on 16 pt text — not from
``w:docGrid linesAndChars``, which LibreOffice renders at about 14 characters a line.
Theme font attributes are removed everywhere because they override explicit font names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.shared import Mm
from lxml import etree

from webapp.documents.drawing import anchored_text_box
from webapp.documents.ooxml import (
    CHAR_WIDTH,
    HEITI,
    KAITI,
    LINE_PITCH,
    RED,
    SONGTI,
    XIAOBIAOSONG,
    Border,
    ParaStyle,
    RunStyle,
    _el,
    mm,
    page_field_runs,
    paragraph,
    run_properties,
    text_run,
)

TEXT_WIDTH = mm(156)
CELL_MARGIN = 60  # twips left and right inside every table cell
LETTER_RULE_MM = 170  # 信函格式 double rules: 170 mm, centred on the 版心
PAGE_NUMBER_RUN = RunStyle(font=SONGTI, size=14, spacing=None)

# Paragraph roles of the GB/T 9704 body.
BODY = ParaStyle(first_line=2 * CHAR_WIDTH)
HEADING_1 = BODY.but(keep_next=True, run=RunStyle(font=HEITI))
HEADING_2 = BODY.but(keep_next=True, run=RunStyle(font=KAITI))
HEADING_3 = BODY.but(keep_next=True)
FLUSH_LEFT = ParaStyle()
CENTERED = ParaStyle(align="center")
TITLE = ParaStyle(align="center", line=700, run=RunStyle(font=XIAOBIAOSONG, size=22, spacing=None))
ORGAN_MARK = ParaStyle(align="center", line=900, keep_next=True,
                       run=RunStyle(font=XIAOBIAOSONG, size=30, color=RED, spacing=None))
RED_RULE = Border("bottom", val="single", size=12, color=RED, space=8)
SIGNATURE = ParaStyle(align="right", right=2 * CHAR_WIDTH, before=LINE_PITCH, keep_next=True)
DATE_LINE = ParaStyle(align="right", right=4 * CHAR_WIDTH)
NOTE = BODY  # 附注: in parentheses, indented two characters
KEEP_BODY = BODY.but(keep_next=True)


@dataclass(frozen=True)
class Cell:
    """A table cell: text (or ready paragraphs) spanning ``span`` grid columns."""

    content: str | list[etree._Element]
    span: int = 1
    style: ParaStyle = ParaStyle(align="center", line=None)
    no_wrap: bool = False  # a label: never broken inside a word (its column is wide enough)
    vmerge: str | None = None  # w:vMerge value (may be a Jinja expression: restart / continue)


class GbDocument:
    """A python-docx document set up for GB/T 9704: page, styles, footers, body helpers."""

    def __init__(self, *, title: str, page_numbers: bool = True, letter_rule_footer: bool = False) -> None:
        self.document = docx.Document()
        self._body = self.document.element.body
        self._sect_pr = self._body.find(qn("w:sectPr"))
        self.document.core_properties.title = title
        self.document.core_properties.author = "Firegrid"
        self._setup_page()
        self._setup_styles()
        self._setup_footers(page_numbers, letter_rule_footer)
        self._keep_manual_breaks_unstretched()

    # --- setup -------------------------------------------------------------------------
    def _setup_page(self) -> None:
        section = self.document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.gutter = Mm(0)
        section.header_distance = Mm(15)
        # page number sits 7 mm below the 版心; 23 mm leaves room for one 14 pt line
        section.footer_distance = Mm(23)
        grid = self._sect_pr.find(qn("w:docGrid"))
        if grid is not None:
            grid.attrib.clear()
            grid.set(qn("w:linePitch"), str(LINE_PITCH))

    def _setup_styles(self) -> None:
        styles = self.document.styles.element
        for rfonts in styles.iter(qn("w:rFonts")):
            for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
                rfonts.attrib.pop(qn(f"w:{attr}"), None)
        defaults = styles.find(qn("w:docDefaults"))
        rpr_default = defaults.find(qn("w:rPrDefault"))
        rpr_default.remove(rpr_default.find(qn("w:rPr")))
        rpr = run_properties(RunStyle())
        rpr.append(_el("w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA"))
        rpr_default.append(rpr)
        ppr_default = defaults.find(qn("w:pPrDefault"))
        ppr_default.remove(ppr_default.find(qn("w:pPr")))
        ppr = _el("w:pPr")
        ppr.append(_el("w:spacing", before=0, after=0, line=LINE_PITCH, lineRule="exact"))
        ppr.append(_el("w:jc", val="both"))
        ppr_default.append(ppr)

    def _setup_footers(self, page_numbers: bool, letter_rule_footer: bool) -> None:
        section = self.document.sections[0]
        self.document.settings.odd_and_even_pages_header_footer = True
        odd = ParaStyle(align="right", right=280, line=None, run=PAGE_NUMBER_RUN)
        even = ParaStyle(align="left", left=280, line=None, run=PAGE_NUMBER_RUN)
        for footer, style in ((section.footer, odd), (section.even_page_footer, even)):
            footer.is_linked_to_previous = False
            self._fill_footer(footer, style, page_numbers)
        if letter_rule_footer:
            # 信函格式: no page number on page 1, a red thin-over-thick double rule 170 mm long and
            # 20 mm above the page bottom instead (a box placed on the page: the footer's own flow
            # cannot reach below the footer distance)
            section.different_first_page_header_footer = True
            first = section.first_page_footer
            first.is_linked_to_previous = False
            rule = paragraph(ParaStyle(line=20, borders=(Border("top", val="thinThickSmallGap", size=24, color=RED,
                                                                space=0),), run=PAGE_NUMBER_RUN))
            box = anchored_text_box([rule], name="信函下红线", width_mm=LETTER_RULE_MM, height_mm=2,
                                    top_from_page_mm=297 - 20 - 1, left_mm=-(LETTER_RULE_MM - 156) / 2)
            holder = paragraph(ParaStyle(line=None, run=PAGE_NUMBER_RUN))
            holder.append(box)
            self._replace_paragraphs(first._element, [holder])

    def _keep_manual_breaks_unstretched(self) -> None:
        """A line ended by a newline inside a field (w:br) stays as long as its text instead of
        being justified across the block (Word and LibreOffice both read this setting)."""
        compat = self.document.settings.element.find(qn("w:compat"))
        if compat is None:
            compat = _el("w:compat")
            self.document.settings.element.append(compat)
        compat.insert(0, _el("w:doNotExpandShiftReturn"))  # first in the schema's compat order

    def _fill_footer(self, footer, style: ParaStyle, page_numbers: bool) -> None:
        p = paragraph(style)
        if page_numbers:
            p.append(text_run("— ", style.run))
            p.extend(page_field_runs(style.run))
            p.append(text_run(" —", style.run))
        self._replace_paragraphs(footer._element, [p])

    @staticmethod
    def _replace_paragraphs(container: etree._Element, paragraphs: list[etree._Element]) -> None:
        for old in container.findall(qn("w:p")):
            container.remove(old)
        container.extend(paragraphs)

    # --- content -----------------------------------------------------------------------
    def add(self, *elements: etree._Element) -> None:
        for element in elements:
            self._sect_pr.addprevious(element)

    def para(self, style: ParaStyle, *parts) -> None:
        self.add(paragraph(style, *parts))

    def tag(self, jinja: str) -> None:
        """A paragraph holding only a ``{%p ... %}`` tag (docxtpl removes the paragraph)."""
        self.add(paragraph(FLUSH_LEFT, jinja))

    def table(self, widths_mm: list[float], rows: list[list[Cell] | str], run: RunStyle | None = None,
              header_rows: int = 1, borders: bool = True) -> None:
        """A table; a str row is a ``{%tr ... %}`` tag row."""
        self.add(build_table(widths_mm, rows, run or RunStyle(), header_rows, borders))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.document.save(str(path))


def build_table(widths_mm: list[float], rows: list[list[Cell] | str], run: RunStyle,
                header_rows: int, borders_on: bool = True) -> etree._Element:
    widths = [mm(w) for w in widths_mm]
    tbl = _el("w:tbl")
    tbl_pr = _el("w:tblPr")
    tbl_pr.append(_el("w:tblW", w=sum(widths), type="dxa"))
    tbl_pr.append(_el("w:jc", val="center"))
    borders = _el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{side}", val="single" if borders_on else "nil", sz=6, space=0, color="000000"))
    tbl_pr.append(borders)
    tbl_pr.append(_el("w:tblLayout", type="fixed"))
    margins = _el("w:tblCellMar")
    margins.append(_el("w:left", w=CELL_MARGIN, type="dxa"))
    margins.append(_el("w:right", w=CELL_MARGIN, type="dxa"))
    tbl_pr.append(margins)
    tbl.append(tbl_pr)
    grid = _el("w:tblGrid")
    for width in widths:
        grid.append(_el("w:gridCol", w=width))
    tbl.append(grid)
    for index, row in enumerate(rows):
        cells = [Cell(row, span=len(widths))] if isinstance(row, str) else row
        tbl.append(_table_row(cells, widths, run, repeat=index < header_rows))
    return tbl


def _table_row(cells: list[Cell], widths: list[int], run: RunStyle, repeat: bool) -> etree._Element:
    tr = _el("w:tr")
    tr_pr = _el("w:trPr")
    tr_pr.append(_el("w:cantSplit"))
    if repeat:
        tr_pr.append(_el("w:tblHeader"))
    tr.append(tr_pr)
    column = 0
    for cell in cells:
        tc = _el("w:tc")
        tc_pr = _el("w:tcPr")
        tc_pr.append(_el("w:tcW", w=sum(widths[column:column + cell.span]), type="dxa"))
        if cell.span > 1:
            tc_pr.append(_el("w:gridSpan", val=cell.span))
        if cell.vmerge:
            tc_pr.append(_el("w:vMerge", val=cell.vmerge))
        if cell.no_wrap:
            tc_pr.append(_el("w:noWrap"))
        tc_pr.append(_el("w:vAlign", val="center"))
        tc.append(tc_pr)
        if isinstance(cell.content, str):
            tc.append(paragraph(cell.style.but(run=cell.style.run if cell.style.run != RunStyle() else run),
                                cell.content))
        else:
            tc.extend(cell.content)
        tr.append(tc)
        column += cell.span
    return tr
