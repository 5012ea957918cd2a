"""月调度 (monthly) and 季通报 (quarterly) reports as DOCX: a 报表 on the GB/T 9704 page (no 版头) with the
totals in words, the figures per child grid (the dashboard's table, turned so many grids fit) and the chart.

It is a table-report, not a red-header 公文: a town that sends it upward as a 通报 issues it through 发文 with
this file as the attachment, so the 文号 and 签发 stay with the procedure that owns them.
"""

from __future__ import annotations

import io
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Mm

from webapp.documents.layout import BODY, DATE_LINE, FLUSH_LEFT, HEADING_1, Cell, GbDocument
from webapp.documents.ooxml import LINE_PITCH, paragraph
from webapp.documents.register_list import CONTROL_CHARACTERS
from webapp.documents.template_builder import TITLE_BLOCK
from webapp.documents.templates_forms import FORM_CELL, FORM_RUN, FORM_TEXT
from webapp.reports.charts import chart_png
from webapp.reports.figures import Row, Table

GRIDS_PER_TABLE = 3  # beside the measure and the total, at 16 pt: 156 mm of text block
TITLES = {"month": "消防安全工作月调度表", "quarter": "消防安全工作季度通报表", "year": "消防安全工作年度统计表"}


def title_of(table: Table) -> str:
    return f"{table.node.name}{table.period.label}{TITLES[table.period.kind]}"


def _clean(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


def summary(table: Table) -> str:
    """The totals in one sentence: 检查单位（家次）12，……，整改率80%。"""
    parts = [f"{c.label}{table.total.text(c)}" for c in table.columns]
    return f"{table.period.label}，{table.node.name}共计：" + "，".join(parts) + "。"


def _cell(text: str, centred: bool = True) -> Cell:
    return Cell([paragraph(FORM_CELL if centred else FORM_TEXT, _clean(text))])


def _chunks(rows: list[Row]) -> list[list[Row]]:
    return [rows[i:i + GRIDS_PER_TABLE] for i in range(0, len(rows), GRIDS_PER_TABLE)] or [[]]


def _figures_table(doc: GbDocument, table: Table, rows: list[Row]) -> None:
    """Measures down, 合计 then the grids across."""
    shown = [table.total, *rows]
    label_mm = 156 - 26 * len(shown)
    header = [_cell("指标"), *(_cell("合计" if r is table.total else r.label) for r in shown)]
    body = [[_cell(c.label, centred=False), *(_cell(r.text(c)) for r in shown)] for c in table.columns]
    doc.table([label_mm, *([26] * len(shown))], [header, *body], run=FORM_RUN, header_rows=1)


def _picture(doc: GbDocument, png: bytes) -> None:
    """The chart, centred on its own line (single spacing: the exact line pitch would clip the picture)."""
    p = doc.document.add_paragraph()  # python-docx puts it before the section properties, after the rest
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.add_run().add_picture(io.BytesIO(png), width=Mm(150))


def report_docx(table: Table, dated: date) -> bytes:
    doc = GbDocument(title=title_of(table))
    doc.para(TITLE_BLOCK.but(before=0, after=LINE_PITCH // 2), _clean(title_of(table)))
    doc.para(FLUSH_LEFT, _clean(f"统计范围：{table.node.name}　统计期间：{table.period.start.isoformat()}至"
                                f"{table.period.end.isoformat()}"))
    doc.para(HEADING_1, "一、总体情况")
    doc.para(BODY, _clean(summary(table)))
    doc.para(HEADING_1, "二、分网格情况")
    grids = [r for r in table.rows if r.node or r.label == "本级"]
    for rows in _chunks(grids):
        _figures_table(doc, table, rows)
    doc.para(HEADING_1.but(before=LINE_PITCH // 2), "三、统计图")
    _picture(doc, chart_png(table))
    doc.para(DATE_LINE.but(before=LINE_PITCH), f"{dated.year}年{dated.month}月{dated.day}日")
    out = io.BytesIO()
    doc.document.save(out)
    return out.getvalue()


