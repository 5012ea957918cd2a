"""File names for downloads: Chinese, from the title or the uploaded name, with the extension of the content."""

from __future__ import annotations

import re
from pathlib import PurePath
from urllib.parse import quote

from webapp.services.documents import DOCX, PDF, safe_filename
from webapp.services.uploads import ALLOWED_TYPES

# Media type → extension; uploads are sniffed into ALLOWED_TYPES, generated files are DOCX, PDF, XLSX or ZIP.
EXTENSIONS = {**ALLOWED_TYPES, DOCX: ".docx", PDF: ".pdf", "application/zip": ".zip"}
_KNOWN_SUFFIXES = {*EXTENSIONS.values(), ".jpeg"}


def download_name(name: str, media_type: str) -> str:
    """`name` without any known extension it carries, made safe, plus the extension its media type has."""
    stem = name.strip()
    if PurePath(stem).suffix.lower() in _KNOWN_SUFFIXES:
        stem = stem[: -len(PurePath(stem).suffix)]
    return safe_filename(stem or "文件") + EXTENSIONS.get(media_type, "")


def content_disposition(filename: str, inline: bool = False) -> str:
    """RFC 6266 with an RFC 5987 `filename*` (UTF-8) and an ASCII `filename` for old clients."""
    suffix = PurePath(filename).suffix
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "", filename.removesuffix(suffix)).strip("._") or "download"
    fallback = ascii_stem + re.sub(r"[^A-Za-z0-9.]", "", suffix)
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
