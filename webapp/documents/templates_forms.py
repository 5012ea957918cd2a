"""纪要 (minutes format) and the plain forms: 责任书, 检查记录, 考评表."""

from __future__ import annotations

from lxml import etree

from webapp.documents.layout import (
    BODY,
    CENTERED,
    FLUSH_LEFT,
    HEADING_1,
    ORGAN_MARK,
    TEXT_WIDTH,
    Cell,
    GbDocument,
)
from webapp.documents.ooxml import CHAR_WIDTH, HEITI, LINE_PITCH, ParaStyle, RunStyle, mm, paragraph
from webapp.documents.template_builder import MARK_TOP, TITLE_BLOCK, attachments, banji, red_rule

ATTENDANCE = BODY.but(left=5 * CHAR_WIDTH, first_line=-3 * CHAR_WIDTH)
LABEL = RunStyle(font=HEITI)
FORM_RUN = RunStyle(size=14, spacing=None)
# Form cells set their own line height: the document default is the 28.95 pt body pitch, which
# made a 10.5 pt row three times as tall as its text (40 考评 items took 10 pages).
FORM_CELL = ParaStyle(align="center", line=440, before=60, after=60, run=FORM_RUN)
FORM_TEXT = FORM_CELL.but(align="left")
SMALL_RUN = RunStyle(size=10.5, spacing=None)
SMALL_CELL = ParaStyle(align="center", line=300, before=40, after=40, run=SMALL_RUN)
SMALL_TEXT = SMALL_CELL.but(align="left")


def _attendance(doc: GbDocument, label: str, variable: str, *, optional: bool = True) -> None:
    """出席 / 请假 / 列席: 黑体 label, then "单位 姓名" entries in 仿宋."""
    if optional:
        doc.tag(f"{{%p if {variable} %}}")
    doc.para(ATTENDANCE, (f"{label}：", LABEL), f"{{{{r {variable}|nobreak('，') }}}}")  # names kept whole
    if optional:
        doc.tag("{%p endif %}")


def build_minutes() -> GbDocument:
    doc = GbDocument(title="会议纪要")
    # The 纪要 mark replaces the organ mark; 22 pt so that it reads as the title.
    # its top edge 35 mm below the 版心 top like every mark (GB/T 9704-2012 §10.3)
    # (a 22 pt glyph sits lower in the mark's 45 pt line than a 30 pt one: 2 mm less space before)
    doc.para(ORGAN_MARK.but(before=MARK_TOP - mm(2), run=ORGAN_MARK.run.but(size=22)), "{{ mark }}")
    doc.para(CENTERED.but(before=LINE_PITCH), "第{{ issue_no }}期")
    header_line = FLUSH_LEFT.but(before=LINE_PITCH, left=CHAR_WIDTH, tabs=(("right", TEXT_WIDTH - CHAR_WIDTH),))
    doc.para(header_line, "{{ issuer }}", "\t", "{{ date|cn_date }}")
    red_rule(doc)  # 156 mm: the indented line above would shorten a border of its own
    doc.para(BODY.but(before=2 * LINE_PITCH), "{{ meeting.date|cn_date }}，", "{{r meeting.chair|nobreak }}",
             "在{{ meeting.place }}主持召开{{ meeting.name }}。{{ meeting.summary }}现将会议议定事项纪要如下：")
    doc.tag("{%p for decision in decisions %}")
    doc.para(HEADING_1, "{{ loop.index|cn_number }}、{{ decision.title }}")
    doc.para(BODY, "{{ decision.text }}{% if decision.owner %}（责任单位：{{ decision.owner }}"
             "{% if decision.deadline %}；完成时限：{{ decision.deadline|cn_date }}前{% endif %}）{% endif %}")
    doc.tag("{%p endfor %}")
    attachments(doc)
    doc.para(BODY.but(before=LINE_PITCH), "")
    _attendance(doc, "出席", "attendees", optional=False)
    _attendance(doc, "请假", "absentees")
    _attendance(doc, "列席", "observers")
    doc.para(ATTENDANCE, ("记录：", LABEL), "{{r meeting.recorder|nobreak }}")
    banji(doc)
    return doc


