"""Looking inside stored files (issued, attached, archived): do they open, hide macros or programs; pages.

Used for 四性检测 (usability and security) and by `firegrid archive verify`. A file is usable when the
library a reader's program relies on opens it: python-docx (every XML part parsed), openpyxl (every row
read), pypdf (every page's content); a broken file fails the check by name.

Opening costs far more than packing (python-docx alone was most of an export), so a stored file is
opened once, when it is made or attached, and what was found is kept on its StoredFile row
(`Inspection.to_json`); the export reads that record and proves the bytes are still the ones opened by
their SHA-256, computed while it packs them. A file rendered from a library template gets the quick
check (`inspect_rendered_docx`): its other parts are the template's own bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from lxml import etree

from webapp.documents.pdfa import check_pdfa

CHUNK = 1 << 20
# XML fed to the parser at once: a part as large as a 20,000-row catalogue is read in the memory a small one takes
PARSE_CHUNK = 1 << 16
CHARS_PER_PAGE = 22 * 28  # GB/T 9704: 22 lines of 28 characters
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")
_EXECUTABLE_SUFFIXES = {".exe", ".dll", ".com", ".bat", ".cmd", ".sh", ".js", ".vbs", ".ps1", ".jar", ".msi", ".scr"}
_OOXML_SUFFIXES = {".docx", ".xlsx", ".docm", ".xlsm"}
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Inspection:
    opens: bool
    problem: str = ""  # why it does not open
    unsafe: str = ""  # macro or executable found
    pages: int | None = None
    pages_estimated: bool = False
    format: str = ""  # for a PDF: "PDF/A-2b" when it passes the PDF/A check, else "PDF"
    kind: str = ""  # how the file was opened (see `kind_of`): a record only serves a file opened the same way

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Inspection:
        return cls(**json.loads(text))


def kind_of(name: str) -> str:
    """The way a file of this name is opened: its name's suffix decides, as it does for a reader (posixpath, not
    PurePosixPath: an export asks this of every file, and pathlib would intern each distinct name)."""
    suffix = posixpath.splitext(name)[1].lower()
    if suffix in _EXECUTABLE_SUFFIXES:
        return "executable"
    if suffix in _OOXML_SUFFIXES:
        return "docx" if suffix in {".docx", ".docm"} else "xlsx"
    if suffix == ".pdf":
        return "pdf"
    return "image" if suffix in _IMAGE_SUFFIXES else "other"


def recorded(text: str | None, name: str) -> Inspection | None:
    """The stored inspection of the bytes, if they were opened the way a file called `name` is."""
    if not text:
        return None
    inspection = Inspection.from_json(text)
    return inspection if inspection.kind == kind_of(name) else None


def inspect_content(content: bytes, name: str) -> Inspection:
    """`inspect_file` of bytes not yet on disk (an upload, a PDF/A just made), named as they will be."""
    kind = kind_of(name)
    if kind in {"image", "other"}:  # nothing to open: a program's signature, else any bytes will do
        if content.startswith(_EXECUTABLE_MAGIC):
            return Inspection(True, unsafe="可执行程序", kind=kind)
        if not content:
            return Inspection(False, "空文件", kind=kind)
        return Inspection(True, pages=1 if kind == "image" else None, kind=kind)
    with tempfile.TemporaryDirectory(prefix="firegrid-inspect-") as work:
        path = Path(work) / f"file{PurePosixPath(name).suffix.lower()}"
        path.write_bytes(content)
        return inspect_file(path)


_DOCX_PARTS = {"[Content_Types].xml", "_rels/.rels", "word/document.xml"}
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def inspect_large_ooxml(path: Path) -> Inspection:
    """A DOCX or XLSX too large to open whole (an export's catalogue: one table row per item), read as a stream:
    the package reads, its main part is there, and every XML part parses, fed in chunks to a parser that builds
    nothing, in flat memory (python-docx would hold the whole table, hundreds of MB of tree at 20,000 items;
    iterparse, an element at a time, spent most of its time handing each element to Python)."""
    main = "word/document.xml" if path.suffix.lower() in {".docx", ".docm"} else "xl/workbook.xml"
    try:
        with zipfile.ZipFile(path) as package:
            names = package.namelist()
            missing = sorted({"[Content_Types].xml", "_rels/.rels", main} - set(names))
            if missing:
                return Inspection(False, f"缺少必需部件 {'、'.join(missing)}", kind=kind_of(path.name))
            for name in names:
                if name.endswith((".xml", ".rels")):
                    with package.open(name) as stream:
                        _parse_only(stream)
    except (zipfile.BadZipFile, etree.XMLSyntaxError, OSError, EOFError) as error:
        return Inspection(False, f"无法打开（{_reason(error)}）", kind=kind_of(path.name))
    return Inspection(True, kind=kind_of(path.name))


class _NoTree:
    """A parser target without start/end/data handlers: lxml checks the XML in C and calls nothing per element."""

    def close(self) -> None:
        return None


def _parse_only(stream: BinaryIO) -> None:
    """Raise XMLSyntaxError unless the stream is well-formed XML."""
    parser = etree.XMLParser(target=_NoTree())
    while chunk := stream.read(PARSE_CHUNK):
        parser.feed(chunk)
    parser.close()


def inspect_rendered_docx(content: bytes) -> Inspection:
    """A DOCX just rendered from a library template, opened quickly: the package reads, the parts python-docx
    needs are there, every part the document refers to exists, and the body the data went into parses (the
    other parts are the template's, which every render shares); pages estimated from the text."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
            missing = sorted(_DOCX_PARTS - names)
            if missing:
                return _rendered(Inspection(False, f"缺少必需部件 {'、'.join(missing)}"))
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return _rendered(Inspection(True, unsafe="含宏（vbaProject.bin）"))
            if _DOCUMENT_RELS in names:
                for relation in etree.fromstring(package.read(_DOCUMENT_RELS)).iter(_RELS):
                    target = relation.get("Target", "")
                    if relation.get("TargetMode") != "External" and _part(target) not in names:
                        return _rendered(Inspection(False, f"引用的部件 {target} 缺失"))
            body = etree.fromstring(package.read("word/document.xml"))
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, OSError) as error:
        return _rendered(Inspection(False, f"无法以 Word 文档打开（{_reason(error)}）"))
    return _rendered(Inspection(True, pages=_estimated_pages(body), pages_estimated=True))


def _rendered(inspection: Inspection) -> Inspection:
    inspection.kind = "docx"
    return inspection


def _part(target: str) -> str:
    """A relationship target of word/document.xml as a package part name."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"word/{target}")


def _estimated_pages(body) -> int:  # noqa: ANN001 - an lxml element
    chars = sum(len(t.text or "") for t in body.iter(f"{_W}t"))
    breaks = sum(1 for b in body.iter(f"{_W}br") if b.get(f"{_W}type") == "page")
    return max(1, -(-chars // CHARS_PER_PAGE)) + breaks


def copy_hashed(source: BinaryIO, target: Path) -> tuple[str, int]:
    """Copy in chunks, returning the SHA-256 and size of what was written."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _executable(path: Path) -> str:
    if path.suffix.lower() in _EXECUTABLE_SUFFIXES:
        return "可执行文件类型"
    with path.open("rb") as stream:
        head = stream.read(4)
    return "可执行程序" if any(head.startswith(m) for m in _EXECUTABLE_MAGIC) else ""


def _inspect_ooxml(path: Path, thorough: bool) -> Inspection:
    try:
        with zipfile.ZipFile(path) as package:
            bad = package.testzip() if thorough else None
            if bad:
                return Inspection(False, f"压缩包内 {bad} 已损坏")
            if any(n.lower().endswith("vbaproject.bin") for n in package.namelist()):
                return Inspection(True, unsafe="含宏（vbaProject.bin）")
    except (zipfile.BadZipFile, OSError) as error:
        return Inspection(False, f"无法打开：不是有效的 Office 文件（{error}）")
    if path.suffix.lower() in {".docx", ".docm"}:
        return _open_docx(path)
    return _open_xlsx(path)


def _open_docx(path: Path) -> Inspection:
    """Open it as python-docx does (every XML part parsed); pages estimated from its text."""
    import docx

    try:
        body = docx.Document(str(path)).element.body
    except Exception as error:  # noqa: BLE001 - whatever stops python-docx makes the file unusable
        return Inspection(False, f"无法以 Word 文档打开（{_reason(error)}）")
    return Inspection(True, pages=_estimated_pages(body), pages_estimated=True)


def _open_xlsx(path: Path) -> Inspection:
    """Open it with openpyxl and read every row of every sheet (read-only mode streams them)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(str(path), read_only=True)
        try:
            for sheet in book.worksheets:
                for _ in sheet.iter_rows(values_only=True):
                    pass
        finally:
            book.close()
    except Exception as error:  # noqa: BLE001 - whatever stops openpyxl makes the file unusable
        return Inspection(False, f"无法以 Excel 工作簿打开（{_reason(error)}）")
    return Inspection(True)


def _inspect_pdf(path: Path) -> Inspection:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            return Inspection(False, "PDF 已加密")
        for page in reader.pages:
            page.get_contents()
        pages = len(reader.pages)
        active = _pdf_active_content(reader.trailer["/Root"])
    except Exception as error:  # noqa: BLE001 - whatever stops pypdf makes the file unusable
        return Inspection(False, f"无法以 PDF 打开（{_reason(error)}）")
    label = check_pdfa(path).label
    if active:
        return Inspection(True, unsafe="PDF 含脚本、启动动作或嵌入文件", pages=pages, format=label)
    return Inspection(True, pages=pages, format=label)


def _reason(error: Exception) -> str:
    return str(error).strip()[:200] or type(error).__name__


def _pdf_active_content(root) -> bool:
    """JavaScript, launch actions or embedded files: an opening destination alone is harmless."""
    names = root.get("/Names", {})
    if "/JavaScript" in names or "/EmbeddedFiles" in names or "/AA" in root:
        return True
    action = root.get("/OpenAction")
    action = action.get_object() if action is not None else None
    return isinstance(action, dict) and action.get("/S") in {"/JavaScript", "/Launch"}


def inspect_file(path: Path, thorough: bool = False) -> Inspection:
    """Open the file the way a reader would; name any macro or program inside.

    `thorough` also checks every part's CRC (verify does; at export the SHA-256 already matched).
    """
    inspection = _inspect_path(path, thorough)
    inspection.kind = kind_of(path.name)
    return inspection


def _inspect_path(path: Path, thorough: bool) -> Inspection:
    unsafe = _executable(path)
    if unsafe:
        return Inspection(True, unsafe=unsafe)
    suffix = path.suffix.lower()
    if suffix in _OOXML_SUFFIXES:
        return _inspect_ooxml(path, thorough)
    if suffix == ".pdf":
        return _inspect_pdf(path)
    size = path.stat().st_size
    pages = 1 if suffix in _IMAGE_SUFFIXES else None  # a scanned page or a photo
    return Inspection(size > 0, "" if size else "空文件", pages=pages if size else None)


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name every file system and zip tool accepts."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" ._")
    return cleaned[:limit] or "file"
