"""归档文件目录 (the file list) as XLSX and DOCX (A4 landscape), written row by row.

Both writers stream, and hold nothing per row: a shell package is made once (openpyxl, python-docx)
with one template row, and the rows are written into the sheet's or the body's XML inside the zip as
they come, between the shell's XML before and after that row.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import escape

from docx.enum.section import WD_ORIENT
from docx.shared import Mm
from openpyxl import Workbook

from webapp.documents.layout import CENTERED, Cell, GbDocument, build_table
from webapp.documents.ooxml import HEITI, SONGTI, ParaStyle, RunStyle, paragraph
from webapp.documents.properties import PRODUCER, RELS_PART, CoreProperties, package_parts
from webapp.services.spreadsheets import append_row, looks_like_formula

COLUMNS = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
WIDTHS_MM = [12, 52, 42, 34, 72, 20, 10, 10, 15]
XLSX_WIDTHS = [6, 30, 26, 20, 50, 10, 6, 6, 16]
_TITLE = ParaStyle(align="center", line=None, after=240, run=RunStyle(font=HEITI, size=18, spacing=None))
_CELL_RUN = RunStyle(font=SONGTI, size=10.5, spacing=None)
_LEFT = ParaStyle(align="left", line=None)
_MARK = "@@C{}@@"
_MARKS = re.compile(r"@@C(\d+)@@")
_XLSX_COLUMNS = "ABCDEFGHI"
_XLSX_FIRST_ROW = 3  # after the heading and the header
_STYLE = re.compile(r' s="(\d+)"')
_WRITE_CHUNK = 1 << 16  # characters
_ROW_START = re.compile(r"<w:tr[ >]")
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 cannot hold


@dataclass
class CatalogueRow:
    seq: int
    code: str
    number: str
    organ: str
    title: str
    date: str  # 8 digits
    secrecy: str
    pages: int
    note: str

    def values(self) -> tuple:
        return (self.seq, self.code, self.number, self.organ, self.title, self.date, self.secrecy, self.pages,
                self.note)


class CatalogueWriter:
    """Opens both files, takes rows one at a time, finishes both on close."""

    def __init__(self, folder: Path, heading: str, properties: CoreProperties) -> None:
        self.xlsx_path, self.docx_path = folder / "归档文件目录.xlsx", folder / "归档文件目录.docx"
        self._xlsx = _StreamingXlsx(self.xlsx_path, heading, properties)
        self._docx = _StreamingDocx(self.docx_path, heading, properties)
        self.count = 0

    def add(self, row: CatalogueRow) -> None:
        values = row.values()
        self._xlsx.add(values)
        self._docx.add([str(v) for v in values])
        self.count += 1

    def close(self) -> None:
        self._xlsx.close()
        self._docx.close()

    def __enter__(self) -> CatalogueWriter:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self._xlsx.abort()
            self._docx.abort()


class _StreamedPart:
    """A copy of a shell package whose one large part is written as a stream: the shell's XML before the rows,
    the rows as they arrive, then the shell's XML after them."""

    def __init__(self, path: Path, shell: Path, part: str, head: str, tail: str,
                 replaced: dict[str, bytes] | None = None) -> None:
        replaced = dict(replaced or {})
        with zipfile.ZipFile(shell) as source:
            self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
            for info in source.infolist():
                if info.filename != part and not info.filename.startswith("docProps/thumbnail"):
                    self._zip.writestr(info, replaced.pop(info.filename, None) or source.read(info))
        shell.unlink()
        self._tail = tail
        self._stream = self._zip.open(part, "w", force_zip64=True)
        self._pending: list[str] = [head]  # rows go to the zip ~64 kB at a time (zlib and CRC per write)
        self._pending_size = 0

    def write(self, xml: str) -> None:
        self._pending.append(xml)
        self._pending_size += len(xml)
        if self._pending_size > _WRITE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        self._stream.write("".join(self._pending).encode("utf-8"))
        self._pending, self._pending_size = [], 0

    def close(self) -> None:
        self.write(self._tail)
        self._flush()
        self._stream.close()
        self._zip.close()

    def abort(self) -> None:
        self._stream.close()
        self._zip.close()


def _text(value: str) -> str:
    return escape(_XML_INVALID.sub("", value))


