"""九小场所 消防安全警示牌: one A4 portrait page per unit, to hang at its entrance and be read from a few metres.

The wording of 场所火灾危险性 and 消防安全事项 depends on the unit's category; DEFAULT_TEXTS is the product's
wording, which a town's admin may replace per category (WarningSignText). The QR code is the unit's 一户一码
(made by unit_labels.qr_png, so a sign and a label of the same unit carry the same code).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from webapp.documents.ooxml import HEITI, SONGTI
from webapp.documents.unit_labels import qr_png

TITLE = "消防安全警示牌"
RED = RGBColor(0xE6, 0x00, 0x12)
PAGE_MARGIN_MM = 15
QR_SIZE_MM = 36
COLUMN_MM = (54, 84, 42)
# Limits that keep one sign on one page at these font sizes (the settings form checks them).
MAX_PRECAUTIONS, MAX_PRECAUTION_CHARS, MAX_HAZARD_CHARS = 5, 24, 80


@dataclass(frozen=True)
class SignText:
    hazard: str
    precautions: tuple[str, ...]


GENERIC = SignText(
    "人员、可燃物集中，用火用电不慎、电气线路老化易引发火灾，疏散不畅易造成人员伤亡。",
    ("严禁私拉乱接电线，严禁超负荷用电", "严禁电动自行车在室内停放、充电", "保持疏散通道、安全出口畅通",
     "按规定配置灭火器并定期检查", "下班离店前检查并关闭电源、火源"),
)
DEFAULT_TEXTS: dict[str, SignText] = {
    "small_school": SignText(
        "儿童集中、自救能力弱，电气线路、厨房用火和取暖设备易引发火灾，疏散困难。",
        ("严禁在教室、寝室使用大功率电器", "保持疏散通道、安全出口畅通，严禁锁闭",
         "厨房用火用气专人管理，用后关阀断电", "定期组织师生开展疏散演练", "按规定配置灭火器，教职工会使用"),
    ),
    "small_clinic": SignText(
        "病人行动不便，氧气、酒精等易燃易爆物品多，医疗设备用电量大，火灾时疏散困难。",
        ("氧气瓶、酒精等物品专人专柜存放", "严禁私拉乱接电线，医疗设备用后断电", "保持疏散通道、安全出口畅通",
         "按规定配置灭火器并定期检查", "医护人员熟悉病人疏散方法"),
    ),
    "small_shop": SignText(
        "商品可燃物多、堆放密集，电气线路老化、违规住人或电动自行车充电易引发火灾。",
        ("严禁生产、经营、储存场所与住人混设", "严禁电动自行车在店内停放、充电", "商品堆放与灯具、电源保持安全距离",
         "严禁私拉乱接电线，严禁超负荷用电", "保持安全出口畅通，按规定配置灭火器"),
    ),
    "small_restaurant": SignText(
        "厨房明火作业，燃气泄漏、油锅起火、烟道油垢积聚易引发火灾，人员密集疏散困难。",
        ("燃气管道、阀门定期检查，用后关阀", "油锅起火用锅盖盖灭，严禁用水扑救", "定期清洗排油烟管道",
         "厨房配置灭火器和灭火毯", "保持疏散通道、安全出口畅通"),
    ),
    "small_hotel": SignText(
        "旅客夜间休息、对环境不熟悉，吸烟、使用电器不慎易引发火灾，发现晚、疏散难。",
        ("客房张贴疏散示意图，禁止卧床吸烟", "夜间安排人员值班巡查", "保持疏散通道、安全出口畅通，严禁锁闭",
         "严禁电动自行车在楼内停放、充电", "按规定配置灭火器、应急照明和疏散指示标志"),
    ),
    "small_entertainment": SignText(
        "人员密集、装修可燃材料多，灯光音响用电量大，火灾蔓延快、易造成群死群伤。",
        ("严禁使用易燃可燃材料装修", "营业期间严禁锁闭安全出口", "严禁燃放烟花、使用明火表演",
         "营业期间安排专人防火巡查", "按规定配置灭火器、应急照明和疏散指示标志"),
    ),
    "small_internet_cafe": SignText(
        "电脑等电气设备集中、长时间运行，人员密集且多在夜间，吸烟和线路过热易引发火灾。",
        ("严禁吸烟，严禁私拉乱接电线", "营业期间严禁锁闭安全出口", "严禁在窗口设置影响逃生的障碍物",
         "营业期间安排专人防火巡查", "按规定配置灭火器、应急照明和疏散指示标志"),
    ),
    "small_beauty_bath": SignText(
        "电热设备多、长时间通电，装修可燃物多，顾客衣着少、疏散慢，易造成人员伤亡。",
        ("电热设备专人管理，用后断电", "严禁使用易燃可燃材料装修", "保持疏散通道、安全出口畅通",
         "严禁生产、经营场所与住人混设", "按规定配置灭火器并定期检查"),
    ),
    "small_workshop": SignText(
        "原料、成品可燃物多，机械设备用电量大，动火作业和违规住人易引发火灾且蔓延快。",
        ("严禁生产、储存场所与住人混设", "动火作业须审批并有专人监护", "原料、成品分区存放，与电源保持安全距离",
         "严禁私拉乱接电线，下班断电", "保持疏散通道畅通，按规定配置灭火器"),
    ),
}


def default_text(category: str) -> SignText:
    return DEFAULT_TEXTS.get(category, GENERIC)


@dataclass(frozen=True)
class WarningSign:
    """What one sign shows (the web layer fills it from the unit, its grid and the town's settings)."""

    unit_name: str
    category_label: str
    hazard: str
    precautions: tuple[str, ...]
    responsible_person: str
    responsible_phone: str  # empty unless the town shows responsible persons' phones (unit-card settings)
    supervisor_name: str
    supervisor_phone: str
    report_phone: str
    code: str
    url: str
    png: bytes | None = None  # the QR code made beforehand (a background job makes them chunk by chunk)


def _font(run, name: str, size: float, *, bold: bool = False, red: bool = False) -> None:  # noqa: ANN001
    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    if red:
        run.font.color.rgb = RED
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(container, text: str, size: float, *, font: str = HEITI, bold: bool = False, red: bool = False,  # noqa: ANN001
               center: bool = False, after: float = 0):
    paragraph = container.add_paragraph() if hasattr(container, "add_paragraph") else container
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(after), Pt(after), 1.15
    _font(paragraph.add_run(text), font, size, bold=bold, red=red)
    return paragraph


def _shade(cell, fill: str) -> None:  # noqa: ANN001
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _widths(cells) -> None:  # noqa: ANN001
    for cell, width in zip(cells, COLUMN_MM, strict=True):
        cell.width = Mm(width)


def _row(table, label: str, size: float = 18, *, wide: bool = True) -> object:  # noqa: ANN001
    """A row: its label cell shaded; the value cell (returned) spans the QR column too unless `wide` is False."""
    cells = table.add_row().cells
    _widths(cells)
    _shade(cells[0], "FDE9E7")
    _paragraph(cells[0].paragraphs[0], label, 17, bold=True, center=True, after=4)
    value = cells[1].merge(cells[2]) if wide else cells[1]
    for cell in (cells[0], value):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    return value


def _value(cell, text: str, size: float) -> None:  # noqa: ANN001
    _paragraph(cell.paragraphs[0], text or "　", size, after=4)


def _person(name: str, phone: str) -> str:
    return "　".join(part for part in (name, phone) if part)


def _sign(document, sign: WarningSign) -> None:  # noqa: ANN001
    title = _paragraph(document, TITLE, 48, bold=True, red=True, center=True, after=6)
    title.paragraph_format.page_break_before = len(document.paragraphs) > 1  # each sign after the first
    table = document.add_table(rows=0, cols=3)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, COLUMN_MM, strict=True):
        column.width = Mm(width)
    _value(_row(table, "场所名称"), sign.unit_name, 24 if len(sign.unit_name) <= 16 else 18)  # long: two lines
    _value(_row(table, "场所类别"), sign.category_label, 18)
    _value(_row(table, "场所火灾危险性"), sign.hazard, 16)
    precautions = _row(table, "消防安全事项")
    for number, item in enumerate(sign.precautions, start=1):
        paragraph = precautions.paragraphs[0] if number == 1 else precautions
        _paragraph(paragraph, f"{number}. {item}", 16, after=2)
    # the people and the phones beside the QR code, which spans their rows
    first = len(table.rows)
    _value(_row(table, "消防安全责任人", wide=False), _person(sign.responsible_person, sign.responsible_phone), 18)
    _value(_row(table, "乡镇监管人员", wide=False), _person(sign.supervisor_name, sign.supervisor_phone), 18)
    _value(_row(table, "举报电话", wide=False), sign.report_phone, 18)
    code = table.rows[first].cells[2].merge(table.rows[first + 2].cells[2])
    code.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    picture = code.paragraphs[0]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    image = io.BytesIO(sign.png or qr_png(sign.url))
    picture.add_run().add_picture(image, width=Mm(QR_SIZE_MM), height=Mm(QR_SIZE_MM))
    _paragraph(code, f"单位码 {sign.code}", 10, font=SONGTI, center=True)
    _paragraph(document, "发现火灾，立即拨打 119", 22, bold=True, red=True, center=True, after=6)


def warning_sign_document(signs: list[WarningSign], title: str) -> bytes:
    """The DOCX: one sign per A4 portrait page, in the order given."""
    document = Document()
    document.core_properties.title = title
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = section.left_margin = section.right_margin = Mm(PAGE_MARGIN_MM)
    for sign in signs:
        _sign(document, sign)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
