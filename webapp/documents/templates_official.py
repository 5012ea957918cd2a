"""Red-header 公文 templates: 通知 (down and up) and 通报 with a ranked table."""

from __future__ import annotations

from webapp.documents.layout import BODY, CENTERED, Cell, GbDocument
from webapp.documents.ooxml import ParaStyle, RunStyle
from webapp.documents.template_builder import (
    attachments,
    banji,
    body_blocks,
    red_header,
    signature_and_date,
    title_and_addressees,
)

TABLE_CELL = ParaStyle(align="center", line=None)
TABLE_HEAD = TABLE_CELL.but(run=RunStyle(bold=True))


def _official(title: str, *, upward: bool = False) -> GbDocument:
    doc = GbDocument(title=title)
    red_header(doc, upward=upward, joint=True)  # 通知、通报、报告 may be issued jointly
    title_and_addressees(doc)
    body_blocks(doc)
    return doc


def _closing(doc: GbDocument) -> GbDocument:
    attachments(doc)
    signature_and_date(doc)
    banji(doc)
    return doc


def build_notice() -> GbDocument:
    return _closing(_official("通知"))


def build_notice_upward() -> GbDocument:
    return _closing(_official("通知（上行文）", upward=True))


def build_bulletin() -> GbDocument:
    doc = _official("通报")
    doc.para(CENTERED.but(keep_next=True), "{{ table_title }}")
    head = [Cell(text, style=TABLE_HEAD) for text in ("名次", "单位", "得分", "等次")]
    row = [Cell(expr, style=TABLE_CELL) for expr in (
        "{{ row.rank }}", "{{ row.unit }}", "{{ row.score|num }}", "{{ row.grade }}")]
    doc.table([22, 78, 28, 28], [head, "{%tr for row in ranking %}", row, "{%tr endfor %}"])
    doc.para(BODY, "")  # one blank line between the table and the closing text
    body_blocks(doc, "closing", start_numbering=False)
    return _closing(doc)


BUILDERS = {
    "notice": build_notice,
    "notice_upward": build_notice_upward,
    "bulletin": build_bulletin,
}
