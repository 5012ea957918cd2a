"""Writes the .docx templates into doc_templates/ with their docxtpl Jinja tags in place.

Every tag sits in exactly one run (the builders emit one run per text), so docxtpl never
has to glue a tag together from runs with different formatting.  The blocks below are
the parts GB/T 9704 documents share; the per-template builders live in
``templates_official``, ``templates_fire`` and ``templates_forms``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from docx.oxml.ns import qn
from lxml import etree

from webapp.documents.drawing import anchored_text_box
from webapp.documents.fitting import fit_marks
from webapp.documents.layout import (
    BODY,
    CENTERED,
    DATE_LINE,
    FLUSH_LEFT,
    HEADING_1,
    HEADING_2,
    HEADING_3,
    LETTER_RULE_MM,
    NOTE,
    ORGAN_MARK,
    RED_RULE,
    SIGNATURE,
    TEXT_WIDTH,
    TITLE,
    GbDocument,
)
from webapp.documents.ooxml import (
    CHAR_WIDTH,
    KAITI,
    LINE_PITCH,
    RED,
    Border,
    ParaStyle,
    RunStyle,
    _el,
    mm,
    paragraph,
)

NUMBER_LINE = CENTERED.but(before=2 * LINE_PITCH, borders=(RED_RULE,))
TITLE_BLOCK = TITLE.but(before=2 * LINE_PITCH)
ADDRESSEE = FLUSH_LEFT.but(before=LINE_PITCH)
ATTACHMENT_FIRST = BODY.but(before=LINE_PITCH, left=5 * CHAR_WIDTH, first_line=-3 * CHAR_WIDTH)
# LibreOffice takes no implicit tab stop at a hanging indent: the stop after "1." is explicit
ATTACHMENT_NUMBERED = BODY.but(left=7 * CHAR_WIDTH, first_line=-2 * CHAR_WIDTH, tabs=(("left", 7 * CHAR_WIDTH),))
BANJI_RUN = RunStyle(size=14, spacing=None)
BANJI_LINE = ParaStyle(line=500, left=280, right=280, run=BANJI_RUN)
THICK, THIN = 8, 6  # eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.25 mm


LETTER_MARK_OFFSET_MM = 2.1  # a 30 pt glyph's top edge below the top of its 45 pt line (measured)
MARK_TOP = mm(35) - 160  # the mark's glyph top 35 mm below the 版心 top (its 45 pt line sets it 160 twips lower)
# the red rule as its own unindented paragraph: as wide as the 版心 even under an indented line
RED_RULE_PARA = ParaStyle(line=100, borders=(replace(RED_RULE, space=0),), run=RunStyle(size=5, spacing=None))
SIGNER_LABEL = TEXT_WIDTH - CHAR_WIDTH - 13 * CHAR_WIDTH  # "签发人：" + two names of up to 4 characters
SIGNER_TABS = (("left", SIGNER_LABEL), ("left", SIGNER_LABEL + 9 * CHAR_WIDTH))


def red_rule(doc: GbDocument) -> None:
    doc.para(RED_RULE_PARA)


# the joint mark's table starts where a single mark's line would: an empty exact line of that height
JOINT_SPACER = ParaStyle(line=MARK_TOP, run=RunStyle(size=5, spacing=None))


def _spacing(p: etree._Element, attribute: str, expression: str) -> etree._Element:
    """A paragraph spacing value computed at render time (a shrunk mark moves up: ``mark_rise``)."""
    p.find(f"{qn('w:pPr')}/{qn('w:spacing')}").set(qn(f"w:{attribute}"), expression)
    return p
JOINT_SIZE, JOINT_SCALE = "{{ joint_organs|joint_half_points }}", "{{ joint_organs|joint_scale }}"


def _fitted(p: etree._Element) -> etree._Element:
    """The mark's runs take their size (and character scale) from the longest joint organ at render time."""
    for rpr in p.iter(qn("w:rPr")):
        for size in (rpr.find(qn(f"w:{tag}")) for tag in ("sz", "szCs")):
            if size is not None:
                size.set(qn("w:val"), JOINT_SIZE)
        sz = rpr.find(qn("w:sz"))
        if sz is not None:
            sz.addprevious(_el("w:w", val=JOINT_SCALE))  # schema order: … w, kern, position, sz …
    return p


