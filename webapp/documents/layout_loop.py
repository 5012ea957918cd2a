"""Render → measure → adjust for an issued document: keep the closing together, make the PDF,
verify it, and adjust what the measure shows:

- the 署名 stands alone: the last two lines of the body (where the PDF broke them) become a paragraph
  kept with it (LibreOffice would move a kept paragraph whole, often leaving page 1 with the header
  alone); still alone, or a signature row alone: tighten the line pitch; as a last resort keep the
  whole last paragraph with the 署名. Each step makes the PDF once more;
- the 版记 is not at the foot of an even page (GB/T 9704-2012 §7.4): from the page where the body
  ended, move the 版记 to the foot of the next even page (its own unnumbered section, a blank page
  between when the body ends on an even page without room) and make the PDF once more.

A typical document costs one conversion, one that needs an adjustment two, rarely three."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from webapp.documents.adjust import banji_to_even_page, keep_closing_together, keep_last_lines, tighten_line_pitch
from webapp.documents.pdf import PdfConversionError, PdfConverter
from webapp.documents.verify_layout import LayoutReport, not_run, read_pdf, verify

ADJUSTABLE = ("signature", "sign_rows")  # failures a tighter line pitch can fix
NOT_ENABLED = "未开启版式检查"
NO_LIBREOFFICE = "服务器未安装 LibreOffice，未生成 PDF"
CONVERSION_FAILED = "PDF 转换失败"
TIGHTENED, BANJI_MOVED = "已收紧行距", "版记移至偶数页末"


@dataclass
class Outcome:
    docx: bytes  # what is stored and issued (adjusted)
    pdf: bytes | None  # the PDF the report is about (None when the check did not run)
    report: LayoutReport


def _step(content: bytes, converter: PdfConverter, layout: str, unbroken: Sequence[str],
          before: int = 0) -> tuple[bytes, bytes, LayoutReport]:
    """One more conversion and its report (``before``: the conversions so far)."""
    pdf = converter.convert(content)
    report = verify(content, pdf, layout=layout, unbroken=tuple(unbroken))
    report.conversions = before + 1
    return content, pdf, report


def produce(content: bytes, converter: PdfConverter, *, layout: str, check: bool = True,
            unbroken: Sequence[str] = ()) -> Outcome:
    """The issued DOCX, its PDF and the verifier's report; never raises for layout reasons.
    ``unbroken``: the 文号 and names no line may split (``DocumentRenderer.unbroken``).
    ``content`` comes from ``DocumentRenderer.render``, whose ``adjust.finish`` already kept the closing
    together (the first, free adjustment)."""
    if not check:
        return Outcome(content, None, not_run(NOT_ENABLED))
    if not converter.available():
        return Outcome(content, None, not_run(NO_LIBREOFFICE))
    notes = []
    try:
        content, pdf, report = _step(content, converter, layout, unbroken)
        if report.failed("signature"):  # the last body lines go with the 署名, as Word's keep-with-next
            split = keep_last_lines(content, read_pdf(pdf))
            if split != content:
                content, pdf, report = _step(split, converter, layout, unbroken, report.conversions)
        if any(report.failed(rule) for rule in ADJUSTABLE):
            tight = tighten_line_pitch(keep_closing_together(content))
            content, pdf, report = _step(tight, converter, layout, unbroken, report.conversions)
            notes.append(TIGHTENED)
        if report.failed("signature"):  # the last resort: the whole last paragraph moves with the 署名
            content, pdf, report = _step(keep_closing_together(content, whole=True), converter, layout,
                                         unbroken, report.conversions)
        unmoved = content
        for _ in range(2):  # taking the 版记 out of the flow may end the body a page earlier: measure again
            if not (report.failed("banji_page") and report.body_end_page):
                break
            moved = banji_to_even_page(unmoved, blank_pages=1 - report.body_end_page % 2)
            if moved in (unmoved, content):
                break
            content, pdf, report = _step(moved, converter, layout, unbroken, report.conversions)
        if content is not unmoved:
            notes.append(BANJI_MOVED)
    except PdfConversionError:
        return Outcome(content, None, not_run(CONVERSION_FAILED))
    if report.passed:
        report.note = "，".join(notes)
    return Outcome(content, pdf, report)
