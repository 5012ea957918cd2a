"""Uploaded files (photos, signed scans, attachments): type and size checked, stored by hash."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zipfile import ZipFile

from pypdf import PdfReader
from sqlalchemy.orm import Session

from webapp.services.errors import InvalidInput
from webapp.services.file_store import FileStore

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


def _opens(content: bytes, media_type: str) -> bool:
    """The archive must be able to open every file later (四性检测: usability), so check now."""
    try:
        if media_type == "application/pdf":
            PdfReader(BytesIO(content)).pages  # noqa: B018  (parsing is the check)
        elif media_type.startswith(_OOXML):
            with ZipFile(BytesIO(content)) as archive:
                return archive.testzip() is None
    except Exception:  # any parser error means the file is damaged
        return False
    return True


def store_upload(session: Session, store: FileStore, *, content: bytes, filename: str, now: datetime,
                 max_bytes: int | None = None) -> dict:
    """Check and store one upload; returns the reference kept in task data.

    `max_bytes` is the configured upload limit (FIREGRID_MAX_UPLOAD_MB); None for files the app made itself.
    """
    if not content:
        raise InvalidInput(f"文件“{filename}”是空的。")
    if max_bytes is not None and len(content) > max_bytes:
        raise InvalidInput(f"文件“{filename}”超过{max_bytes / 1024 / 1024:g}MB。")
    media_type = sniff_type(content, filename)
    if media_type is None:
        raise InvalidInput(f"文件“{filename}”的类型不支持：只接受 JPG、PNG、WEBP 图片和 PDF、DOCX、XLSX 文件。")
    if not _opens(content, media_type):
        raise InvalidInput(f"文件“{filename}”已损坏，无法打开，请重新上传。")
    stored = store.put(session, content, media_type, now)
    return {"file": stored.sha256, "name": filename[:200], "type": media_type, "size": len(content)}
