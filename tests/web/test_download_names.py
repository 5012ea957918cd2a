"""Download names: the title or uploaded name, with the extension of what the bytes are."""

from __future__ import annotations

import pytest

from webapp.services.documents import DOCX, PDF
from webapp.web.download_names import content_disposition, download_name


@pytest.mark.parametrize(("name", "media_type", "expected"), [
    ("送达回执", "image/jpeg", "送达回执.jpg"),  # no extension: gets the content's
    ("回执.JPEG", "image/jpeg", "回执.jpg"),
    ("反馈函.png", PDF, "反馈函.pdf"),  # a misleading extension is replaced by the real one
    ("青石府发〔2026〕3号_关于检查的通知.docx", DOCX, "青石府发〔2026〕3号_关于检查的通知.docx"),
    ("a/b:c?.webp", "image/webp", "a_b_c.webp"),
    ("", "image/png", "文件.png"),
])
def test_download_name_has_the_extension_of_its_media_type(name, media_type, expected):
    assert download_name(name, media_type) == expected


def test_content_disposition_carries_utf8_name_and_ascii_fallback():
    assert content_disposition("照片1.png") == \
        "attachment; filename=\"1.png\"; filename*=UTF-8''%E7%85%A7%E7%89%871.png"
    assert content_disposition("签收.pdf", inline=True) == \
        "inline; filename=\"download.pdf\"; filename*=UTF-8''%E7%AD%BE%E6%94%B6.pdf"
