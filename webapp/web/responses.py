"""What every view answers with: the runtime the app was built with, and file downloads under Chinese names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, current_app

from webapp.extensions import db
from webapp.models import StoredFile
from webapp.services.documents import DOCX
from webapp.services.errors import NotFound
from webapp.web.common import record_action
from webapp.web.download_names import content_disposition, download_name

if TYPE_CHECKING:
    from webapp.cases.runtime import CaseRuntime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
__all__ = ["DOCX", "XLSX", "download_response", "runtime", "stored_file_response", "xlsx_download"]


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
