"""Evidence through HTTP (issue 19 item 6): the inspection form's check-in location, the far flag on the case
and unit pages, the watermarked photo copy beside the original, and the unit's registered point on its form."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from sqlalchemy import select

from tests.web.test_inspection_flow import PNG, at, record_form
from webapp.cases import photos
from webapp.procedures.inspection.models import Inspection
from webapp.services import jobs

# 0.01° of latitude is about 1112 m: far beyond the default 300 m; 0.001° (111 m) is near.
POINT = (30.0, 120.0)


def start_with_location(inspector, session, unit, location: dict) -> tuple[int, Inspection]:
    data = {**record_form(inspector, session, unit, {0: "疏散通道堵塞"}), **location}
    response = inspector.post("/procedures/inspection/start", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    inspection = session.scalar(select(Inspection).order_by(Inspection.id.desc()))
    return inspection.instance_id, inspection


def test_start_form_offers_the_location_fields_and_its_script(app, session, sign_in, small_town):
    inspector = sign_in("inspector")
    page = inspector.get(f"/procedures/inspection/start?unit_id={small_town.units['快乐网咖'].id}")
    html = page.get_data(as_text=True)
    for kind in ("latitude", "longitude", "accuracy"):
        assert re.search(rf'<input data-checkin="{kind}" id="checkin_{kind}" name="checkin_{kind}" type="hidden"', html)
    assert '<script src="/static/checkin.js" defer></script>' in html
    script = inspector.get("/static/checkin.js").get_data(as_text=True)
    assert "navigator.geolocation.getCurrentPosition" in script and "isSecureContext" in script


def test_far_check_in_is_stored_flagged_and_shown(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    unit = small_town.units["快乐网咖"]
    unit.latitude, unit.longitude = POINT
    session.commit()
    inspector = sign_in("inspector")
    case_id, inspection = start_with_location(inspector, session, unit, {
        "checkin_latitude": "30.01", "checkin_longitude": "120.0", "checkin_accuracy": "12"})
    assert (inspection.checkin_latitude, inspection.checkin_longitude, inspection.checkin_accuracy) == (30.01, 120.0,
                                                                                                        12.0)
    assert round(inspection.checkin_distance) == 1112 and inspection.checkin_far

    case_page = inspector.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "签到位置距单位登记位置约 1112 米" in case_page and "距离过远" in case_page
    unit_page = inspector.get(f"/units/{unit.id}").get_data(as_text=True)
    assert "签到位置距单位登记位置约 1112 米" in unit_page and "距离过远" in unit_page
    assert "纬度 30.0，经度 120.0" in unit_page

    _, near = start_with_location(inspector, session, unit, {"checkin_latitude": "30.001",
                                                             "checkin_longitude": "120.0"})
    assert round(near.checkin_distance) == 111 and not near.checkin_far


def test_the_towns_limit_decides_and_bad_locations_are_dropped(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    unit = small_town.units["快乐网咖"]
    unit.latitude, unit.longitude = POINT
    session.commit()
    admin = sign_in("admin")
    settings_page = "/admin/settings/unit-card"
    refused = admin.post(settings_page, {"report_phone": "119", "checkin_far_metres": "20"})
    assert refused.status_code == 400 and "签到距离提醒应在50到50000米之间。" in refused.get_data(as_text=True)
    assert admin.post(settings_page, {"report_phone": "119", "checkin_far_metres": "100"}).status_code == 302

    inspector = sign_in("inspector")
    _, near = start_with_location(inspector, session, unit, {"checkin_latitude": "30.001", "checkin_longitude": "120"})
    assert near.checkin_far  # 111 m is beyond the town's 100 m
    # a hidden field holding no coordinate (tampered, or an old page) means no location, not an error
    for bad in ({"checkin_latitude": "nan", "checkin_longitude": "120"},
                {"checkin_latitude": "95", "checkin_longitude": "120"},
                {"checkin_latitude": "<b>", "checkin_longitude": "120"}):
        case_id, inspection = start_with_location(inspector, session, unit, bad)
        assert (inspection.checkin_latitude, inspection.checkin_distance, inspection.checkin_far) == (None, None, False)
    assert "未记录签到位置" in inspector.get(f"/cases/{case_id}").get_data(as_text=True)


def test_hazard_photo_keeps_its_bytes_and_gets_a_watermarked_copy(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector = sign_in("inspector")
    case_id, inspection = start_with_location(inspector, session, small_town.units["快乐网咖"], {})
    photo = inspection.hazards[0].photos[0]
    assert photo["file"] == hashlib.sha256(PNG).hexdigest() and "print_file" not in photo
    page = inspector.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "已记录签到位置" not in page and "水印件生成中" in page and "水印件</a>" not in page
    # the background job makes the watermarked copy
    jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="test", clock=lambda: at("2026-09-28T09:41"))
    [photo] = photos.resolve(session, inspection.hazards[0].photos)
    assert photo["print_file"] != photo["file"]

    page = inspector.get(f"/cases/{case_id}").get_data(as_text=True)
    original = re.search(r'href="(/cases/\d+/files/[0-9a-f]{64})">照片1</a>', page).group(1)
    copy = re.search(r'（<a href="(/inspection/hazards/\d+/photos/[0-9a-f]{64})">水印件</a>）', page).group(1)
    assert inspector.get(original).data == PNG
    printed = inspector.get(copy)
    assert printed.status_code == 200 and printed.mimetype == "image/jpeg" and printed.data[:3] == b"\xff\xd8\xff"
    assert hashlib.sha256(printed.data).hexdigest() == photo["print_file"]
    assert printed.headers["Content-Disposition"].endswith("UTF-8''" + quote("hazard0（水印）.jpg"))
    hazard_id = inspection.hazards[0].id
    assert inspector.get(f"/inspection/hazards/{hazard_id}/photos/{'0' * 64}").status_code == 404
    # another village's inspector may not fetch it
    assert sign_in("village_inspector").get(copy).status_code == 403


def test_unit_form_checks_the_registered_point(app, session, sign_in, small_town):
    unit = small_town.units["丰收便利店"]
    admin = sign_in("admin")
    form = {"name": unit.name, "category": unit.category, "grid_id": unit.grid_id}
    for latitude, longitude, message in [
        ("95", "120", "纬度应在-90到90之间。"), ("30", "181", "经度应在-180到180之间。"),
        ("30.5", "", "纬度和经度须同时填写或同时留空。"), ("nan", "120", "请输入有效的数字。"),
    ]:
        response = admin.post(f"/units/{unit.id}/edit", {**form, "latitude": latitude, "longitude": longitude})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and message in html, (latitude, longitude)
        assert re.search(rf'name="latitude"[^>]*value="{latitude}"', html)  # input kept
    assert admin.post(f"/units/{unit.id}/edit", {**form, "latitude": "30.2741", "longitude": "120.1551"}
                      ).status_code == 302
    session.expire_all()
    assert (unit.latitude, unit.longitude) == (30.2741, 120.1551)
    assert admin.post(f"/units/{unit.id}/edit", {**form, "latitude": "", "longitude": ""}).status_code == 302
    session.expire_all()
    assert unit.latitude is None and unit.longitude is None
