"""What every view answers with: the runtime the app was built with, and file downloads under Chinese names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Response, current_app

from webapp.documents.pdf import PdfConversionError, PdfUnavailable
from webapp.extensions import db
from webapp.models import StoredFile
from webapp.services.documents import DOCX, PDF
from webapp.services.errors import DomainError, NotFound
from webapp.web.common import record_action
from webapp.web.download_names import content_disposition, download_name

if TYPE_CHECKING:
    from webapp.cases.runtime import CaseRuntime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
__all__ = ["DOCX", "XLSX", "download_response", "pdf_response", "runtime", "stored_file_response", "xlsx_download"]
log = logging.getLogger(__name__)


class PdfNotAvailable(DomainError):
    http_status = 503


class PdfFailed(DomainError):
    http_status = 503

    def __init__(self) -> None:
        super().__init__("PDF 转换失败，请稍后重试或下载 DOCX。")


def runtime() -> CaseRuntime:
    """The engine, documents and numbering the app was built with (see webapp.create_app)."""
    return current_app.extensions["firegrid.runtime"]


def download_response(content: bytes, filename: str, mimetype: str, inline: bool = False) -> Response:
    """`filename` gets the extension of `mimetype` (an uploaded "回执" PDF downloads as 回执.pdf).
    Every download and Excel export is written to the audit log."""
    record_action(action="excel_export" if mimetype == XLSX else "download", object_type="file",
                  summary=f"{filename}（{len(content)}字节）")
    db.session.commit()
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(download_name(filename, mimetype), inline)
    return response


def pdf_response(produce: Callable[[], bytes], filename: str) -> Response:
    """The PDF `produce` makes, shown inline as `filename`; without LibreOffice, or when the conversion fails,
    a 503 that says so in Chinese (the failure's detail goes to the log, not to the user)."""
    try:
        pdf = produce()
    except PdfUnavailable as error:
        raise PdfNotAvailable(str(error)) from error
    except PdfConversionError as error:
        log.error("PDF conversion of %s failed: %s", filename, error)
        raise PdfFailed() from error
    return download_response(pdf, filename, PDF, inline=True)


def docx_as_pdf(content: bytes, title: str) -> Response:
    """A DOCX made for this request, converted and shown as `title`.pdf."""
    return pdf_response(lambda: runtime().documents.pdf.convert(content), f"{title}.pdf")


def xlsx_download(content: bytes, filename: str) -> Response:
    return download_response(content, filename, XLSX)


def stored_file_response(sha256: str, name: str) -> Response:
    """A stored upload (scan, photo, attachment) under its Chinese name, typed by what the store sniffed at
    upload, always as an attachment in a sandbox: whatever a crafted file holds never runs as a page of the
    app (nosniff, ``Content-Security-Policy: sandbox``)."""
    stored = db.session.get(StoredFile, sha256)
    store = runtime().documents.store
    if stored is None or not store.path(sha256).exists():
        raise NotFound("文件不存在或已从文件库中丢失，请联系管理员。")
    response = download_response(store.read(sha256), name, stored.media_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
