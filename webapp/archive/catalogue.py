"""归档文件目录 (the file list) as XLSX and DOCX (A4 landscape), written row by row.

Both writers stream: openpyxl's write-only workbook spools rows to disk, and the DOCX body is
written into the zip as the rows come, between the XML before and after one template row.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import astuple, dataclass
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
from webapp.services.spreadsheets import append_row

COLUMNS = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
WIDTHS_MM = [12, 52, 42, 34, 72, 20, 10, 10, 15]
XLSX_WIDTHS = [6, 30, 26, 20, 50, 10, 6, 6, 16]
_TITLE = ParaStyle(align="center", line=None, after=240, run=RunStyle(font=HEITI, size=18, spacing=None))
_CELL_RUN = RunStyle(font=SONGTI, size=10.5, spacing=None)
_LEFT = ParaStyle(align="left", line=None)
_MARK = "@@C{}@@"
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


class CatalogueWriter:
    """Opens both files, takes rows one at a time, finishes both on close."""

    def __init__(self, folder: Path, heading: str, properties: CoreProperties) -> None:
        self.xlsx_path, self.docx_path = folder / "归档文件目录.xlsx", folder / "归档文件目录.docx"
        self._book = Workbook(write_only=True)
        book = self._book.properties
        book.title, book.creator, book.lastModifiedBy = heading, properties.author or PRODUCER, PRODUCER
        book.created = book.modified = properties.created.astimezone(UTC).replace(tzinfo=None)
        self._sheet = self._book.create_sheet("归档文件目录")
        for index, width in enumerate(XLSX_WIDTHS):
            self._sheet.column_dimensions[chr(ord("A") + index)].width = width
        append_row(self._sheet, [heading])
        append_row(self._sheet, COLUMNS)
        self._docx = _StreamingDocx(self.docx_path, heading, properties)
        self.count = 0

    def add(self, row: CatalogueRow) -> None:
        append_row(self._sheet, astuple(row))
        self._docx.add([str(v) for v in astuple(row)])
        self.count += 1

    def close(self) -> None:
        self._book.save(self.xlsx_path)
        self._docx.close()

    def __enter__(self) -> CatalogueWriter:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self._docx.abort()
            self._sheet.close()  # ends the write-only sheet's row stream, which would otherwise warn at exit


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


class _StreamingDocx:
    """A DOCX whose table rows are appended to document.xml inside the zip as they arrive."""

    def __init__(self, path: Path, heading: str, properties: CoreProperties) -> None:
        shell = _landscape_shell(heading)
        shell_path = path.with_suffix(".shell.docx")
        shell.save(shell_path)
        with zipfile.ZipFile(shell_path) as source:
            xml = source.read("word/document.xml").decode("utf-8")
            replaced = package_parts(properties, source.read(RELS_PART))
            self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
            for info in source.infolist():
                if info.filename != "word/document.xml" and not info.filename.startswith("docProps/thumbnail"):
                    self._zip.writestr(info, replaced.pop(info.filename, None) or source.read(info))
        shell_path.unlink()
        # the template row's own start tag, not its <w:trPr> (nor the header row before it)
        row_start = [m.start() for m in _ROW_START.finditer(xml, 0, xml.index(_MARK.format(0)))][-1]
        row_end = xml.index("</w:tr>", row_start) + len("</w:tr>")
        self._row, self._after = xml[row_start:row_end], xml[row_end:]
        self._stream = self._zip.open("word/document.xml", "w", force_zip64=True)
        self._stream.write(xml[:row_start].encode("utf-8"))

    def add(self, values: list[str]) -> None:
        row = self._row
        for index, value in enumerate(values):
            row = row.replace(_MARK.format(index), escape(_XML_INVALID.sub("", value)))
        self._stream.write(row.encode("utf-8"))

    def close(self) -> None:
        self._stream.write(self._after.encode("utf-8"))
        self._stream.close()
        self._zip.close()

    def abort(self) -> None:
        self._stream.close()
        self._zip.close()
