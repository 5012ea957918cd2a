"""纪要 (minutes format) and the plain forms: 责任书, 检查记录, 考评表."""

from __future__ import annotations

from webapp.documents.layout import (
    BODY,
    CELL_MARGIN,
    CENTERED,
    FLUSH_LEFT,
    HEADING_1,
    ORGAN_MARK,
    TEXT_WIDTH,
    TITLE,
    Cell,
    GbDocument,
)
from webapp.documents.ooxml import (
    CHAR_WIDTH,
    HEITI,
    LINE_PITCH,
    TWIPS_PER_MM,
    ParaStyle,
    RunStyle,
    mm,
    page_break_run,
    paragraph,
)
from webapp.documents.template_builder import MARK_TOP, TITLE_BLOCK, attachments, banji, red_rule

ATTENDANCE = BODY.but(left=5 * CHAR_WIDTH, first_line=-3 * CHAR_WIDTH)
LABEL = RunStyle(font=HEITI)
# Forms print at 16 pt 仿宋 like every body text (GB/T 9704 3号; the shared checker holds table
# cells to it too) with the body's -0.3 pt spacing, so columns can be measured in CHAR_WIDTH.
# Their cells set a 20 pt line instead of the 28.95 pt body pitch: a row is as tall as its text.
FORM_RUN = RunStyle()
FORM_CELL = ParaStyle(align="center", line=400, before=20, after=20, run=FORM_RUN)
FORM_TEXT = FORM_CELL.but(align="left")


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


def chars_mm(count: int, room: float = 0.4) -> float:
    """Width in mm of a column holding ``count`` 16 pt characters on one line (cell margins and
    ``room`` mm included), so that a label of that many characters is never broken inside a word."""
    return round((count * CHAR_WIDTH + 2 * CELL_MARGIN) / TWIPS_PER_MM + room, 1)


def mm_left(*taken: float) -> float:
    """What the 156 mm text block leaves for the one flexible column."""
    return round(TEXT_WIDTH / TWIPS_PER_MM - sum(taken), 1)


def _label(text: str, style: ParaStyle = FORM_CELL, span: int = 1) -> Cell:
    """A label cell: bold, never wrapped (its column is measured to hold it); lines given as
    "检查人员|（签字）" become one paragraph each, so a break falls only between words."""
    bold = style.but(run=style.run.but(bold=True))
    lines = text.split("|")
    content: str | list = text if len(lines) == 1 else [paragraph(bold, line) for line in lines]
    return Cell(content, span=span, style=bold, no_wrap=True)


def _table_gap(doc: GbDocument) -> None:
    """A 1 pt paragraph between two tables (Word glues tables that touch into one)."""
    doc.para(ParaStyle(line=20, run=RunStyle(size=1, spacing=None)))


def _value(text: str, span: int = 1, style: ParaStyle = FORM_TEXT) -> Cell:
    return Cell(text, span=span, style=style)


# The columns of a processing sheet's 环节 / 意见 / 办理人 / 日期 table; 2026年11月20日 stays on one line
# (LibreOffice sets a quarter em between digits and CJK).
_STEP_MM, _PERSON_MM, _DAY_MM = chars_mm(2, room=2), chars_mm(3, room=2), 52.0