def _numbered(doc: GbDocument, heading: str, variable: str) -> None:
    doc.para(HEADING_1, heading)
    doc.tag(f"{{%p for item in {variable} %}}")
    doc.para(BODY, "{{ loop.index }}. {{ item }}")
    doc.tag("{%p endfor %}")


def build_responsibility_letter() -> GbDocument:
    doc = GbDocument(title="消防安全目标责任书")
    doc.para(TITLE_BLOCK.but(before=LINE_PITCH), "{{ year }}年度消防安全目标责任书")
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH), "甲方：{{ party_a.name }}")
    doc.para(FLUSH_LEFT, "乙方：{{ party_b.name }}")
    doc.para(BODY.but(before=LINE_PITCH), "{{ preamble }}")
    _numbered(doc, "一、责任目标", "targets")
    _numbered(doc, "二、乙方职责", "duties")
    _numbered(doc, "三、考核与奖惩", "assessment")
    doc.para(HEADING_1, "四、责任期限")
    doc.para(BODY, "本责任书自{{ term.start|cn_date }}起至{{ term.end|cn_date }}止。")
    doc.para(HEADING_1, "五、其他")
    doc.para(BODY, "本责任书一式{{ copies|cn_number }}份，{{ copies_note }}")
    sign = ParaStyle(align="left", line=LINE_PITCH)
    doc.para(BODY.but(before=LINE_PITCH), "")
    doc.table([78, 78], [
        [Cell("甲方（盖章）：", style=sign), Cell("乙方（盖章）：", style=sign)],
        [Cell("{{ party_a.name }}", style=sign), Cell("{{ party_b.name }}", style=sign)],
        [Cell("负责人（签字）：{{ party_a.signatory }}", style=sign),
         Cell("负责人（签字）：{{ party_b.signatory }}", style=sign)],
        [Cell("{% if sign_date %}{{ sign_date|cn_date }}{% else %}　　年　　月　　日{% endif %}", style=sign),
         Cell("{% if sign_date %}{{ sign_date|cn_date }}{% else %}　　年　　月　　日{% endif %}", style=sign)],
    ], header_rows=0, borders=False)
    return doc


