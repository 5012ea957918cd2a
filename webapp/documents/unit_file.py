"""一户一档 as one PDF: the converted summary form, then the entries' issued documents, then a photo appendix.

The summary form is the `unit_file` template; the photo appendix is laid out here with python-docx (captions
in the body font, two photos a page) so that LibreOffice sets its Chinese captions like every other page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter

from webapp.documents.ooxml import FANGSONG, HEITI

PHOTO_WIDTH_MM, PHOTO_HEIGHT_MM = 150, 95  # two photos with their captions on one A4 page
PHOTOS_PER_PAGE = 2
LONGEST_SIDE_PX = 1600  # enough for 150 mm at ~270 dpi; a 12 MP phone photo would bloat the PDF


@dataclass(frozen=True)
class Photo:
    caption: str
    content: bytes  # the stored upload (JPEG, PNG or WEBP)


@dataclass(frozen=True)
class Part:
    """A PDF appended to the file, under a bookmark (书签) with its title."""

    title: str
    pdf: bytes


THUMBNAIL_PX = 240  # the unit page's thumbnails (shown at 96 px, sharp on a 2.5× phone screen)


def _printable(content: bytes, longest_side: int = LONGEST_SIDE_PX) -> io.BytesIO:
    """The photo upright (EXIF orientation), at most `longest_side` px, as JPEG (python-docx reads no WEBP)."""
    with Image.open(io.BytesIO(content)) as image:
        image.draft("RGB", (longest_side, longest_side))  # JPEG: decode at 1/2 … 1/8 scale, much faster
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((longest_side, longest_side))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
    out.seek(0)
    return out


def thumbnail(content: bytes) -> bytes:
    """A small JPEG of a stored photo for the unit page."""
    return _printable(content, THUMBNAIL_PX).getvalue()


def _run_font(run, name: str, size: float) -> None:  # noqa: ANN001
    run.font.name, run.font.size = name, Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def photo_appendix(unit_name: str, photos: list[Photo]) -> bytes:
    """The DOCX of the photo pages: a heading, then each photo scaled into its box with its caption."""
    document = Document()
    document.core_properties.title = f"{unit_name}现场照片"
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(20)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run_font(heading.add_run(f"附：{unit_name}现场照片"), HEITI, 16)
    for index, photo in enumerate(photos):
        if index and index % PHOTOS_PER_PAGE == 0:
            document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        picture = document.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        image = _printable(photo.content)
        with Image.open(image) as opened:
            ratio = opened.width / opened.height
        image.seek(0)
        width = min(PHOTO_WIDTH_MM, PHOTO_HEIGHT_MM * ratio)
        picture.add_run().add_picture(image, width=Mm(width), height=Mm(width / ratio))
        caption = document.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run_font(caption.add_run(f"照片{index + 1}　{photo.caption}"), FANGSONG, 12)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def merged(parts: list[Part]) -> bytes:
    """The parts one after the other in one PDF, each under a bookmark."""
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part.pdf)), outline_item=part.title)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
