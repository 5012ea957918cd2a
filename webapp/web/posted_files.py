"""Files posted with a form, stored through the upload service under the one configured size limit."""

from __future__ import annotations

from tempfile import SpooledTemporaryFile
from typing import IO

from flask import Request, current_app
from werkzeug.datastructures import FileStorage

from webapp.extensions import db
from webapp.services import uploads
from webapp.services.errors import InvalidInput
from webapp.web.common import now
from webapp.web.responses import runtime


def upload_limit() -> int:
    """FIREGRID_MAX_UPLOAD_MB in bytes: Flask refuses a larger request (413), the service a larger file."""
    return current_app.config["MAX_CONTENT_LENGTH"]


def store_posted(upload: FileStorage, decode_later: bool = False) -> dict:
    """Check and store one posted file; returns the reference kept in task data (see uploads.store_upload).
    A refused file's message names its form field, so the form shows it beside that field."""
    try:
        return uploads.store_upload(db.session, runtime().documents.store, content=upload.read(),
                                    filename=upload.filename or "upload", now=now(), max_bytes=upload_limit(),
                                    decode_later=decode_later)
    except InvalidInput as error:
        if error.fields or not upload.name:
            raise
        raise InvalidInput(error.message, error.problems, field=upload.name) from error


# Werkzeug spools every upload over 500 KB to a temporary file while it parses the request, and the upload
# service then reads it back: for a 3 MB phone photo that disk round trip was a good part of a patrol submit
# (issue 19). Uploads up to this size stay in memory; the request itself is capped at MAX_CONTENT_LENGTH.
IN_MEMORY_UPLOAD = 16 * 1024 * 1024


class UploadRequest(Request):
    """The app's request class: posted files parsed into memory up to IN_MEMORY_UPLOAD, spooled beyond."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        return SpooledTemporaryFile(max_size=IN_MEMORY_UPLOAD, mode="rb+")  # noqa: SIM115 - the parser owns it
