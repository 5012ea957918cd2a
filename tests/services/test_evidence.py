"""Evidence (issue 19 item 6): watermarked print copies beside untouched originals, the distance of a check-in
from a unit's registered point, and the local HTTPS certificates."""

from __future__ import annotations

import hashlib
import ipaddress
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from io import BytesIO

import pytest
from click.testing import CliRunner
from cryptography import x509
from openpyxl import Workbook, load_workbook
from PIL import Image

from webapp import tls
from webapp.cli import main
from webapp.clock import TZ
from webapp.services import unit_ledger, units, uploads
from webapp.services.errors import InvalidInput

WHEN = datetime(2026, 9, 28, 9, 41, tzinfo=TZ)
BLUE = (20, 60, 160)


def photo(size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = BLUE) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def store_of(app):
    return app.extensions["firegrid.runtime"].documents.store


def light_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in `box` bright enough to be the white watermark text (the photo and the band are dark)."""
    region = image.crop(box).convert("L")
    return sum(region.histogram()[201:])


def test_watermark_copy_is_a_new_jpeg_and_the_original_bytes_stay(app, session):
    store, original = store_of(app), photo()
    ref = uploads.store_upload(session, store, content=original, filename="隐患.png", now=WHEN)
    marked = uploads.watermark_photo(session, store, ref, unit_name="丰收便利店", member="白建业", when=WHEN)
    session.commit()

    assert marked["file"] == ref["file"] == hashlib.sha256(original).hexdigest()
    assert store.read(ref["file"]) == original and store.verify(ref["file"])
    assert marked["print_file"] != marked["file"] and store.verify(marked["print_file"])
    copy = store.read(marked["print_file"])
    assert copy[:3] == b"\xff\xd8\xff"
    with Image.open(BytesIO(copy)) as image:
        assert image.format == "JPEG" and image.size == (640, 480)
        image = image.convert("RGB")
        # the photo above the band is untouched (JPEG noise aside), the band at the bottom carries white text
        assert all(abs(a - b) <= 6 for a, b in zip(image.getpixel((320, 100)), BLUE, strict=True))
        assert light_pixels(image, (0, 0, 640, 300)) == 0
        assert light_pixels(image, (0, 380, 640, 480)) > 300
    # the text comes from the arguments: another member, another copy
    other = uploads.watermark_photo(session, store, ref, unit_name="丰收便利店", member="邱海霞", when=WHEN)
    assert other["print_file"] != marked["print_file"]
    # a reference that has its copy, or is no image, comes back as it was
    assert uploads.watermark_photo(session, store, marked, unit_name="x", member="y", when=WHEN) == marked
    scan = {"file": "0" * 64, "name": "回执.pdf", "type": "application/pdf", "size": 10}
    assert uploads.watermark_photo(session, store, scan, unit_name="x", member="y", when=WHEN) == scan
    assert uploads.print_copy(marked) == (marked["print_file"], "隐患（水印）.jpg", "image/jpeg")
    assert uploads.print_copy(scan) == (scan["file"], "回执.pdf", "application/pdf")


def test_watermark_turns_a_phone_photo_upright_and_drops_its_metadata(app, session):
    """Phones store portrait photos landscape with an EXIF orientation; the print copy is upright, and the
    location and other EXIF data stay only in the original."""
    buffer, exif = BytesIO(), Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (800, 600), BLUE).save(buffer, "JPEG", exif=exif.tobytes())
    store = store_of(app)
    ref = uploads.store_upload(session, store, content=buffer.getvalue(), filename="竖拍.jpg", now=WHEN)
    marked = uploads.watermark_photo(session, store, ref, unit_name="丰收便利店", member="白建业", when=WHEN)
    with Image.open(BytesIO(store.read(marked["print_file"]))) as image:
        assert image.size == (600, 800)
        assert len(image.getexif()) == 0


def test_a_12_megapixel_photo_is_printed_upright_at_print_size_for_each_member(app, session):
    """The print copy decodes the stored bytes (at print scale); each member's copy is upright and
    print-sized: 4000 × 3000 shot sideways."""
    buffer, exif = BytesIO(), Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    Image.new("RGB", (4000, 3000), BLUE).save(buffer, "JPEG", exif=exif.tobytes())
    store = store_of(app)
    ref = uploads.store_upload(session, store, content=buffer.getvalue(), filename="竖拍.jpg", now=WHEN)
    checked = uploads.watermark_photo(session, store, ref, unit_name="丰收便利店", member="白建业", when=WHEN)
    again = uploads.watermark_photo(session, store, ref, unit_name="丰收便利店", member="邱海霞", when=WHEN)
    for marked in (checked, again):
        with Image.open(BytesIO(store.read(marked["print_file"]))) as image:
            assert image.size == (1500, 2000)
            assert all(abs(a - b) <= 6 for a, b in zip(image.convert("RGB").getpixel((750, 500)), BLUE, strict=True))
    assert checked["print_file"] != again["print_file"]


def test_the_font_found_draws_chinese():
    found = uploads.cjk_font()
    if found is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(found[0], 40, index=found[1])

    def drawn(text: str) -> bytes:
        image = Image.new("L", (60, 60))
        ImageDraw.Draw(image).text((5, 5), text, font=font, fill=255)
        return image.tobytes()

    # a font without the glyphs draws the same .notdef box for every character
    assert drawn("单") != drawn("位") and any(drawn("单"))


def test_check_in_distance_and_the_towns_limit(session, small_town):
    unit = small_town.units["丰收便利店"]
    assert units.check_in_distance(unit, 30.0, 120.0) is None  # no registered point yet
    unit.latitude, unit.longitude = 30.0, 120.0
    session.flush()
    assert units.check_in_distance(unit, None, 120.0) is None
    assert units.check_in_distance(unit, 30.0, 120.0) == pytest.approx(0.0, abs=1e-6)
    # 0.001° of latitude is 111.2 m anywhere; 0.001° of longitude shrinks with cos(30°)
    assert units.check_in_distance(unit, 30.001, 120.0) == pytest.approx(111.2, abs=0.2)
    assert units.check_in_distance(unit, 30.0, 120.001) == pytest.approx(96.3, abs=0.2)
    assert units.check_in_distance(unit, 30.01, 120.0) == pytest.approx(1112.0, abs=1)

    assert units.far_metres(session, unit) == units.DEFAULT_FAR_METRES == 300
    assert not units.is_far(session, unit, 299.0) and units.is_far(session, unit, 301.0)
    assert not units.is_far(session, unit, None)
    units.save_card_settings(session, small_town.town, report_phone="", show_responsible_phone=False,
                             checkin_far_metres=100)
    assert units.is_far(session, unit, 111.2)
    near, far = units.check_in(session, unit, 30.0005, 120.0, 15.0), units.check_in(session, unit, 30.001, 120.0)
    assert (near.distance, near.far, near.accuracy) == (pytest.approx(55.6, abs=0.2), False, 15.0)
    assert far.far and far.latitude == 30.001
    assert units.check_in(session, unit, None, None) == units.CheckIn()
    assert units.checkin_values({"checkin_latitude": "30.1", "checkin_longitude": "120", "checkin_accuracy": ""}
                                ) == (30.1, 120.0, None)
    with pytest.raises(InvalidInput, match="签到位置有误"):
        units.checkin_values({"checkin_latitude": "北纬30度", "checkin_longitude": "120"})
    with pytest.raises(InvalidInput, match="纬度应在-90到90之间"):
        units.check_in(session, unit, 91.0, 120.0)
    with pytest.raises(InvalidInput, match="签到距离提醒应在50到50000米之间"):
        units.save_card_settings(session, small_town.town, report_phone="", show_responsible_phone=False,
                                 checkin_far_metres=10)


def test_unit_ledger_carries_the_registered_point(session, small_town):
    unit = small_town.units["丰收便利店"]
    unit.latitude, unit.longitude = 30.2741, 120.1551
    session.flush()
    sheet = load_workbook(BytesIO(unit_ledger.export_units([unit]))).active
    row = {h.value: c.value for h, c in zip(sheet[1], sheet[2], strict=True)}
    assert (row["纬度"], row["经度"]) == (30.2741, 120.1551)

    def ledger(latitude, longitude) -> BytesIO:
        book = Workbook()
        book.active.append(unit_ledger.HEADERS)
        book.active.append(["坐标测试店", "小商店", "松林村/松林一组", "", "", "", "", "", None, None,
                            latitude, longitude])
        buffer = BytesIO()
        book.save(buffer)
        buffer.seek(0)
        return buffer

    with pytest.raises(InvalidInput) as refused:
        unit_ledger.import_units(session, small_town.town, ledger(91, 120), now=WHEN)
    assert refused.value.problems == ["第2行：纬度应在-90到90之间"]
    with pytest.raises(InvalidInput) as refused:
        unit_ledger.import_units(session, small_town.town, ledger(30.1, None), now=WHEN)
    assert refused.value.problems == ["第2行：纬度和经度须同时填写或同时留空"]
    unit_ledger.import_units(session, small_town.town, ledger(-33.86, 151.21), now=WHEN)  # south and east
    created = units.find_duplicate(session, units.UnitFields("坐标测试店", "small_shop", unit.grid))
    assert (created.latitude, created.longitude) == (-33.86, 151.21)


def test_certificates_name_the_host_and_chain_to_the_local_ca(tmp_path):
    files = tls.write_certificates(tmp_path / "tls", ["192.168.1.10", "firegrid.local"], now=datetime.now(UTC))
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("192.168.1.10")]
    assert names.get_values_for_type(x509.DNSName) == ["firegrid.local"]
    assert cert.issuer == ca.subject and ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(ca)
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= tls.SERVER_DAYS + 1
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    if shutil.which("openssl"):
        result = subprocess.run(["openssl", "verify", "-CAfile", str(files.ca_cert), "-verify_ip", "192.168.1.10",
                                 str(files.cert)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        wrong = subprocess.run(["openssl", "verify", "-CAfile", str(files.ca_cert), "-verify_ip", "192.168.1.11",
                                str(files.cert)], capture_output=True, text=True)
        assert wrong.returncode != 0


def test_tls_cert_command_prints_the_proxy_configuration(tmp_path):
    result = CliRunner().invoke(main, ["tls-cert", "--host", "10.1.2.3", "--out", str(tmp_path / "certs")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "certs" / "server.crt").exists() and (tmp_path / "certs" / "ca.crt").exists()
    assert "reverse_proxy 127.0.0.1:5000" in result.output
    assert "proxy_set_header X-Forwarded-Proto https" in result.output
    assert f"tls {tmp_path / 'certs' / 'server.crt'} {tmp_path / 'certs' / 'server.key'}" in result.output
    assert "FIREGRID_PROXY_COUNT=1" in result.output and "https://10.1.2.3" in result.output


def test_print_copy_of_a_large_photo_is_at_most_print_size(app, session):
    buffer = BytesIO()
    Image.new("RGB", (4000, 3000), BLUE).save(buffer, "JPEG")
    store = store_of(app)
    ref = uploads.store_upload(session, store, content=buffer.getvalue(), filename="大图.jpg", now=WHEN)
    marked = uploads.watermark_photo(session, store, ref, unit_name="丰收便利店", member="白建业", when=WHEN)
    with Image.open(BytesIO(store.read(marked["print_file"]))) as image:
        assert max(image.size) <= uploads.PRINT_MAX_EDGE and image.size[0] * 3 == image.size[1] * 4
