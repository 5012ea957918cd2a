"""Format checks of generated DOCX files, shared by the library and the HTTP tests.

The project's own assertions (red 发文机关标志, 方正小标宋简体 mark and title, 16 pt 仿宋_GB2312 body,
文号 with 〔〕) always run; the shared GB/T 9704 checker and the PDF text check from ../shared/tools
run on top of them when that directory exists.
"""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from webapp.documents.docx_text import paragraph_text

SHARED_TOOLS = Path(__file__).resolve().parents[1].parent / "shared" / "tools"
RED = {"FF0000", "E60012", "C00000", "D40000", "E00000", "FF0101"}  # what 红色 is spelled as in office files
MARK_FONT, BODY_FONT, HEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"
BODY_PT = 16
NUMBER = re.compile(r"〔\d{4}〕(第\d+|\d+)号")
CHECKER_FLAGS = {"standard": [], "letter": [], "minutes": ["--no-header"], "form": ["--no-header"]}


# -- the shared tools -------------------------------------------------------------------------------------

def run_shared_tool(name: str, *args: str) -> subprocess.CompletedProcess | None:
    """Run a tool from ../shared/tools when that directory exists (None otherwise)."""
    tool = SHARED_TOOLS / name
    if not tool.exists():
        return None
    return subprocess.run([sys.executable, str(tool), *args], capture_output=True, text=True, check=False)


def checker_flags(spec) -> list[str]:  # noqa: ANN001
    """The gbt9704_check.py flags a template spec needs (纪要 and forms have no 版头; fire notices number 第N号)."""
    flags = list(CHECKER_FLAGS[spec.format])
    if spec.number_grammar == "di":
        flags.append("--allow-di")
    return flags


def check_gbt9704(content: bytes | Path, *flags: str, tmp_path: Path | None = None, name: str = "document",
                  no_warnings: bool = False) -> None:
    """Run the shared GB/T 9704 checker on the file (bytes are saved in tmp_path first) when ../shared
    exists, and assert it passes; the project's own assert_* checks run whether or not it does."""
    path = _as_file(content, tmp_path, name, ".docx")
    result = run_shared_tool("gbt9704_check.py", str(path), *flags)
    if result is None:
        return
    assert result.returncode == 0, result.stdout + result.stderr
    if no_warnings:
        assert " 0 warn" in result.stdout, result.stdout


def check_pdf_text(docx_content: bytes | Path, pdf_content: bytes | Path, tmp_path: Path,
                   name: str = "document") -> None:
    """Every character of the DOCX is in the PDF (shared pdf_text_integrity.py, when ../shared exists)."""
    docx_path = _as_file(docx_content, tmp_path, name, ".docx")
    pdf_path = _as_file(pdf_content, tmp_path, name, ".pdf")
    result = run_shared_tool("pdf_text_integrity.py", str(docx_path), str(pdf_path))
    if result is not None:
        assert result.returncode == 0, (name, result.stdout + result.stderr)


def _as_file(content: bytes | Path, tmp_path: Path | None, name: str, suffix: str) -> Path:
    if isinstance(content, Path):
        return content
    assert tmp_path is not None, "bytes need a tmp_path to be written to"
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(content)
    return path


# -- the project's own format assertions -------------------------------------------------------------------

def download_docx(visitor, document, tmp_path: Path) -> tuple[str, Path]:  # noqa: ANN001
    """Download an issued document through HTTP; all its text (body, text boxes, headers) and saved path."""
    response = visitor.get(f"/documents/{document.id}.docx")
    assert response.status_code == 200
    path = tmp_path / f"document-{document.id}.docx"
    path.write_bytes(response.data)
    return docx_all_text(response.data), path


def docx_all_text(content: bytes) -> str:
    """Every paragraph of a DOCX (body, table cells, text boxes, headers), one per line."""
    opened = docx.Document(io.BytesIO(content))
    parts = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in opened.element.body.iter(qn("w:p"))]
    parts += [p.text for section in opened.sections for p in section.header.paragraphs]
    return "\n".join(parts)


PREVIEW_DOCX = re.compile(r'<a href="(/previews/[0-9a-f]{64}\.docx[^"]*)"')


def staged_preview_text(visitor, response) -> str:  # noqa: ANN001
    """From a task page showing a preview (文件预览): the text of the DOCX behind it, fetched as its viewer."""
    page = response.get_data(as_text=True)
    link = PREVIEW_DOCX.search(page)
    assert response.status_code == 200 and link, page[:3000]
    download = visitor.get(html.unescape(link.group(1)))
    assert download.status_code == 200 and download.data[:2] == b"PK"
    return docx_all_text(download.data)


def open_docx(content: bytes | Path | DocxDocument) -> DocxDocument:
    if isinstance(content, DocxDocument):
        return content
    if isinstance(content, Path):
        return docx.Document(str(content))
    return docx.Document(io.BytesIO(content))


def run_font(run: Run) -> str | None:
    """The East Asian font of a run: its own, else its paragraph style's, else the document default."""
    fonts = run._r.rPr.rFonts if run._r.rPr is not None else None
    if fonts is not None and fonts.get(qn("w:eastAsia")):
        return fonts.get(qn("w:eastAsia"))
    style = run.part.document.styles.element
    default = style.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    return default.get(qn("w:eastAsia")) if default is not None else None


