"""What every view answers with: the runtime the app was built with, and file downloads under Chinese names."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from flask import Response, current_app, stream_with_context

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
__all__ = ["DOCX", "XLSX", "download_response", "pdf_response", "runtime", "stored_download",
           "stored_file_response", "xlsx_download"]
log = logging.getLogger(__name__)
STREAM_PIECE = 256 * 1024


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
    return _audited(Response(content, mimetype=mimetype), filename, len(content), inline)


def stored_download(sha256: str, filename: str, mimetype: str | None = None) -> Response:
    """A stored file, streamed from the store a piece at a time (the database backend never holds it whole);
    `mimetype` defaults to what the store recorded at upload."""
    stored = db.session.get(StoredFile, sha256)
    store = runtime().documents.store
    if stored is None or not store.exists(sha256):
        raise NotFound("文件不存在或已从文件库中丢失，请联系管理员。")

    def pieces() -> Iterator[bytes]:
        with store.open(sha256) as stream:
            while piece := stream.read(STREAM_PIECE):
                yield piece

    response = Response(stream_with_context(pieces()), mimetype=mimetype or stored.media_type)
    response.content_length = stored.size
    return _audited(response, filename, stored.size, inline=False)


def _audited(response: Response, filename: str, size: int, inline: bool) -> Response:
    record_action(action="excel_export" if response.mimetype == XLSX else "download", object_type="file",
                  summary=f"{filename}（{size}字节）")
    db.session.commit()
    response.headers["Content-Disposition"] = content_disposition(download_name(filename, response.mimetype),
                                                                  inline)
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
    response = stored_download(sha256, name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