class _StreamingXlsx(_StreamedPart):
    """The sheet's rows written as XML straight into the package (inline strings, nothing held per row):
    openpyxl makes the shell (heading, header, column widths, properties, and the style of formula-like
    text, from a template row that is left out)."""

    SHEET = "xl/worksheets/sheet1.xml"

    def __init__(self, path: Path, heading: str, properties: CoreProperties) -> None:
        shell_path = path.with_suffix(".shell.xlsx")
        _xlsx_shell(heading, properties).save(shell_path)
        with zipfile.ZipFile(shell_path) as source:
            xml = source.read(self.SHEET).decode("utf-8")
        row_start = xml.index(f'<row r="{_XLSX_FIRST_ROW}"')
        row_end = xml.index("</row>", row_start) + len("</row>")
        # the style openpyxl gave the template's formula-like cell: text with Excel's quote prefix
        self._quoted = _STYLE.search(xml, row_start, row_end)[1]
        super().__init__(path, shell_path, self.SHEET, xml[:row_start], xml[row_end:])
        self._next = _XLSX_FIRST_ROW

    def add(self, values: tuple) -> None:
        number, cells = self._next, []
        for column, value in zip(_XLSX_COLUMNS, values, strict=True):
            if isinstance(value, int):
                cells.append(f'<c r="{column}{number}" t="n"><v>{value}</v></c>')
            elif value := _XML_INVALID.sub("", value):
                style = f' s="{self._quoted}"' if looks_like_formula(value) else ""
                space = ' xml:space="preserve"' if value != value.strip() else ""
                cells.append(f'<c r="{column}{number}"{style} t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>')
        self.write(f'<row r="{number}">{"".join(cells)}</row>')
        self._next += 1


def _xlsx_shell(heading: str, properties: CoreProperties) -> Workbook:
    book = Workbook(write_only=True)
    book.properties.title, book.properties.creator = heading, properties.author or PRODUCER
    book.properties.lastModifiedBy = PRODUCER
    book.properties.created = book.properties.modified = properties.created.astimezone(UTC).replace(tzinfo=None)
    sheet = book.create_sheet("归档文件目录")
    for index, width in enumerate(XLSX_WIDTHS):
        sheet.column_dimensions[_XLSX_COLUMNS[index]].width = width
    append_row(sheet, [heading])
    append_row(sheet, COLUMNS)
    append_row(sheet, ["=template"])  # the template row (row 3): its style is read, the row left out
    return book


def _landscape_shell(heading: str) -> GbDocument:
    doc = GbDocument(title=heading, page_numbers=True)
    section = doc.document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin = section.right_margin = Mm(15)
    section.footer_distance = Mm(10)
    doc.para(_TITLE, heading)
    header = [Cell(name, style=CENTERED.but(line=None, run=_CELL_RUN.but(bold=True))) for name in COLUMNS]
    marks = [Cell(_MARK.format(i), style=(_LEFT if i in (1, 2, 3, 4, 8) else CENTERED.but(line=None)))
             for i in range(len(COLUMNS))]
    doc.add(build_table(WIDTHS_MM, [header, marks], _CELL_RUN, header_rows=1))
    doc.add(paragraph(_LEFT))
    return doc


class _StreamingDocx(_StreamedPart):
    """A DOCX whose table rows are appended to document.xml inside the zip as they arrive."""

    def __init__(self, path: Path, heading: str, properties: CoreProperties) -> None:
        shell_path = path.with_suffix(".shell.docx")
        _landscape_shell(heading).save(shell_path)
        with zipfile.ZipFile(shell_path) as source:
            xml = source.read("word/document.xml").decode("utf-8")
            replaced = package_parts(properties, source.read(RELS_PART))
        # the template row's own start tag, not its <w:trPr> (nor the header row before it)
        row_start = [m.start() for m in _ROW_START.finditer(xml, 0, xml.index(_MARK.format(0)))][-1]
        row_end = xml.index("</w:tr>", row_start) + len("</w:tr>")
        self._row = xml[row_start:row_end]
        super().__init__(path, shell_path, "word/document.xml", xml[:row_start], xml[row_end:], replaced)

    def add(self, values: list[str]) -> None:
        self.write(_MARKS.sub(lambda mark: _text(values[int(mark[1])]), self._row))
