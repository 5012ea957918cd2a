"""Writes the .docx templates into doc_templates/ with their docxtpl Jinja tags in place.

Every tag sits in exactly one run (the builders emit one run per text), so docxtpl never
has to glue a tag together from runs with different formatting.  The blocks below are
the parts GB/T 9704 documents share; the per-template builders live in
``templates_official``, ``templates_fire`` and ``templates_forms``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from webapp.documents.drawing import anchored_text_box
from webapp.documents.layout import (
    BODY,
    CENTERED,
    DATE_LINE,
    FLUSH_LEFT,
    HEADING_1,
    HEADING_2,
    HEADING_3,
    NOTE,
    ORGAN_MARK,
    RED_RULE,
    SIGNATURE,
    TEXT_WIDTH,
    TITLE,
    GbDocument,
)
from webapp.documents.ooxml import CHAR_WIDTH, KAITI, LINE_PITCH, Border, ParaStyle, RunStyle, mm, paragraph

NUMBER_LINE = CENTERED.but(before=2 * LINE_PITCH, borders=(RED_RULE,))
TITLE_BLOCK = TITLE.but(before=2 * LINE_PITCH)
ADDRESSEE = FLUSH_LEFT.but(before=LINE_PITCH)
ATTACHMENT_FIRST = BODY.but(before=LINE_PITCH, left=5 * CHAR_WIDTH, first_line=-3 * CHAR_WIDTH)
ATTACHMENT_NEXT = BODY.but(left=5 * CHAR_WIDTH, first_line=0)
BANJI_RUN = RunStyle(size=14, spacing=None)
BANJI_LINE = ParaStyle(line=500, left=280, right=280, run=BANJI_RUN)
THICK, THIN = 8, 6  # eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.25 mm


def red_header(doc: GbDocument, *, upward: bool = False) -> None:
    """发文机关标志 (red, 35 mm below the 版心 top; 80 mm from the page top when sent upward)
    and the 发文字号 line carrying the red rule as its bottom border."""
    before = mm(80 - 37) if upward else mm(35)
    doc.para(ORGAN_MARK.but(before=before - 160), "{{ organ_mark }}")
    if not upward:
        doc.para(NUMBER_LINE, "{{ doc_number }}")
        return
    line = NUMBER_LINE.but(align="left", left=CHAR_WIDTH, right=CHAR_WIDTH,
                           tabs=(("right", TEXT_WIDTH - CHAR_WIDTH),))
    doc.para(line, "{{ doc_number }}", "\t", "签发人：", ("{{ signer }}", RunStyle(font=KAITI)))


def title_and_addressees(doc: GbDocument, addressee: str = "{{ addressees|join('、') }}：") -> None:
    doc.para(TITLE_BLOCK, "{{ title }}")
    doc.para(ADDRESSEE, addressee)


def body_blocks(doc: GbDocument, variable: str = "body", *, start_numbering: bool = True) -> None:
    """Paragraphs and headings from a list of {level, text}; the template numbers the
    headings (一、 黑体 / （一） 楷体 / 1. 仿宋) so the levels always get the right fonts."""
    if start_numbering:
        doc.tag("{%p set ns = namespace(h1=0, h2=0, h3=0) %}")
    doc.tag(f"{{%p for block in {variable} %}}")
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


def attachments(doc: GbDocument, variable: str = "attachments") -> None:
    """附件说明: "附件：1. …" two characters in, later items aligned under the first name."""
    number = f"{{% if {variable}|length > 1 %}}{{{{ loop.index }}}}. {{% endif %}}"
    doc.tag(f"{{%p for item in {variable} %}}")
    doc.tag("{%p if loop.first %}")
    doc.para(ATTACHMENT_FIRST, f"附件：{number}{{{{ item }}}}")
    doc.tag("{%p else %}")
    doc.para(ATTACHMENT_NEXT, f"{number}{{{{ item }}}}")
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
        build().save(path)
        written.append(path)
    return written
