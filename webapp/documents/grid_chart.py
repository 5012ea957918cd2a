"""网格图 (工作运行网格图): the town's grid organisation as a printable chart, generated from the grid data.

A4 landscape. The tree is drawn as a table read left to right: a town's box on top (its 网格长/网格员), then
one band per 中网格 (村/社区) whose cells span the rows of its 小网格, each 小网格 with its 网格长, 网格员 and
楼院长 and their phones; above it the town's 消安委 (committee) when it has members. Everything is text, so
the PDF is searchable and the shared text-integrity check can compare it with the DOCX.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from webapp.documents.ooxml import FANGSONG, HEITI, XIAOBIAOSONG

MARGIN_MM = 15
# 中网格 | its people | 小网格 | 网格长 | 网格员 | 楼院长 — 267 mm between the margins of landscape A4.
COLUMNS = (("中网格（村/社区）", 36), ("中网格人员", 58), ("小网格", 38),
           ("网格长", 45), ("网格员", 45), ("楼院长", 45))
COMMITTEE_COLUMNS = (("职务", 30), ("成员单位", 117), ("联系人", 50), ("联系电话", 70))
AREA_POSTS = ("grid_head", "grid_worker", "building_head")


@dataclass(frozen=True)
class Person:
    post: str  # key of GRID_POSTS
    post_label: str
    name: str
    phone: str

    def line(self, with_post: bool = False) -> str:
        text = "　".join(part for part in (self.name, self.phone) if part)
        return f"{self.post_label}：{text}" if with_post else text


@dataclass
class ChartNode:
    name: str
    level: str
    level_label: str
    people: list[Person] = field(default_factory=list)
    children: list[ChartNode] = field(default_factory=list)


@dataclass(frozen=True)
class CommitteeLine:
    role_label: str
    organ: str
    contact_person: str
    phone: str


def _font(run, name: str, size: float, bold: bool = False) -> None:  # noqa: ANN001
    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _write(paragraph, text: str, size: float = 11, font: str = FANGSONG, *, bold: bool = False,  # noqa: ANN001
           center: bool = False) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    _font(paragraph.add_run(text), font, size, bold)


def _lines(cell, lines: list[str], *, size: float = 11, bold: bool = False, center: bool = False) -> None:  # noqa: ANN001
    """The lines into the cell, one paragraph each (an empty cell keeps its one empty paragraph)."""
    for index, line in enumerate(lines):
        _write(cell.paragraphs[0] if index == 0 else cell.add_paragraph(), line, size, bold=bold, center=center)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _table(document, columns: tuple) -> object:  # noqa: ANN001
    """A bordered table with a header row that repeats on every page."""
    table = document.add_table(rows=1, cols=len(columns))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, (title, width) in zip(header.cells, columns, strict=True):
        cell.width = Mm(width)
        _lines(cell, [title], bold=True, center=True)
        cell.paragraphs[0].runs[0].font.name = HEITI
        cell.paragraphs[0].runs[0]._element.rPr.rFonts.set(qn("w:eastAsia"), HEITI)
    return table


def _row(table, columns: tuple) -> list:  # noqa: ANN001
    cells = table.add_row().cells
    for cell, (_title, width) in zip(cells, columns, strict=True):
        cell.width = Mm(width)
    return cells


def _heading(document, text: str) -> None:  # noqa: ANN001
    paragraph = document.add_paragraph()
    _write(paragraph, text, 14, HEITI)
    paragraph.paragraph_format.space_before = Pt(8)
    paragraph.paragraph_format.space_after = Pt(4)


def _people(node: ChartNode, post: str) -> list[str]:
    return [person.line() for person in node.people if person.post == post]


def _village_rows(table, village: ChartNode) -> None:  # noqa: ANN001
    """One row per 小网格; the village's own two cells span them (merged), like a bracket in an org chart."""
    first = len(table.rows)
    for area in village.children or [None]:
        cells = _row(table, COLUMNS)
        if area is not None:
            _lines(cells[2], [area.name], bold=True)
            for cell, post in zip(cells[3:], AREA_POSTS, strict=True):
                _lines(cell, _people(area, post))
    top, bottom = table.rows[first].cells, table.rows[len(table.rows) - 1].cells
    name, people = top[0].merge(bottom[0]), top[1].merge(bottom[1])
    _lines(name, [village.name], size=12, bold=True, center=True)
    _lines(people, [person.line(with_post=True) for person in village.people])


def _town_box(document, town: ChartNode) -> None:  # noqa: ANN001
    box = document.add_table(rows=1, cols=1)
    box.style = document.styles["Table Grid"]
    box.alignment = WD_TABLE_ALIGNMENT.CENTER
    cell = box.rows[0].cells[0]
    cell.width = Mm(160)
    _lines(cell, [f"{town.name}（{town.level_label}）"], size=14, bold=True, center=True)
    for person in town.people:
        _write(cell.add_paragraph(), person.line(with_post=True), 12, center=True)
    document.add_paragraph()


def _tree(document, root: ChartNode) -> None:  # noqa: ANN001
    """A town: its box, then its villages; a village or an area (a node below the town): its own rows."""
    if root.level == "region":
        for town in root.children:
            _heading(document, town.name)
            _tree(document, town)
        return
    if root.level == "town":
        _town_box(document, root)
        villages = root.children
    else:
        villages = [root]
    table = _table(document, COLUMNS)
    for village in villages:
        _village_rows(table, village)
    if not villages:
        _lines(_row(table, COLUMNS)[0], ["（尚未建立下级网格）"])


def grid_chart_document(root: ChartNode, title: str, committee: list[CommitteeLine], made_on: str) -> bytes:
    """The DOCX of the chart of `root` (a region, town, village or area) and, for a town, its committee."""
    document = Document()
    document.core_properties.title = title
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = section.left_margin = section.right_margin = Mm(MARGIN_MM)
    heading = document.add_paragraph()
    _write(heading, title, 22, XIAOBIAOSONG, center=True)
    _write(document.add_paragraph(), f"（{made_on}据网格数据生成）", 11, center=True)
    if committee:
        _heading(document, "一、消防安全委员会（领导小组）")
        table = _table(document, COMMITTEE_COLUMNS)
        for line in committee:
            cells = _row(table, COMMITTEE_COLUMNS)
            for cell, text in zip(cells, (line.role_label, line.organ, line.contact_person, line.phone), strict=True):
                _lines(cell, [text] if text else [])
        _heading(document, "二、网格组织")
    _tree(document, root)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