def run_size(run: Run) -> float | None:
    """The size of a run in points: its own, else the document default."""
    if run.font.size is not None:
        return run.font.size.pt
    default = run.part.document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    size = default.find(qn("w:rPr")).find(qn("w:sz"))
    return int(size.get(qn("w:val"))) / 2 if size is not None else None


def text_runs(paragraph: Paragraph) -> list[Run]:
    return [run for run in paragraph.runs if run.text.strip()]


def paragraph_with(document: DocxDocument, text: str, *, exact: bool = False) -> Paragraph:
    """The first body paragraph whose text is (or contains) `text`."""
    for paragraph in document.paragraphs:
        joined = paragraph.text.replace("\n", "")  # a title broken into lines (w:br) is one paragraph
        found = joined.strip() == text if exact else text in joined
        if found:
            return paragraph
    raise AssertionError(f"no paragraph {'is' if exact else 'contains'} {text!r}")


def text_lines(document: DocxDocument) -> list[Paragraph]:
    """Non-empty paragraphs in reading order, those in text boxes included (the 信函格式 mark sits in a
    box placed 30 mm from the page top), without the paragraphs that only anchor a box."""
    found = []
    for element in document.element.body.iter(qn("w:p")):
        if element.find(".//" + qn("w:p")) is None:
            paragraph = Paragraph(element, document._body)
            if paragraph.text.strip():
                found.append(paragraph)
    return found


def assert_red_mark(content: bytes | Path | DocxDocument, mark: str | None = None) -> Paragraph:
    """The first line is the red 发文机关标志 (or 纪要 mark) in 方正小标宋简体; returns that paragraph."""
    document = open_docx(content)
    paragraph = text_lines(document)[0]
    if mark is not None:
        assert paragraph.text.strip() == mark, paragraph.text
    for run in text_runs(paragraph):
        colour = run.font.color.rgb if run.font.color is not None and run.font.color.type is not None else None
        assert colour is not None and str(colour) in RED, f"{run.text!r}: colour {colour}"
        assert run_font(run) == MARK_FONT, f"{run.text!r}: font {run_font(run)}"
    return paragraph


def assert_title_font(content: bytes | Path | DocxDocument, title: str) -> None:
    """The title (标题) is set in 方正小标宋简体, not in red."""
    paragraph = paragraph_with(open_docx(content), title)
    for run in text_runs(paragraph):
        assert run_font(run) == MARK_FONT, f"{run.text!r}: font {run_font(run)}"
        assert run.font.color is None or run.font.color.type is None or str(run.font.color.rgb) not in RED


def assert_body_font(content: bytes | Path | DocxDocument, *snippets: str) -> None:
    """The paragraphs holding these texts (正文, 主送, 落款 …) are 16 pt 仿宋_GB2312."""
    document = open_docx(content)
    assert snippets, "name at least one body text"
    for snippet in snippets:
        for run in text_runs(paragraph_with(document, snippet)):
            assert (run_font(run), run_size(run)) == (BODY_FONT, BODY_PT), f"{snippet!r}: {run.text!r}"


def assert_doc_number(content: bytes | Path | DocxDocument, number: str | None = None) -> str:
    """The 发文字号 line under the mark carries a number with 〔YYYY〕 (not [] or ()); returns it."""
    document = open_docx(content)
    lines = text_lines(document)
    found = NUMBER.search(lines[1].text)
    assert found, f"no 〔YYYY〕 number under the mark: {lines[1].text!r}"
    line = lines[1].text.split("\t")[0].strip()
    if number is not None:
        assert line == number, line
        assert "〔" in number and "〕" in number
    for run in text_runs(lines[1]):
        if run.text.strip() in line:  # the 签发人 name beside an upward number is 楷体 by the standard
            assert (run_font(run), run_size(run)) == (BODY_FONT, BODY_PT), run.text
    return line


def assert_red_header_document(content: bytes | Path | DocxDocument, *, mark: str | None, number: str, title: str,
                               body: tuple[str, ...]) -> None:
    """The four checks of a 版头 document at once: red mark, number with 〔〕, title font, body font."""
    document = open_docx(content)
    assert_red_mark(document, mark)
    assert_doc_number(document, number)
    assert_title_font(document, title)
    assert_body_font(document, *body)


def assert_minutes_format(content: bytes | Path | DocxDocument, *, mark: str, issue_no: int,
                          attendance: dict[str, str]) -> None:
    """A 纪要: red mark, 第N期 under it, 出席/请假/列席 lines (prefix → expected text): 黑体 label, 16 pt 仿宋."""
    document = open_docx(content)
    assert_red_mark(document, mark)
    lines = [p for p in document.paragraphs if p.text.strip()]
    assert lines[1].text.strip() == f"第{issue_no}期", lines[1].text
    assert_body_font(document, f"第{issue_no}期")
    for prefix, expected in attendance.items():
        paragraph = next((p for p in lines if p.text.startswith(f"{prefix}：")), None)
        assert paragraph is not None, f"no {prefix}： line"
        text = paragraph_text(paragraph._p)  # names sit in unbreakable runs python-docx does not read
        assert text.strip() == f"{prefix}：{expected}", text
        label, *names = text_runs(paragraph)
        assert label.text == f"{prefix}：" and run_font(label) == HEADING_FONT, label.text
        for run in names:
            assert (run_font(run), run_size(run)) == (BODY_FONT, BODY_PT), run.text
