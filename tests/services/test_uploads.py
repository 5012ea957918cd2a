import pytest

from webapp.services import uploads
from webapp.services.errors import InvalidInput

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _store(app, session, content, name, max_bytes=None):
    store = app.extensions["firegrid.runtime"].documents.store
    return uploads.store_upload(session, store, content=content, filename=name,
                                now=app.extensions["firegrid.clock"].now(), max_bytes=max_bytes)


def test_photo_is_stored_by_hash_and_only_its_id_is_kept(app, session):
    reference = _store(app, session, PNG, "现场照片.png")
    assert reference == {"file": reference["file"], "name": "现场照片.png", "type": "image/png", "size": len(PNG)}
    assert app.extensions["firegrid.runtime"].documents.store.read(reference["file"]) == PNG


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"MZ\x90\x00 executable", "照片.png", "类型不支持"),
    (b"<script>alert(1)</script>", "x.html", "类型不支持"),
    (b"", "空.png", "是空的"),
    (b"%PDF-1.4 not really a pdf", "坏.pdf", "已损坏"),
    (b"PK\x03\x04 broken zip", "坏.docx", "已损坏"),
])
def test_unsupported_or_empty_files_are_refused(app, session, content, name, message):
    with pytest.raises(InvalidInput, match=message):
        _store(app, session, content, name)


def test_oversized_file_is_refused(app, session):
    with pytest.raises(InvalidInput, match="超过"):
        _store(app, session, PNG, "大.png", max_bytes=32)
    assert _store(app, session, PNG, "小.png", max_bytes=len(PNG))["size"] == len(PNG)
