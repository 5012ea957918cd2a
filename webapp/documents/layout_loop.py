"""Render → measure → adjust for an issued document: keep the closing together, make the PDF,
verify it, and when the 署名 (or a signature row) still stands alone, tighten the line pitch and
make the PDF once more.  A typical document costs one conversion, a hard one two."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.documents.adjust import keep_closing_together, tighten_line_pitch
from webapp.documents.pdf import PdfConversionError, PdfConverter
from webapp.documents.verify_layout import LayoutReport, not_run, verify

ADJUSTABLE = ("signature", "sign_rows")  # failures a tighter line pitch can fix
NOT_ENABLED = "未开启版式检查"
NO_LIBREOFFICE = "服务器未安装 LibreOffice，未生成 PDF"
CONVERSION_FAILED = "PDF 转换失败"


@dataclass
class Outcome:
    docx: bytes  # what is stored and issued (adjusted)
    pdf: bytes | None  # the PDF the report is about (None when the check did not run)
    report: LayoutReport


def produce(content: bytes, converter: PdfConverter, *, layout: str, check: bool = True) -> Outcome:
    """The issued DOCX, its PDF and the verifier's report; never raises for layout reasons.
    ``content`` comes from ``DocumentRenderer.render``, whose ``adjust.finish`` already kept the closing
    together (the first, free adjustment)."""
    if not check:
        return Outcome(content, None, not_run(NOT_ENABLED))
    if not converter.available():
        return Outcome(content, None, not_run(NO_LIBREOFFICE))
    try:
        pdf = converter.convert(content)
        report = verify(content, pdf, layout=layout)
        if report.passed or not any(report.failed(rule) for rule in ADJUSTABLE):
            return Outcome(content, pdf, report)
        tight = tighten_line_pitch(keep_closing_together(content))
        tight_pdf = converter.convert(tight)
    except PdfConversionError:
        return Outcome(content, None, not_run(CONVERSION_FAILED))
    adjusted = verify(tight, tight_pdf, layout=layout)
    adjusted.conversions = 2
    if adjusted.passed:
        adjusted.note = "已收紧行距"
    return Outcome(tight, tight_pdf, adjusted)