def _steps_table(doc: GbDocument) -> None:
    """A row a step of the case, each with its opinion, person and date (收文处理单, 发文稿纸)."""
    doc.table([_STEP_MM, mm_left(_STEP_MM, _PERSON_MM, _DAY_MM), _PERSON_MM, _DAY_MM], [
        [_label("环节"), _label("意见"), _label("办理人"), _label("日期")],
        "{%tr for step in steps %}",
        [Cell("{{ step.name }}", style=FORM_CELL), _value("{{ step.opinion }}"), _value("{{ step.person }}"),
         Cell("{% if step.date %}{{ step.date|cn_date }}{% endif %}", style=FORM_CELL)],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)


def _sheet_head(doc: GbDocument, title: str, corner: str, facts: list[list[Cell]]) -> None:
    """A processing sheet's head: its title, one line at the right (the sheet's number, 文号 or town), then
    its facts in four columns, label, value, label, value; a label holds up to four characters."""
    _form_title(doc, title)
    doc.para(FLUSH_LEFT.but(align="right"), corner)
    label = chars_mm(4, room=2)
    half = mm_left(2 * label) / 2
    doc.table([label, half, label, half], facts, run=FORM_RUN, header_rows=0)


def build_inspection_record() -> GbDocument:
    """Three tables: the unit, the checklist (its header row repeats on every page) and the
    findings with the signatures, kept on one page; label columns are as wide as their longest word."""
    doc = GbDocument(title="消防安全检查记录")
    _form_title(doc, "消防安全检查记录")
    doc.para(FLUSH_LEFT.but(align="right"), "编号：{{ record_no }}")
    label = chars_mm(7, room=2)  # 消防安全责任人
    phone_label = chars_mm(4, room=2)  # 联系电话, 检查人员, （签字）
    phone = 34.0  # eleven digits of a mobile number
    frame = [label, mm_left(label, phone_label, phone), phone_label, phone]
    doc.table(frame, [
        [_label("被检查单位"), _value("{{ unit.name }}", 3)],
        [_label("地址"), _value("{{ unit.address }}", 3)],
        [_label("消防安全责任人"), _value("{{ unit.responsible_person }}"), _label("联系电话"),
         _value("{{ unit.phone }}")],
        [_label("检查时间"), _value("{{ inspection.date|cn_date }} {{ inspection.time }}", 3)],
        [_label("检查人员"), _value("{{ inspection.inspectors|join('、') }}", 3)],
    ], run=FORM_RUN, header_rows=0)
    _table_gap(doc)
    number, remark = chars_mm(2), chars_mm(4)
    doc.table([number, 66.0, mm_left(number, 66.0, remark), remark], [
        [_label("序号"), _label("检查项目"), _label("检查情况"), _label("备注")],
        "{%tr for item in items %}",
        [Cell("{{ loop.index }}", style=FORM_CELL), _value("{{ item.name }}"), _value("{{ item.result }}"),
         _value("{{ item.remark|default('') }}")],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)
    _table_gap(doc)
    # every paragraph above the signature row keeps with the next: the row never starts a page alone
    keep = FORM_TEXT.but(keep_next=True)
    hazards = [paragraph(keep, "{%p for hazard in hazards %}"),
               paragraph(keep, "{{ loop.index }}. {{ hazard.description }}（位置：{{ hazard.location }}）"),
               paragraph(keep, "{%p endfor %}"),
               paragraph(keep, "{% if not hazards %}未发现火灾隐患。{% endif %}")]
    kept_label = FORM_CELL.but(keep_next=True)
    # room to sign (body line pitch), the signing date under each signature: the form's 成文日期
    sign = FORM_TEXT.but(line=LINE_PITCH)
    dated = sign.but(align="right")

    def signed(name: str) -> Cell:
        return Cell([paragraph(sign, name), paragraph(dated, "{{ inspection.date|cn_date }}")])

    # labels of five characters (发现的问题) and two equal signature cells, each wide enough for
    # 2026年12月31日 (LibreOffice puts a quarter em between digits and CJK: 45 mm at 16 pt)
    closing_label = chars_mm(5, room=2)
    signature_value = mm_left(closing_label, phone_label) / 2
    doc.table([closing_label, signature_value, phone_label, signature_value], [
        [_label("发现的问题", kept_label), Cell(hazards, span=3)],
        [_label("处理措施", kept_label), _value("{{ measures }}", 3, keep)],
        [_label("被检查单位|代表|（签字）"), signed("{{ unit_representative|default('') }}"),
         _label("检查人员|（签字）"), signed("")],
    ], run=FORM_RUN, header_rows=0)
    return doc


NEW_CATEGORY = "loop.first or loop.previtem.category != item.category"


def build_evaluation_sheet() -> GbDocument:
    """16 pt like the body of a 公文, on the portrait GB/T 9704 page (the shared checker fails a
    landscape section): 类别 cells merged down their category, the header row repeated on every
    page, narrow score columns, and signature rows for both sides closing the table."""
    doc = GbDocument(title="年终考评表")
    _form_title(doc, "{{ year }}年度消防安全工作考评表")
    doc.para(FLUSH_LEFT, "被考评单位：{{ assessed.name }}")
    doc.para(FLUSH_LEFT.but(after=LINE_PITCH // 4), "考评日期：{{ date|cn_date }}")
    head = [_label(t) for t in ("类别", "考评内容", "分值", "评分标准", "自评|得分", "考评|得分", "扣分|原因")]
    category = Cell(f"{{% if {NEW_CATEGORY} %}}{{{{ item.category }}}}{{% endif %}}", style=FORM_CELL,
                    vmerge=f"{{% if {NEW_CATEGORY} %}}restart{{% else %}}continue{{% endif %}}")
    row = [category, _value("{{ item.content }}"), Cell("{{ item.points|num }}", style=FORM_CELL),
           _value("{{ item.rule }}"), Cell("{{ item.self_score|num }}", style=FORM_CELL),
           Cell("{{ item.score|num }}", style=FORM_CELL), _value("{{ item.deduction_reason|default('') }}")]
    # 合计, 等次 and 考评人员 keep with the signature rows: those never start a page on their own
    kept, kept_text = FORM_CELL.but(keep_next=True), FORM_TEXT.but(keep_next=True)
    total = [_label("合计", kept, span=2), Cell("{{ items|total('points')|num }}", style=kept),
             Cell("", style=kept), Cell("{{ items|total('self_score')|num }}", style=kept),
             Cell("{{ items|total('score')|num }}", style=kept), Cell("", style=kept)]
    grade = [_label("等次", kept, span=2), Cell("{{ grade }}", span=5, style=kept_text)]
    assessors = [_label("考评人员", kept, span=2), Cell("{{ assessors|join('、') }}", span=5, style=kept_text)]
    # the signatures are rows of the same table (LibreOffice keeps rows together, not a table with
    # the paragraphs after it); a blank body-pitch line leaves room to sign by hand
    sign, dated = FORM_TEXT.but(line=LINE_PITCH, keep_next=True), FORM_TEXT.but(line=LINE_PITCH, align="right")
    date_line = "日期：　　年　　月　　日"
    signatures = [
        [_label("考评组（签字）", kept, span=2),
         Cell([paragraph(sign, ""), paragraph(sign, ""), paragraph(dated.but(keep_next=True), date_line)], span=5)],
        [_label("被考评单位|（盖章）", span=2),
         Cell([paragraph(sign, "负责人（签字）："), paragraph(sign, ""), paragraph(dated, date_line)], span=5)],
    ]
    # two characters a line for 类别 (消防 / 安全 / 责任) and 分值, three for the reason, 16 mm for a
    # score (83.45); 考评内容 takes six characters, 评分标准 the rest (seven)
    two, reason, content, score = chars_mm(2), chars_mm(3), chars_mm(6), 16.0
    widths = [two, content, two, mm_left(2 * two, 2 * score, content, reason), score, score, reason]
    doc.table(widths, [head, "{%tr for item in items %}", row, "{%tr endfor %}", total, grade, assessors,
                       *signatures], run=FORM_RUN)
    return doc


def build_unit_file() -> GbDocument:
    """一户一档: the unit's facts, then every entry of its file in time order (the header row repeats on
    every page); the issued documents and photos the entries name follow the converted form in the PDF."""
    doc = GbDocument(title="一户一档")
    _form_title(doc, "单位消防安全档案（一户一档）")
    doc.para(FLUSH_LEFT.but(align="right"), "导出日期：{{ exported_on|cn_date }}")
    label = chars_mm(7, room=2)  # 消防安全责任人
    phone_label = chars_mm(4, room=2)
    phone = 45.0  # eleven digits as LibreOffice sets them at 16 pt
    frame = [label, mm_left(label, phone_label, phone), phone_label, phone]
    doc.table(frame, [
        [_label("单位名称"), _value("{{ unit.name }}", 3)],
        [_label("类别"), _value("{{ unit.category }}"), _label("单位码"), _value("{{ unit.code }}")],
        [_label("地址"), _value("{{ unit.address }}", 3)],
        [_label("所属网格"), _value("{{ unit.grid }}", 3)],
        [_label("消防安全责任人"), _value("{{ unit.responsible_person }}"), _label("联系电话"),
         _value("{{ unit.responsible_phone }}")],
        [_label("消防安全管理人"), _value("{{ unit.manager }}"), _label("联系电话"),
         _value("{{ unit.manager_phone }}")],
        [_label("档案内容"),
         _value("记录{{ entries|length }}条，附文件{{ document_count }}份、现场照片{{ photo_count }}张", 3)],
    ], run=FORM_RUN, header_rows=0)
    _table_gap(doc)
    # 2026-05-06 on one line; 事项 wraps after four characters, the state takes three (已送达)
    number, day, kind, state = chars_mm(2), 38.0, chars_mm(4), chars_mm(3)
    doc.table([number, day, kind, mm_left(number, day, kind, state), state], [
        [_label("序号"), _label("日期"), _label("事项"), _label("内容"), _label("状态")],
        "{%tr for entry in entries %}",
        [Cell("{{ loop.index }}", style=FORM_CELL), Cell("{{ entry.date }}", style=FORM_CELL),
         _value("{{ entry.kind }}"), _value("{{ entry.summary }}"), _value("{{ entry.state|default('') }}")],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH // 2), "{% if not entries %}该单位暂无档案记录。{% endif %}")
    return doc


def build_incoming_sheet() -> GbDocument:
    """收文处理单: the registration, then each step's person, opinion and date, then the 传阅 readers; a form
    like the others (16 pt 仿宋, no red header)."""
    doc = GbDocument(title="收文处理单")
    _sheet_head(doc, "收文处理单", "收文编号：{{ number }}", [
        [_label("来文机关"), _value("{{ sender }}"), _label("来文字号"), _value("{{ sender_number|default('') }}")],
        [_label("标题"), _value("{{ title }}", 3)],
        [_label("密级"), _value("{{ secrecy }}"), _label("紧急程度"), _value("{{ urgency }}")],
        [_label("收文日期"), _value("{{ received_on|cn_date }}"), _label("登记人"), _value("{{ registered_by }}")],
    ])
    _table_gap(doc)
    _steps_table(doc)
    _table_gap(doc)
    person, day = _PERSON_MM, _DAY_MM
    doc.table([person, mm_left(person, day), day], [
        [_label("传阅人"), _label("阅示意见"), _label("阅文日期")],
        "{%tr for reading in readings %}",
        [_value("{{ reading.name }}"), _value("{{ reading.remark }}"),
         Cell("{% if reading.date %}{{ reading.date|cn_date }}{% endif %}", style=FORM_CELL)],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH // 2), "{% if not readings %}本件未传阅。{% endif %}")
    return doc


def build_supervision_sheet() -> GbDocument:
    """督办单: the overdue step, the leader's 督办意见 and 督办期限, then a box the holder fills on paper with
    what was done (办理情况); a form like the others (16 pt 仿宋, no red header)."""
    doc = GbDocument(title="督办单")
    _sheet_head(doc, "督办单", "{{ town }}", [
        [_label("督办事项"), _value("{{ case_title }}", 3)],
        [_label("办理环节"), _value("{{ step }}"), _label("涉及单位"), _value("{{ unit|default('') }}")],
        [_label("承办人"), _value("{{ holders }}", 3)],
        [_label("原定期限"), _value("{{ due_on|cn_date }}"), _label("已逾期"), _value("{{ overdue_days }}个工作日")],
        [_label("督办意见"), _value("{{ opinion }}", 3)],
        [_label("督办期限"), _value("{{ deadline|cn_date }}前办结"), _label("督办人"), _value("{{ leader }}")],
        [_label("督办日期"), _value("{{ issued_on|cn_date }}", 3)],
        [_label("办理情况"), _value("", 3)],
    ])
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH // 2), "承办人请于督办期限前办结，并将办理情况报督办人。")
    return doc


def build_campaign_report() -> GbDocument:
    """专项行动总结报告: the campaign's facts, its figures from the tagged records, its own checklist."""
    doc = GbDocument(title="专项行动总结报告")
    _form_title(doc, "{{ name }}总结报告")
    doc.para(FLUSH_LEFT.but(align="right"), "报告日期：{{ made_on|cn_date }}")
    label = chars_mm(4, room=2)
    doc.table([label, mm_left(label)], [
        [_label("组织单位"), _value("{{ organ }}")],
        [_label("行动期间"), _value("{{ period }}")],
        [_label("对象场所"), _value("{{ targets }}")],
        [_label("行动范围"), _value("{{ areas }}")],
    ], run=FORM_RUN, header_rows=0)
    _table_gap(doc)
    figure = chars_mm(6, room=2)
    doc.table([mm_left(figure), figure], [
        [_label("统计项目"), _label("数量")],
        "{%tr for figure in figures %}",
        [_value("{{ figure.label }}"), Cell("{{ figure.value }}", style=FORM_CELL)],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH // 2, run=FORM_RUN.but(bold=True)), "专项检查内容")
    doc.tag("{%p for item in checklist %}")
    doc.para(BODY, "{{ loop.index }}. {{ item }}")
    doc.tag("{%p endfor %}")
    doc.para(FLUSH_LEFT, "{% if not checklist %}本次行动未另设专项检查内容。{% endif %}")
    return doc


def build_ledger_binder_contents() -> GbDocument:
    """台账汇编的封面和目录: the cover, then (on a page of its own) each section and document with the page
    of the binder PDF it starts on."""
    doc = GbDocument(title="台账汇编目录", page_numbers=False)
    for _ in range(4):
        doc.para(CENTERED, "")
    doc.para(TITLE_BLOCK, "{{ town }}{{ year }}年度")
    doc.para(TITLE, "消防安全网格化管理台账")
    doc.para(CENTERED.but(before=LINE_PITCH * 2), "{{ organ }}")
    doc.para(CENTERED, "{{ made_on|cn_date }}汇编")
    doc.add(paragraph(CENTERED, page_break_run()))
    _form_title(doc, "目　录")
    page = chars_mm(4, room=2)
    doc.table([mm_left(page), page], [
        [_label("内容"), _label("页码")],
        "{%tr for entry in entries %}",
        [_value("{{ entry.label }}"), Cell("{{ entry.page }}", style=FORM_CELL)],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH // 2), "注：页码为本汇编PDF文件的页序号（封面为第1页）。")
    return doc


def _unit_rows() -> list[list[Cell]]:
    return [[_label("单位名称"), _value("{{ unit.name }}", 3)],
            [_label("地址"), _value("{{ unit.address }}", 3)],
            [_label("消防安全责任人"), _value("{{ unit.responsible_person }}"), _label("联系电话"),
             _value("{{ unit.phone }}")],
            [_label("整改通知书"), _value("{{ notice_number }}", 3)]]


def _hazard_dates(doc: GbDocument, new_label: str, new_variable: str) -> None:
    """The hazards with the notice's 整改期限 beside the new date (the legal one stays on the record)."""
    number, day = chars_mm(2), 45.0
    doc.table([number, mm_left(number, 2 * day), day, day], [
        [_label("序号"), _label("隐患"), _label("原整改期限"), _label(new_label)],
        "{%tr for hazard in hazards %}",
        [Cell("{{ loop.index }}", style=FORM_CELL), _value("{{ hazard.description }}（{{ hazard.location }}）"),
         Cell("{{ hazard.deadline|cn_date }}", style=FORM_CELL),
         Cell(f"{{% if hazard.{new_variable} %}}{{{{ hazard.{new_variable}|cn_date }}}}{{% endif %}}",
              style=FORM_CELL)],
        "{%tr endfor %}",
    ], run=FORM_RUN, header_rows=1)


def build_rectification_plan() -> GbDocument:
    """整改计划及延期审批表: the unit's plan and the dates it asks for, then the leader's decision."""
    doc = GbDocument(title="整改计划及延期审批表")
    _form_title(doc, "火灾隐患整改计划及延期审批表")
    label, phone_label = chars_mm(7, room=2), chars_mm(4, room=2)
    frame = [label, mm_left(label, phone_label, 34.0), phone_label, 34.0]
    doc.table(frame, [*_unit_rows(),
                      [_label("申请人"), _value("{{ applicant }}"), _label("申请日期"),
                       _value("{{ applied_on|cn_date }}")]], run=FORM_RUN, header_rows=0)
    _table_gap(doc)
    _hazard_dates(doc, "申请延至", "requested")
    _table_gap(doc)
    kept = FORM_TEXT.but(keep_next=True)
    closing = chars_mm(5, room=2)
    doc.table([closing, mm_left(closing)], [
        [_label("延期理由"), _value("{{ reason }}", style=kept)],
        [_label("整改计划"), _value("{{ measures }}", style=kept)],
        [_label("防范措施"), _value("{{ interim_measures }}", style=kept)],
        [_label("审批意见"), Cell([paragraph(kept, "{{ decision }}{% if opinion %}{{ opinion }}{% endif %}"),
                               paragraph(FORM_TEXT.but(line=LINE_PITCH, align="right"),
                                         "审批人：{{ decided_by|default('') }}　"
                                         "{% if decided_on %}{{ decided_on|cn_date }}{% else %}　　年　　月　　日"
                                         "{% endif %}")])],
    ], run=FORM_RUN, header_rows=0)
    return doc


def build_interview_record() -> GbDocument:
    """约谈记录: who met whom, when and where, about which hazards; what was said and promised, and the
    new deadlines, then the signatures of both sides."""
    doc = GbDocument(title="约谈记录")
    _form_title(doc, "消防安全约谈记录")
    label, phone_label = chars_mm(7, room=2), chars_mm(4, room=2)
    frame = [label, mm_left(label, phone_label, 34.0), phone_label, 34.0]
    doc.table(frame, [*_unit_rows(),
                      [_label("约谈时间"), _value("{{ held_on|cn_date }}", 3)],
                      [_label("约谈地点"), _value("{{ place }}", 3)],
                      [_label("约谈对象"), _value("{{ interviewee }}"), _label("到场人员"), _value("{{ attendees }}")],
                      [_label("约谈人"), _value("{{ interviewers }}", 3)]], run=FORM_RUN, header_rows=0)
    _table_gap(doc)
    _hazard_dates(doc, "约谈后期限", "new_deadline")
    _table_gap(doc)
    kept = FORM_TEXT.but(keep_next=True)
    closing = chars_mm(5, room=2)
    sign = FORM_TEXT.but(line=LINE_PITCH)
    doc.table([closing, mm_left(closing)], [
        [_label("约谈内容"), _value("{{ content }}", style=kept)],
        [_label("整改承诺"), _value("{{ commitment }}", style=kept)],
        [_label("告知事项"), _value("逾期仍未整改的，依法移交公安派出所或消防救援机构处理。", style=kept)],
        [_label("被约谈人|（签字）"), Cell([paragraph(sign, ""), paragraph(sign.but(align="right"),
                                                                       "{{ held_on|cn_date }}")])],
        [_label("约谈人|（签字）"), Cell([paragraph(sign, ""), paragraph(sign.but(align="right"),
                                                                     "{{ held_on|cn_date }}")])],
    ], run=FORM_RUN, header_rows=0)
    return doc


def build_issuing_sheet() -> GbDocument:
    """发文稿纸: the document's particulars, who drafted it, then 核稿, 会签 and 签发 each with person, opinion
    and date, as the case recorded them; a form like 收文处理单 (16 pt 仿宋, no red header)."""
    doc = GbDocument(title="发文稿纸")
    _sheet_head(doc, "发文稿纸", "文号：{{ doc_number }}", [
        [_label("发文机关"), _value("{{ organ }}", 3)],
        [_label("标题"), _value("{{ title }}", 3)],
        [_label("文种"), _value("{{ kind }}"), _label("印数"), _value("{{ copies }}份")],
        [_label("主送"), _value("{{ addressees|join('、') }}", 3)],
        [_label("抄送"), _value("{% if cc %}{{ cc|join('、') }}{% else %}无{% endif %}", 3)],
        [_label("附件"), _value("{% if attachments %}{{ attachments|join('、') }}{% else %}无{% endif %}", 3)],
        [_label("拟稿单位"), _value("{{ drafting_unit }}"), _label("拟稿人"), _value("{{ drafter }}")],
        [_label("拟稿日期"), _value("{{ drafted_on|cn_date }}"), _label("印发日期"),
         _value("{{ printed_on|cn_date }}")],
    ])
    _table_gap(doc)
    _steps_table(doc)
    return doc


BUILDERS = {
    "campaign_report": build_campaign_report,
    "ledger_binder_contents": build_ledger_binder_contents,
    "minutes": build_minutes,
    "responsibility_letter": build_responsibility_letter,
    "inspection_record": build_inspection_record,
    "evaluation_sheet": build_evaluation_sheet,
    "unit_file": build_unit_file,
    "incoming_sheet": build_incoming_sheet,
    "supervision_sheet": build_supervision_sheet,
    "rectification_plan": build_rectification_plan,
    "interview_record": build_interview_record,
    "issuing_sheet": build_issuing_sheet,
}
