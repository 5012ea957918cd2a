"""Scans and photos for the demo history: wherever a real clerk must upload a scan (送达回执, 反馈函,
a signed letter) or an inspector takes a photo, the demo uploads a small real file through the same
upload check, so every file opens."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime
from io import BytesIO

from pypdf import PdfWriter
from sqlalchemy.orm import Session

from webapp.services import uploads
from webapp.services.storage.backends import FileBackend


def scan_pdf(title: str) -> bytes:
    """A one-page A4 PDF; the title in its metadata makes each scan's bytes (and hash) its own."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4 in points
    writer.add_metadata({"/Title": title})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def upload_scan(session: Session, store: FileBackend, name: str, now: datetime) -> dict:
    """Upload `name`.pdf as a clerk would; returns the reference a form's file field holds."""
    return uploads.store_upload(session, store, content=scan_pdf(name), filename=f"{name}.pdf", now=now)


def photo_png(seed: int, size: int = 16) -> bytes:
    """A small solid-colour PNG (its colour from `seed`, so each photo is its own file)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixel = bytes(((seed * 53) % 256, (seed * 97) % 256, (seed * 151) % 256))
    rows = b"".join(b"\x00" + pixel * size for _ in range(size))  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def upload_photo(session: Session, store: FileBackend, name: str, seed: int, now: datetime) -> dict:
    return uploads.store_upload(session, store, content=photo_png(seed), filename=f"{name}.png", now=now)
