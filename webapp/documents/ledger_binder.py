"""台账汇编 as one PDF: the cover and contents, then each section's documents, every one under a bookmark.

The contents name the binder page (1 = the cover) each section and document starts on; those pages depend
on how many pages the contents take, so `contents_entries` is computed for a given contents length and the
caller renders until the length it assumed is the length it got.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter

CHINESE_NUMERALS = "一二三四五六七八九十"
INDENT = "\u3000\u3000"


@dataclass(frozen=True)
class Part:
    title: str
    pdf: bytes

    @property
    def pages(self) -> int:
        return len(PdfReader(io.BytesIO(self.pdf)).pages)


@dataclass(frozen=True)
class Section:
    title: str  # e.g. 责任书
    parts: tuple[Part, ...]


def _heading(index: int, section: Section) -> str:
    label = f"{CHINESE_NUMERALS[index]}、{section.title}"
    return label if section.parts else f"{label}（本年度无已印发文件）"


def contents_entries(sections: list[Section], contents_pages: int) -> list[dict]:
    """The contents' rows (label, page) when the cover and contents take `contents_pages` pages."""
    entries, page = [], contents_pages + 1
    for index, section in enumerate(sections):
        entries.append({"label": _heading(index, section), "page": str(page) if section.parts else "—"})
        for part in section.parts:
            entries.append({"label": INDENT + part.title, "page": str(page)})
            page += part.pages
    return entries


def bind(contents: bytes, sections: list[Section]) -> bytes:
    """The contents PDF, then every part in order; bookmarks: 封面与目录, each section, each document in it."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(contents)), import_outline=False)
    writer.add_outline_item(title="封面与目录", page_number=0)
    for index, section in enumerate(sections):
        starts = []
        for part in section.parts:  # a bookmark may only point at a page the writer already has
            starts.append(len(writer.pages))
            writer.append(PdfReader(io.BytesIO(part.pdf)), import_outline=False)
        if starts:
            parent = writer.add_outline_item(title=_heading(index, section), page_number=starts[0])
            for part, start in zip(section.parts, starts, strict=True):
                writer.add_outline_item(title=part.title, page_number=start, parent=parent)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