def _form_title(doc: GbDocument, text: str) -> None:
    doc.para(TITLE_BLOCK.but(before=0, after=LINE_PITCH // 2), text)


def _label(text: str, style: ParaStyle = FORM_CELL, span: int = 1) -> Cell:
    """A label cell: bold, never wrapped (its column is measured to hold it); lines given as
    "被检查单位代表|（签字）" become one paragraph each, so a break falls only between words."""
    bold = style.but(run=style.run.but(bold=True))
    lines = text.split("|")
    content: str | list = text if len(lines) == 1 else [paragraph(bold, line) for line in lines]
    return Cell(content, span=span, style=bold, no_wrap=True)


def _table_gap(doc: GbDocument) -> None:
    """A 1 pt paragraph between two tables (Word glues tables that touch into one)."""
    doc.para(ParaStyle(line=20, run=RunStyle(size=1, spacing=None)))


def build_inspection_record() -> GbDocument:
    """Three tables: the unit, the checklist (its header row repeats on every page) and the
    findings with the signatures; label columns are as wide as their longest word."""
    doc = GbDocument(title="消防安全检查记录")
    _form_title(doc, "消防安全检查记录")
    doc.para(FLUSH_LEFT.but(align="right", run=FORM_RUN), "编号：{{ record_no }}")

    def value(text: str, span: int = 1) -> Cell:
        return Cell(text, span=span, style=FORM_TEXT)

    frame = [38, 56, 24, 38]  # 消防安全责任人 = 7 characters of 14 pt + cell margins
    doc.table(frame, [
        [_label("被检查单位"), value("{{ unit.name }}", 3)],
        [_label("地址"), value("{{ unit.address }}", 3)],
        [_label("消防安全责任人"), value("{{ unit.responsible_person }}"), _label("联系电话"),
         value("{{ unit.phone }}")],
        [_label("检查时间"), value("{{ inspection.date|cn_date }} {{ inspection.time }}", 3)],
        [_label("检查人员"), value("{{ inspection.inspectors|join('、') }}", 3)],
    ], run=FORM_RUN, header_rows=0)
    _table_gap(doc)
    doc.table([14, 80, 30, 32], [
        [_label("序号"), _label("检查项目"), _label("检查情况"), _label("备注")],
        "{%tr for item in items %}",
        [Cell("{{ loop.index }}", style=FORM_CELL), value("{{ item.name }}"), value("{{ item.result }}"),
         value("{{ item.remark|default('') }}")],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)
    _table_gap(doc)
    hazards = [doc_paragraph("{%p for hazard in hazards %}"),
               doc_paragraph("{{ loop.index }}. {{ hazard.description }}（位置：{{ hazard.location }}）"),
               doc_paragraph("{%p endfor %}"),
               doc_paragraph("{% if not hazards %}未发现火灾隐患。{% endif %}")]
    doc.table(frame, [
        [_label("发现的问题"), Cell(hazards, span=3)],
        [_label("处理措施"), value("{{ measures }}", 3)],
        [_label("被检查单位代表|（签字）"), value("{{ unit_representative|default('') }}"),
         _label("检查人员|（签字）"), value("")],
    ], run=FORM_RUN, header_rows=0)
    return doc


def doc_paragraph(text: str) -> etree._Element:
    return paragraph(FORM_TEXT, text)


NEW_CATEGORY = "loop.first or loop.previtem.category != item.category"


def build_evaluation_sheet() -> GbDocument:
    """类别 cells merged down their category, the header row repeated on every page, 15 pt lines
    (40 items take about three pages) and signature lines for both sides under the table."""
    doc = GbDocument(title="年终考评表")
    _form_title(doc, "{{ year }}年度消防安全工作考评表")
    doc.para(FLUSH_LEFT.but(tabs=(("right", TEXT_WIDTH),), run=FORM_RUN),
             "被考评单位：{{ assessed.name }}", "\t", "考评日期：{{ date|cn_date }}")
    head = [_label(t, SMALL_CELL) for t in ("类别", "考评内容", "分值", "评分标准", "自评|得分", "考评|得分",
                                            "扣分原因")]
    category = Cell(f"{{% if {NEW_CATEGORY} %}}{{{{ item.category }}}}{{% endif %}}", style=SMALL_CELL,
                    vmerge=f"{{% if {NEW_CATEGORY} %}}restart{{% else %}}continue{{% endif %}}")
    row = [category,
           Cell("{{ item.content }}", style=SMALL_TEXT), Cell("{{ item.points|num }}", style=SMALL_CELL),
           Cell("{{ item.rule }}", style=SMALL_TEXT), Cell("{{ item.self_score|num }}", style=SMALL_CELL),
           Cell("{{ item.score|num }}", style=SMALL_CELL), Cell("{{ item.deduction_reason|default('') }}",
                                                               style=SMALL_TEXT)]
    total = [_label("合计", SMALL_CELL, span=2), Cell("{{ items|total('points')|num }}", style=SMALL_CELL),
             Cell("", style=SMALL_CELL), Cell("{{ items|total('self_score')|num }}", style=SMALL_CELL),
             Cell("{{ items|total('score')|num }}", style=SMALL_CELL), Cell("", style=SMALL_CELL)]
    grade = [_label("等次", SMALL_CELL, span=2), Cell("{{ grade }}", span=5, style=SMALL_TEXT)]
    # 类别 holds four characters a line (消防安全 / 基础), 自评/考评得分 two (header in two lines)
    doc.table([17, 40, 11, 42, 12, 12, 22], [head, "{%tr for item in items %}", row, "{%tr endfor %}",
                                              total, grade], run=SMALL_RUN)
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH // 2, keep_next=True, run=FORM_RUN),
             "考评人员：{{ assessors|join('、') }}")
    sign = FORM_TEXT.but(line=LINE_PITCH, line_rule="exact", keep_next=True)
    blank_date = "　　　　年　　月　　日"
    doc.table([78, 78], [
        [Cell("考评组（签字）：", style=sign), Cell("被考评单位（盖章）：", style=sign)],
        [Cell("", style=sign), Cell("负责人（签字）：", style=sign)],
        [Cell(f"日期：{blank_date}", style=sign), Cell(f"日期：{blank_date}", style=sign)],
    ], header_rows=0, borders=False)
    return doc


BUILDERS = {
    "minutes": build_minutes,
    "responsibility_letter": build_responsibility_letter,
    "inspection_record": build_inspection_record,
    "evaluation_sheet": build_evaluation_sheet,
}
