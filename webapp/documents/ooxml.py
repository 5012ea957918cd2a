"""Small WordprocessingML element builders that keep pPr/rPr children in schema order.

python-docx's ``OxmlElement`` appends children in call order; Word refuses files whose
property children are misordered, so every property element here is built from a
declarative description and emitted in the order the schema requires.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from webapp.documents.xml_text import xml_safe

# Font names the offices have installed; PDF rendering maps them through fonts.conf.
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"

RED = "FF0000"
TWIPS_PER_MM = 1440 / 25.4
LINE_PITCH = 579  # twips: 225 mm / 22 lines = 28.95 pt
CHAR_SPACING = -6  # twentieths of a point: -0.3 pt gives 28 characters per 156 mm line
CHAR_WIDTH = 314  # twips: one 16 pt character minus 0.3 pt spacing


def mm(value: float) -> int:
    """Millimetres to twips (the unit of most WordprocessingML measures)."""
    return round(value * TWIPS_PER_MM)


@dataclass(frozen=True)
class RunStyle:
    font: str = FANGSONG
    size: float = 16
    bold: bool = False
    color: str | None = None
    spacing: int | None = CHAR_SPACING

    def but(self, **changes) -> RunStyle:
        return replace(self, **changes)


@dataclass(frozen=True)
class Border:
    side: str  # top | bottom
    val: str = "single"
    size: int = 8  # eighths of a point
    color: str = "000000"
    space: int = 1  # points between text and border


@dataclass(frozen=True)
class ParaStyle:
    align: str = "both"
    first_line: int = 0
    left: int = 0
    right: int = 0
    before: int = 0
    after: int = 0
    line: int | None = LINE_PITCH
    line_rule: str = "exact"
    keep_next: bool = False
    borders: tuple[Border, ...] = ()
    tabs: tuple[tuple[str, int], ...] = ()  # (alignment, position in twips)
    run: RunStyle = field(default_factory=RunStyle)

    def but(self, **changes) -> ParaStyle:
        return replace(self, **changes)


def _el(tag: str, **attrs: str | int) -> etree._Element:
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), str(value))
    return element


def run_properties(style: RunStyle) -> etree._Element:
    """rPr in schema order: rFonts, b, bCs, color, spacing, sz, szCs, lang."""
    rpr = _el("w:rPr")
    # The same name for ascii/hAnsi as for eastAsia: digits must not fall back to a Latin font.
    rpr.append(_el("w:rFonts", ascii=style.font, hAnsi=style.font, eastAsia=style.font, cs=style.font))
    if style.bold:
        rpr.append(_el("w:b"))
        rpr.append(_el("w:bCs"))
    if style.color:
        rpr.append(_el("w:color", val=style.color))
    if style.spacing:
        rpr.append(_el("w:spacing", val=style.spacing))
    half_points = round(style.size * 2)
    rpr.append(_el("w:sz", val=half_points))
    rpr.append(_el("w:szCs", val=half_points))
    return rpr


def paragraph_properties(style: ParaStyle) -> etree._Element:
    """pPr in schema order: keepNext, pBdr, tabs, spacing, ind, jc, rPr."""
    ppr = _el("w:pPr")
    if style.keep_next:
        ppr.append(_el("w:keepNext"))
    if style.borders:
        pbdr = _el("w:pBdr")
        for side in ("top", "left", "bottom", "right"):
            for border in (b for b in style.borders if b.side == side):
                pbdr.append(_el(f"w:{side}", val=border.val, sz=border.size, space=border.space,
                                color=border.color))
        ppr.append(pbdr)
    if style.tabs:
        tabs = _el("w:tabs")
        for alignment, position in style.tabs:
            tabs.append(_el("w:tab", val=alignment, pos=position))
        ppr.append(tabs)
    spacing = {"before": style.before, "after": style.after}
    if style.line:
        spacing.update(line=style.line, lineRule=style.line_rule)
    ppr.append(_el("w:spacing", **spacing))
    indent = {"left": style.left, "right": style.right}
    if style.first_line > 0:
        indent["firstLine"] = style.first_line
    elif style.first_line < 0:
        indent["hanging"] = -style.first_line
    ppr.append(_el("w:ind", **indent))
    ppr.append(_el("w:jc", val=style.align))
    ppr.append(run_properties(style.run))
    return ppr


def text_run(text: str, style: RunStyle) -> etree._Element:
    """One run per text: a Jinja tag must never be split across runs."""
    run = _el("w:r")
    run.append(run_properties(style))
    if text == "\t":
        run.append(_el("w:tab"))
        return run
    t = _el("w:t")
    t.text = xml_safe(text)  # text recorded before the input sanitiser may still hold a vertical tab
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(t)
    return run


def paragraph(style: ParaStyle, *parts: str | tuple[str, RunStyle] | etree._Element) -> etree._Element:
    """A paragraph from plain strings (paragraph run style), (text, RunStyle) pairs or runs."""
    p = _el("w:p")
    p.append(paragraph_properties(style))
    for part in parts:
        if isinstance(part, str):
            p.append(text_run(part, style.run))
        elif isinstance(part, tuple):
            p.append(text_run(*part))
        else:
            p.append(part)
    return p


def page_break_run() -> etree._Element:
    """A run that starts a new page (a cover before its contents)."""
    run = _el("w:r")
    run.append(_el("w:br", type="page"))
    return run


def page_field_runs(style: RunStyle) -> list[etree._Element]:
    """A PAGE field as begin/instr/separate/result/end runs (Word and LibreOffice both update it)."""
    runs = []
    for kind in ("begin", None, "separate", "result", "end"):
        run = _el("w:r")
        run.append(run_properties(style))
        if kind is None:
            instr = _el("w:instrText")
            instr.text = " PAGE "
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(instr)
        elif kind == "result":
            t = _el("w:t")
            t.text = "1"
            run.append(t)
        else:
            run.append(_el("w:fldChar", fldCharType=kind))
        runs.append(run)
    return runs
