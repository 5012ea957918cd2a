"""Uploaded files (photos, signed scans, attachments): type, content and size checked, stored by hash.

What each kind must really be, checked before it is stored (messages in Chinese):
- Images get a structural check only, which reads no pixel (issue 19: a 3 MB photo must not hold up the
  submit): Pillow opens the header (format and size, within a pixel limit), a JPEG must end with its EOI
  marker and a PNG with its IEND chunk (a cut-off upload fails here), a PNG's chunk checksums must hold, and
  no HTML or script markup may appear anywhere. Every pixel of an evidence photo is decoded later, in the
  background (cases.photos), which also makes its watermarked copy; `decoded_image` is that full check.
- PDFs are parsed with pypdf; JavaScript and launch actions (an OpenAction, a document-level script, a
  link's action …) anywhere in the object graph are refused.
- OOXML (DOCX, XLSX) is checked from the zip directory alone before anything is inflated: member names
  (no absolute path, no "..", no duplicates), the total uncompressed size, each member's compression ratio
  and the main parts; only then are the members read (CRC check), within those limits.

Photos are evidence: the uploaded bytes are kept as they are (their SHA-256 is the file's name in the store,
so anyone can verify them later), and a separate watermarked JPEG (unit, time, member) is made for printing
(`watermark_photo`, run by the background job of cases.photos).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import warnings
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import PurePosixPath
from zipfile import BadZipFile, ZipFile, ZipInfo

from PIL import Image, ImageDraw, ImageFont, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from sqlalchemy.orm import Session

from webapp.clock import TZ
from webapp.services.errors import InvalidInput
from webapp.services.storage.backends import FileBackend

ALLOWED_TYPES = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
# Magic numbers: the browser's declared type is not trusted.
SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"%PDF-": "application/pdf",
    b"PK\x03\x04": "zip",
}
_OOXML = "application/vnd.openxmlformats"


def sniff_type(content: bytes, filename: str) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for signature, media_type in SIGNATURES.items():
        if content.startswith(signature):
            if media_type != "zip":
                return media_type
            # A ZIP is a DOCX or XLSX by its name; _opens then checks it really is one.
            suffix = "." + filename.lower().rsplit(".", 1)[-1]
            return next((t for t, ext in ALLOWED_TYPES.items() if ext == suffix and t.startswith(_OOXML)), None)
    return None


def store_upload(session: Session, store: FileBackend, *, content: bytes, filename: str, now: datetime,
                 max_bytes: int | None = None, decode_later: bool = False) -> dict:
    """Check and store one upload; returns the reference kept in task data.

    `max_bytes` is the configured upload limit (FIREGRID_MAX_UPLOAD_MB); None for files the app made itself.
    An image is decoded in full here, unless `decode_later`: an evidence photo gets the structural check only
    and every pixel is decoded in the background (see the module docstring).
    """
    if not content:
        raise InvalidInput(f"文件“{filename}”是空的。")
    if max_bytes is not None and len(content) > max_bytes:
        raise InvalidInput(f"文件“{filename}”超过{max_bytes / 1024 / 1024:g}MB。")
    media_type = sniff_type(content, filename)
    if media_type is None:
        raise InvalidInput(f"文件“{filename}”的类型不支持：只接受 JPG、PNG、WEBP 图片和 PDF、DOCX、XLSX 文件。")
    problem = content_problem(content, media_type)  # the archive must open every file later
    if not problem and media_type in IMAGE_FORMATS and not decode_later:
        image, problem = decoded_image(content, IMAGE_FORMATS[media_type])
        if image is not None:
            image.close()
    if problem:
        raise InvalidInput(f"文件“{filename}”{problem}")
    stored = store.put(session, content, media_type, now)
    return {"file": stored.sha256, "name": filename[:200], "type": media_type, "size": len(content)}


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAIN_PARTS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}
KIND_NAMES = {DOCX: "Word（.docx）", XLSX: "Excel（.xlsx）"}

MAX_PIXELS = 80_000_000  # a 10,000 × 8,000 scan; Pillow refuses twice this as a decompression bomb
MAX_UNCOMPRESSED = 250 * 1024 * 1024
MAX_RATIO = 200  # zeros compress about 1000:1, real XML rarely beyond 50:1
RATIO_FLOOR = 1024 * 1024  # small members may compress as they like
MAX_MEMBERS = 10_000
MAX_PDF_OBJECTS = 500_000
_MARKUP = re.compile(rb"<\s*(script|html|body|iframe|svg|object|embed)\b", re.IGNORECASE)
_SCRIPT_ACTIONS = {"/JavaScript", "/Launch"}

DAMAGED = "已损坏，无法打开，请重新上传。"


def content_problem(content: bytes, media_type: str) -> str | None:
    """None when the file is what its type says and safe to keep; else what is wrong (Chinese)."""
    if media_type in IMAGE_FORMATS:
        return image_problem(content, IMAGE_FORMATS[media_type])
    if media_type == "application/pdf":
        return pdf_problem(content)
    if media_type in MAIN_PARTS:
        return ooxml_problem(content, media_type)
    return "的类型不支持。"


def image_problem(content: bytes, image_format: str) -> str | None:
    """The structural check of an image: header, size, end marker, PNG checksums, no markup; no pixel decoded."""
    if _MARKUP.search(content):
        return "不是有效的图片：其中夹带了网页代码。"
    if not _ends_whole(content, image_format):
        return "不是有效的图片：文件不完整（可能上传中断），请重新上传。"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(content), formats=[image_format]) as image:
                if image.width * image.height > MAX_PIXELS:
                    return "的图片尺寸过大，请缩小后上传。"
                if image_format == "PNG":
                    image.verify()  # every chunk's CRC, read without inflating the pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "的图片尺寸过大，请缩小后上传。"
    except Exception:  # Pillow raises many types for data that is not an image
        return "不是有效的图片，或已损坏，请重新上传。"
    return None


_JPEG_END, _PNG_END = b"\xff\xd9", b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _ends_whole(content: bytes, image_format: str) -> bool:
    """Whether the file ends as its format ends: a JPEG with EOI (some cameras pad with NULs after it),
    a PNG with IEND, a WEBP where its RIFF header says."""
    if image_format == "JPEG":
        return content.rstrip(b"\x00").endswith(_JPEG_END)
    if image_format == "PNG":
        return content.endswith(_PNG_END)
    return len(content) >= 12 and int.from_bytes(content[4:8], "little") + 8 <= len(content)


def decoded_image(content: bytes, image_format: str) -> tuple[Image.Image | None, str | None]:
    """The full check (in the background for evidence photos): (the image, every byte of it decoded — a JPEG
    at print scale —, None) or (None, what is wrong)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(content), formats=[image_format])
            if image.width * image.height > MAX_PIXELS:
                image.close()
                return None, "的图片尺寸过大，请缩小后上传。"
            # A JPEG decodes at the scale its print copy needs (DCT scaling: a 12 MP photo at 2000 × 1500, about
            # half the time of a full decode); every coefficient of the stream is still read, so a corrupt
            # JPEG fails here exactly as in a full decode. Other formats decode in full.
            image.draft("RGB", (PRINT_MAX_EDGE // 2, PRINT_MAX_EDGE // 2))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, "的图片尺寸过大，请缩小后上传。"
    except Exception:  # Pillow raises many types for data that is not a decodable image
        return None, "不是有效的图片，或已损坏，请重新上传。"
    return image, None


def pdf_problem(content: bytes) -> str | None:
    try:
        reader = PdfReader(BytesIO(content))
        if len(reader.pages) == 0:
            return DAMAGED
        scripted = _has_script(reader.trailer)
    except Exception:  # any parser error means the file is damaged
        return DAMAGED
    if scripted:
        return "含有脚本（JavaScript）或启动程序的动作，出于安全原因不能上传；请打印后重新扫描为PDF。"
    return None


def _has_script(root: object) -> bool:
    """Whether any dictionary reachable from the trailer runs JavaScript or launches a program."""
    seen: set[tuple[int, int]] = set()
    stack, visited = [root], 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            return True  # too complex to vouch for
        if isinstance(node, DictionaryObject):
            if "/JS" in node or "/JavaScript" in node or node.get("/S") in _SCRIPT_ACTIONS:
                return True
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _bad_name(name: str) -> bool:
    path = name.replace("\\", "/")
    return path.startswith("/") or ":" in path or ".." in PurePosixPath(path).parts


def _bomb(info: ZipInfo) -> bool:
    return info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)


def ooxml_problem(content: bytes, media_type: str) -> str | None:
    try:
        with ZipFile(BytesIO(content)) as archive:
            problem = _directory_problem(archive.infolist(), media_type)
            if problem:
                return problem
            return None if archive.testzip() is None else DAMAGED  # reads every member, now within the limits
    except (BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        return DAMAGED


def _directory_problem(infos: list[ZipInfo], media_type: str) -> str | None:
    """From the zip directory alone, before anything is inflated."""
    names = [info.filename for info in infos]
    if len(infos) > MAX_MEMBERS:
        return "内部条目过多，不像正常的文件。"
    if any(_bad_name(name) for name in names) or len(set(names)) != len(names):
        return "内含非法路径（如“../”）的条目，不能上传。"
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED or any(_bomb(info) for info in infos):
        return f"解压后过大（超过{MAX_UNCOMPRESSED // 1024 // 1024}MB或压缩比异常），不能上传。"
    if not {"[Content_Types].xml", MAIN_PARTS[media_type]} <= set(names):
        return f"不是有效的{KIND_NAMES[media_type]}文件，请用 Office 或 WPS 另存后重新上传。"
    return None


# Watermarked print copies of photos.
PRINT_MAX_EDGE = 2048  # pixels on the long edge: sharp on an A4 page, a few hundred KB as JPEG
PRINT_QUALITY = 85
CJK_FONT_NAMES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")
_log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int] | None:
    """(file, face index) of a font with Chinese glyphs, asked of fontconfig; None when there is none.

    fc-match always answers with some font, so its answer counts only when fc-list says that file covers
    Chinese (lang zh-cn)."""
    if shutil.which("fc-match") is None:
        return None
    try:
        chinese = set(subprocess.run(["fc-list", ":lang=zh-cn", "file"], capture_output=True, text=True,
                                     timeout=10).stdout.replace(":", "").split())
        for name in CJK_FONT_NAMES:
            answer = subprocess.run(["fc-match", "-f", "%{file}|%{index}", f"{name}:lang=zh-cn"],
                                    capture_output=True, text=True, timeout=10).stdout
            path, _, index = answer.partition("|")
            if path in chinese:
                return path, int(index or 0)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return None


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = cjk_font()
    if found is None:
        # The print copy is still made (the original is what counts as evidence), but Pillow's own font has
        # no Chinese: unit and member names show as boxes until a CJK font is installed (fonts-noto-cjk).
        _log.warning("No CJK font found by fontconfig: photo watermarks cannot show Chinese text. "
                     "Install fonts-noto-cjk (Debian/Ubuntu) or google-noto-sans-cjk-fonts.")
        return ImageFont.load_default(size)
    return ImageFont.truetype(found[0], size, index=found[1])


def watermarked_jpeg(image: Image.Image, lines: list[str]) -> bytes:
    """A JPEG copy of a decoded image (see decoded_image), turned upright (EXIF), at most PRINT_MAX_EDGE pixels
    on its long edge, with `lines` written white on a dark band along its bottom. No metadata is copied (GPS
    stays in the original)."""
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((PRINT_MAX_EDGE, PRINT_MAX_EDGE))
    size = max(12, min(image.width, image.height * 4 // 3) // 28)
    font, margin, step = _font(size), max(4, size // 3), size * 4 // 3  # CJK glyphs rise above `size`
    band = len(lines) * step + 2 * margin
    # Darken only the band (blending the whole photo with an overlay cost more than its encoding)
    box = (0, image.height - band, image.width, image.height)
    image.paste(Image.blend(image.crop(box), Image.new("RGB", (image.width, band)), 150 / 255), box)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((margin * 2, image.height - band + margin + number * step), line, font=font, fill=(255, 255, 255))
    out = BytesIO()
    image.save(out, "JPEG", quality=PRINT_QUALITY)
    return out.getvalue()


def watermark_photo(session: Session, store: FileBackend, ref: dict, *, unit_name: str, member: str,
                    when: datetime) -> dict:
    """The upload reference with `print_file`: the SHA-256 of a watermarked JPEG copy (unit, time, member)
    made and stored beside the untouched original. Every pixel of the original is decoded: one that cannot
    be raises InvalidInput (the photo is damaged). References that are no image, or already have a copy,
    come back unchanged."""
    if ref.get("type") not in IMAGE_FORMATS or ref.get("print_file"):
        return dict(ref)
    image, problem = decoded_image(store.read(ref["file"]), IMAGE_FORMATS[ref["type"]])
    if image is None:
        raise InvalidInput(f"照片“{ref.get('name') or ''}”{problem}")
    lines = [f"单位：{unit_name}", f"时间：{when.astimezone(TZ).strftime('%Y-%m-%d %H:%M')}", f"人员：{member}"]
    copy = store.put(session, watermarked_jpeg(image, lines), "image/jpeg", when)
    return {**ref, "print_file": copy.sha256}


def print_copy(ref: dict) -> tuple[str, str, str]:
    """(file, name, media type) to print or attach for a photo reference: its watermarked copy when there is one."""
    if ref.get("print_file"):
        stem = str(ref.get("name") or "照片").rsplit(".", 1)[0]
        return ref["print_file"], f"{stem}（水印）.jpg", "image/jpeg"
    return ref["file"], str(ref.get("name") or ""), str(ref.get("type") or "")
