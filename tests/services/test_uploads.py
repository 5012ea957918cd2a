import pytest

from webapp.demo.scans import photo_png
from webapp.services import uploads
from webapp.services.errors import InvalidInput

PNG = photo_png(1)  # a real image: uploads are decoded


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


# --- issue 17, item 12: a real check per kind ------------------------------------------------------------

def _deflated_zeros(megabytes: int) -> bytes:
    """A raw deflate stream of `megabytes` MB of zeros, built from one compressed megabyte (no GB in memory)."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(1024 * 1024)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * megabytes + compressor.flush(zlib.Z_FINISH)


def _raw_zip(members: list[tuple[str, bytes, int]]) -> bytes:
    """A zip written by hand from (name, deflated data, declared size), CRCs left at zero: a member that is
    ever read fails its CRC, so a refusal naming the size proves nothing was inflated."""
    import struct

    body, directory = b"", b""
    for name, data, size in members:
        encoded = name.encode()
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(data), size, len(encoded), 0)
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(data), size,
                                 len(encoded), 0, 0, 0, 0, 0, len(body)) + encoded
        body += header + encoded + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0)
    return body + directory + end


def _docx() -> bytes:
    from io import BytesIO

    import docx

    buffer = BytesIO()
    docx.Document().save(buffer)
    return buffer.getvalue()


def test_zip_bomb_docx_is_refused_from_its_directory_before_anything_inflates(app, session):
    gigabyte = _deflated_zeros(1024)
    members = [("[Content_Types].xml", gigabyte, 2**30), ("word/document.xml", gigabyte, 2**30),
               ("word/a.xml", gigabyte, 2**30), ("word/b.xml", gigabyte, 2**30 - 1)]
    bomb = _raw_zip(members)
    assert len(bomb) < 5 * 1024 * 1024  # 4 MB on disk, 4 GB of zeros inside
    with pytest.raises(InvalidInput, match="“报告.docx”解压后过大"):
        _store(app, session, bomb, "报告.docx")


def test_zip_with_a_parent_path_member_or_without_main_part_is_refused(app, session):
    from io import BytesIO
    from zipfile import ZipFile

    real = _docx()
    buffer = BytesIO()
    with ZipFile(BytesIO(real)) as source, ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("../../evil.sh", "rm -rf /")
    with pytest.raises(InvalidInput, match="非法路径"):
        _store(app, session, buffer.getvalue(), "通知.docx")
    plain = BytesIO()
    with ZipFile(plain, "w") as archive:
        archive.writestr("readme.txt", "just a zip")
    with pytest.raises(InvalidInput, match="不是有效的Word"):
        _store(app, session, plain.getvalue(), "通知.docx")
    assert _store(app, session, real, "通知.docx")["type"].endswith("wordprocessingml.document")


def _pdf(script: str) -> bytes:
    from io import BytesIO

    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert(1)")})
    if script == "names":  # a document-level script: /Names → /JavaScript name tree
        scripts = ArrayObject([TextStringObject("s"), writer._add_object(action)])
        tree = DictionaryObject({NameObject("/Names"): scripts})
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    elif script == "open_action":
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    elif script == "launch":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("script", ["names", "open_action", "launch"])
def test_pdf_with_javascript_or_launch_action_is_refused(app, session, script):
    with pytest.raises(InvalidInput, match="含有脚本"):
        _store(app, session, _pdf(script), "回执.pdf")


def test_plain_pdf_is_accepted(app, session):
    assert _store(app, session, _pdf(""), "回执.pdf")["type"] == "application/pdf"


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>",
    b"\xff\xd8\xff\xe0<html><body onload=alert(1)>",
    photo_png(3) + b"<script>alert(1)</script>",
])
def test_image_with_html_is_refused(app, session, content):
    with pytest.raises(InvalidInput, match="不是有效的图片"):
        _store(app, session, content, "照片.png")


def test_real_jpeg_and_webp_are_accepted(app, session):
    from io import BytesIO

    from PIL import Image

    for image_format, media_type in (("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        buffer = BytesIO()
        Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, image_format)
        assert _store(app, session, buffer.getvalue(), f"照片.{image_format.lower()}")["type"] == media_type


def test_a_large_jpeg_cut_short_is_refused_without_decoding_it(app, session):
    """The submit's structural check decodes no pixel, yet a phone-sized JPEG cut anywhere in its scan is
    refused (it lacks its EOI marker); whole, it is accepted."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.linear_gradient("L").resize((3200, 2400)).convert("RGB").save(buffer, "JPEG", quality=85)
    whole = buffer.getvalue()
    assert _store(app, session, whole, "整张.jpg")["type"] == "image/jpeg"
    for cut in (len(whole) // 2, len(whole) - 4096):
        with pytest.raises(InvalidInput, match="不是有效的图片"):
            _store(app, session, whole[:cut], "截断.jpg")


def test_an_image_damaged_in_the_middle_is_refused_at_once_unless_it_is_an_evidence_photo(app, session):
    """A scan, an attachment or a unit's own photo is decoded in full when it is stored; only evidence photos
    (decode_later) pass on their structure and are decoded by the background job (cases.photos)."""
    from tests.web.test_evidence_photos import _corrupt_middle, _jpeg

    damaged = _corrupt_middle(_jpeg())
    with pytest.raises(InvalidInput, match="不是有效的图片"):
        _store(app, session, damaged, "扫描件.jpg")
    store = app.extensions["firegrid.runtime"].documents.store
    later = uploads.store_upload(session, store, content=damaged, filename="现场照片.jpg",
                                 now=app.extensions["firegrid.clock"].now(), decode_later=True)
    assert store.read(later["file"]) == damaged
