"""Helpers for page-level tests of issued documents (rendered PDFs read with pdfplumber)."""

from __future__ import annotations

import io

import pdfplumber

from webapp.documents import adjust
from webapp.documents.verify_layout import PT_PER_MM, verify


def banji_to_even_pages(docx: dict, pdfs: dict, converter, layouts: dict | None = None) -> tuple[dict, dict]:
    """The layout loop's 版记 step for a batch: every document whose 版记 is not at the foot of an even
    page moved there (from the measured end of its body) and converted again, in one call."""
    moved = {}
    for name, content in docx.items():
        report = verify(content, pdfs[name], layout=(layouts or {}).get(name, "standard"))
        if report.failed("banji_page"):
            moved[name] = adjust.banji_to_even_page(content, blank_pages=1 - report.body_end_page % 2)
    converted = dict(zip(moved, converter.convert_many(list(moved.values())), strict=True))
    return {**docx, **moved}, {**pdfs, **converted}


def page_facts(pdf: bytes) -> list[dict]:
    """Per page: its text without whitespace, whether it shows a "— n —" number and the top (mm) of its
    lowest black horizontal line at least 150 mm long."""
    facts = []
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        for page in opened.pages:
            text = "".join((page.extract_text() or "").split())
            rules = [edge["top"] / PT_PER_MM for edge in page.edges
                     if edge["orientation"] == "h" and edge["width"] > 150 * PT_PER_MM
                     and tuple(edge.get("stroking_color") or (0,))[:1] != (1,)]
            numbered = any(line["text"].replace(" ", "").startswith("—") for line in page.extract_text_lines())
            facts.append({"text": text, "numbered": numbered, "lowest_rule": max(rules, default=None)})
    return facts