def _joint_cell(width: str, paragraphs: list[etree._Element]) -> etree._Element:
    tc = _el("w:tc")
    tc_pr = _el("w:tcPr")
    tc_pr.append(_el("w:tcW", w=width, type="dxa"))
    tc_pr.append(_el("w:vAlign", val="center"))
    tc.append(tc_pr)
    tc.extend(paragraphs)
    return tc


def joint_mark_table() -> etree._Element:
    """联合行文 (GB/T 9704-2012 §7.2.1): the organs one under another, the lead organ first, spread to
    one width, with "文件" to their right, vertically centred across them; centred on the 版心, no borders."""
    widths = ("{{ joint_organs|joint_column(organ_mark, 0) }}", "{{ joint_organs|joint_column(organ_mark, 1) }}")
    tbl = _el("w:tbl")
    tbl_pr = _el("w:tblPr")
    tbl_pr.append(_el("w:tblW", w=0, type="auto"))
    tbl_pr.append(_el("w:jc", val="center"))
    borders = _el("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{side}", val="nil"))
    tbl_pr.append(borders)
    tbl_pr.append(_el("w:tblLayout", type="fixed"))
    margins = _el("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        margins.append(_el(f"w:{side}", w=0, type="dxa"))
    tbl_pr.append(margins)
    tbl.append(tbl_pr)
    grid = _el("w:tblGrid")
    for width in widths:
        grid.append(_el("w:gridCol", w=width))
    tbl.append(grid)
    row = _el("w:tr")
    row_pr = _el("w:trPr")
    row_pr.append(_el("w:cantSplit"))
    row.append(row_pr)
    names = [paragraph(FLUSH_LEFT, "{%p for organ in joint_organs %}"),
             _fitted(paragraph(ORGAN_MARK.but(align="distribute"), "{{ organ }}")),
             paragraph(FLUSH_LEFT, "{%p endfor %}")]
    word = _fitted(paragraph(ORGAN_MARK.but(align="right"), "{{ organ_mark|mark_word }}"))
    row.append(_joint_cell(widths[0], names))
    row.append(_joint_cell(widths[1], [word]))
    tbl.append(row)
    return tbl


def organ_mark(doc: GbDocument, *, joint: bool = False) -> None:
    """The 发文机关标志: one organ's mark on one line, or (``joint``: a template that may be issued
    jointly) the stacked marks when ``joint_organs`` names two or more organs."""
    if joint:
        doc.tag("{%p if joint_organs|length > 1 %}")
        doc.add(_spacing(paragraph(JOINT_SPACER), "line", f"{{{{ {MARK_TOP} - joint_organs|joint_rise }}}}"))
        doc.add(joint_mark_table())
        doc.tag("{%p else %}")
    mark = paragraph(ORGAN_MARK.but(before=MARK_TOP), "{{ organ_mark }}")
    doc.add(_spacing(mark, "before", f"{{{{ {MARK_TOP} - organ_mark|mark_rise }}}}"))
    if joint:
        doc.tag("{%p endif %}")


def red_header(doc: GbDocument, *, upward: bool = False, joint: bool = False) -> None:
    """发文机关标志 (red, its top 35 mm below the 版心 top, 上行文 included as in the 2012 edition)
    and the 发文字号 line with the red rule under it.

    上行文: 签发人 on the right, two names a line, later lines aligned under the first name; the
    发文字号 one character in on the line of the last 签发人 (``signer`` is a name or a list)."""
    organ_mark(doc, joint=joint)
    if not upward:
        doc.para(NUMBER_LINE, "{{ doc_number }}")
        return
    doc.tag("{%p set signer_rows = ([signer] if signer is string else signer)|batch(2)|list %}")
    doc.tag("{%p for row in signer_rows %}")
    line = FLUSH_LEFT.but(before=2 * LINE_PITCH, left=CHAR_WIDTH, tabs=SIGNER_TABS)
    kai = RunStyle(font=KAITI)
    names = [("{{ row[0] }}", kai), "{% if row|length > 1 %}", "\t", ("{{ row[1] }}", kai), "{% endif %}"]
    doc.tag("{%p if loop.first and loop.last %}")
    doc.para(line, "{{ doc_number }}", "\t", "签发人：", *names)
    doc.tag("{%p elif loop.first %}")
    doc.para(line, "\t", "签发人：", *names)
    doc.tag("{%p elif loop.last %}")
    doc.para(line.but(before=0, tabs=((SIGNER_TABS[0][0], SIGNER_LABEL + 4 * CHAR_WIDTH), SIGNER_TABS[1])),
             "{{ doc_number }}", "\t", *names)
    doc.tag("{%p else %}")
    doc.para(line.but(before=0, tabs=((SIGNER_TABS[0][0], SIGNER_LABEL + 4 * CHAR_WIDTH), SIGNER_TABS[1])),
             "\t", *names)
    doc.tag("{%p endif %}")
    doc.tag("{%p endfor %}")
    red_rule(doc)


def letter_mark(doc: GbDocument) -> None:
    """信函格式 mark: its top edge 30 mm from the top of the page (above the 版心, so it sits in a box
    placed on the page that grows with a long name) over a red thick-over-thin double rule 170 mm long."""
    rule = Border("bottom", val="thickThinSmallGap", size=24, color=RED, space=4)
    mark = paragraph(ORGAN_MARK.but(before=0, keep_next=False, borders=(rule,)), "{{ organ_mark }}")
    box = anchored_text_box([mark], name="信函发文机关标志", width_mm=LETTER_RULE_MM, height_mm=19,
                            top_from_page_mm=30 - LETTER_MARK_OFFSET_MM, at_bottom=False, grow=True,
                            left_mm=-(LETTER_RULE_MM - 156) / 2)
    anchor = paragraph(ParaStyle(line=20, keep_next=True))
    anchor.append(box)
    doc.add(anchor)


def title_and_addressees(doc: GbDocument, addressee: str = "{{ addressees|join('、') }}：") -> None:
    doc.para(TITLE_BLOCK, "{{ title|fit_title }}")  # broken between words: 梯形/菱形
    doc.para(ADDRESSEE, addressee)


def body_blocks(doc: GbDocument, variable: str = "body", *, start_numbering: bool = True) -> None:
    """Paragraphs and headings from a list of {level, text}; the template numbers the
    headings (一、 黑体 / （一） 楷体 / 1. 仿宋) so the levels always get the right fonts."""
    if start_numbering:
        doc.tag("{%p set ns = namespace(h1=0, h2=0, h3=0) %}")
    doc.tag(f"{{%p for block in {variable}|paragraphs %}}")  # a newline in a block starts a paragraph
    doc.tag("{%p if block.level|default(0) == 1 %}")
    doc.tag("{%p set ns.h1 = ns.h1 + 1 %}")
    doc.tag("{%p set ns.h2 = 0 %}")
    doc.para(HEADING_1, "{{ ns.h1|cn_number }}、{{ block.text }}")
    doc.tag("{%p elif block.level|default(0) == 2 %}")
    doc.tag("{%p set ns.h2 = ns.h2 + 1 %}")
    doc.tag("{%p set ns.h3 = 0 %}")
    doc.para(HEADING_2, "（{{ ns.h2|cn_number }}）{{ block.text }}")
    doc.tag("{%p elif block.level|default(0) == 3 %}")
    doc.tag("{%p set ns.h3 = ns.h3 + 1 %}")
    doc.para(HEADING_3, "{{ ns.h3 }}. {{ block.text }}")
    doc.tag("{%p else %}")
    doc.para(BODY, "{{ block.text }}")
    doc.tag("{%p endif %}")
    doc.tag("{%p endfor %}")


# an attachment's name may cite a 文号 (火灾隐患整改通知书（…〔2026〕第6号）): its core never breaks
ITEM = "{{r item|nobreak_numbers }}"


def attachments(doc: GbDocument, variable: str = "attachments") -> None:
    """附件说明: "附件：1. …" two characters in; a long name wraps under its own first character and
    the later numbers stand under the first one (a tab after the number reaches the hanging indent)."""
    doc.tag(f"{{%p for item in {variable} %}}")
    doc.tag(f"{{%p if {variable}|length == 1 %}}")
    doc.para(ATTACHMENT_FIRST, "附件：", ITEM)
    doc.tag("{%p elif loop.first %}")
    doc.para(ATTACHMENT_NUMBERED.but(before=LINE_PITCH, first_line=-5 * CHAR_WIDTH), "附件：{{ loop.index }}.", "\t",
             ITEM)
    doc.tag("{%p else %}")
    doc.para(ATTACHMENT_NUMBERED, "{{ loop.index }}.", "\t", ITEM)
    doc.tag("{%p endif %}")
    doc.tag("{%p endfor %}")


def signature_and_date(doc: GbDocument, *, note: str | None = "note") -> None:
    doc.para(SIGNATURE, "{{ signature }}")
    doc.para(DATE_LINE, "{{ date|cn_date }}")
    if note:
        doc.tag(f"{{%p if {note} %}}")
        doc.para(NOTE, f"（{{{{ {note} }}}}）")
        doc.tag("{%p endif %}")


def banji(doc: GbDocument, *, with_issuer: bool = True) -> None:
    """版记 pinned to the bottom of the last page: rules, 抄送, 印发机关 + 印发日期.

    The text box grows with its content (a 15-entry 抄送 list or a wrapped 印发 line is never
    cut); each rule is its own 1 pt paragraph without indents, so every rule is exactly as wide
    as the 156 mm text block while the 抄送 and 印发 lines stay one character in on each side."""
    def rule(size: int, space: int) -> etree._Element:
        # neighbouring rules differ in border spacing so no reader merges them into one group
        return paragraph(ParaStyle(line=20, borders=(Border("bottom", size=size, space=space),), run=BANJI_RUN))

    boxed = [rule(THICK, 0)] if with_issuer else []
    boxed.append(paragraph(FLUSH_LEFT, "{%p if cc %}"))
    boxed.append(paragraph(BANJI_LINE.but(left=280 + 3 * 280, first_line=-3 * 280), "抄送：{{ cc|join('，') }}。"))
    if with_issuer:
        boxed.append(rule(THIN, 1))
    boxed.append(paragraph(FLUSH_LEFT, "{%p endif %}"))
    if with_issuer:
        issued = BANJI_LINE.but(align="left", tabs=(("right", TEXT_WIDTH - 280),))
        boxed.append(paragraph(issued, "{{ issuer }}", "\t", "{{ issue_date|cn_date }}印发"))
        boxed.append(rule(THICK, 0))
    box = anchored_text_box(boxed, name="版记", width_mm=156, height_mm=12, grow=True)
    anchor = paragraph(ParaStyle(line=20, run=BANJI_RUN))
    anchor.append(box)
    doc.add(anchor)


TemplateBuilder = Callable[[], GbDocument]


def builders() -> dict[str, TemplateBuilder]:
    from webapp.documents import templates_fire, templates_forms, templates_official

    found: dict[str, TemplateBuilder] = {}
    for module in (templates_official, templates_fire, templates_forms):
        found.update(module.BUILDERS)
    return found


def build_all(out_dir: Path) -> list[Path]:
    """Write every template as ``<key>.docx`` into ``out_dir``; returns the written paths."""
    written = []
    for key, build in sorted(builders().items()):
        path = Path(out_dir) / f"{key}.docx"
        doc = build()
        fit_marks(doc.document.element)  # the 发文机关标志 shrinks to one line
        doc.save(path)
        written.append(path)
    return written
