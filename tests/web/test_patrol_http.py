"""巡查 through HTTP: from the unit page or its QR address, one tap for 未发现问题, a hazard with a photo that
the next inspection's start form and the hazard ledger show; Chinese errors beside the fields, input kept;
foreign units refused and logged."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from webapp.cases import photos
from webapp.clock import TZ
from webapp.demo.scans import photo_png
from webapp.models import AuditEvent, HazardLead
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.patrol.models import Patrol
from webapp.services import jobs

MOMENT = datetime(2026, 11, 20, 15, 0, tzinfo=TZ)


def _at(app, moment: datetime = MOMENT) -> None:  # noqa: ANN001
    app.extensions["firegrid.clock"].set(moment)


def _hazard_post(unit_id: int, **fields) -> dict:  # noqa: ANN003
    data = {"unit_id": unit_id, "outcome": "hazard", "checkin_latitude": "30.5",
            "checkin_longitude": "114.3", "checkin_accuracy": "20",
            "hazards-0-category": "疏散通道堵塞", "hazards-0-description": "后门通道堆放纸箱",
            "hazards-0-fixed_on_spot": "no", "hazards-0-photos": (io.BytesIO(photo_png(3)), "后门.png")}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_one_tap_no_problem_from_the_qr_address(app, session, small_town, sign_in):
    _at(app)
    unit = small_town.units["丰收便利店"]
    visitor = sign_in("inspector")
    scanned = visitor.get(f"/u/{unit.code}")
    assert scanned.status_code == 302 and scanned.location.endswith(f"/units/{unit.id}")
    page = visitor.get(f"/units/{unit.id}").get_data(as_text=True)
    assert f'href="/patrol/new?unit_id={unit.id}">开始巡查</a>' in page
    form = visitor.get(f"/patrol/new?unit_id={unit.id}").get_data(as_text=True)
    assert "未发现问题" in form and "提交隐患" in form and "patrol.js" in form and 'data-checkin="latitude"' in form
    response = visitor.post(f"/patrol/new?unit_id={unit.id}", {"unit_id": unit.id, "outcome": "none",
                                                                "checkin_latitude": "abc"})
    assert response.status_code == 302 and response.location.endswith(f"/units/{unit.id}")
    patrol = session.scalar(select(Patrol))
    assert patrol.no_problem and patrol.checkin_latitude is None  # a hidden value that is no coordinate
    assert patrol.patroller_name == small_town.users["inspector"].display_name
    page = visitor.get(f"/units/{unit.id}").get_data(as_text=True)
    assert "巡查已记录：丰收便利店，未发现问题。" in page and "未发现问题" in page.split('id="patrol-history"')[1]


def test_a_hazard_with_a_photo_reaches_the_inspection_and_the_ledger(app, session, small_town, sign_in):
    _at(app)
    unit = small_town.units["丰收便利店"]
    walker = sign_in("inspector")
    response = walker.post("/patrol/new", _hazard_post(unit.id), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    patrol = session.scalar(select(Patrol))
    assert (patrol.checkin_latitude, patrol.checkin_longitude, patrol.checkin_accuracy) == (30.5, 114.3, 20.0)
    [hazard] = patrol.hazards
    assert hazard.category == "疏散通道堵塞" and hazard.photos[0]["type"] == "image/png"
    page = walker.get(f"/units/{unit.id}").get_data(as_text=True)
    assert "1项隐患已作为线索转检查核实" in page and "后门通道堆放纸箱" in page and "待检查核实" in page
    # the watermarked copy for printing is made by the background job; till then the case page says so
    assert "print_file" not in hazard.photos[0] and hazard.photos[0]["photo"]
    assert "水印件生成中" in walker.get(f"/cases/{patrol.instance_id}").get_data(as_text=True)
    jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="test", clock=lambda: MOMENT)
    [photo] = photos.resolve(session, hazard.photos)
    assert photo["state"] == "" and photo["print_file"] != photo["file"]
    # the patrol's case page shows the photo, which downloads
    case_page = walker.get(f"/cases/{patrol.instance_id}").get_data(as_text=True)
    photo_url = f"/cases/{patrol.instance_id}/files/{hazard.photos[0]['file']}"
    assert photo_url in case_page and walker.get(photo_url).data == photo_png(3)
    # the hazard ledger lists the lead, waiting for an inspection
    ledger = load_workbook(io.BytesIO(sign_in("clerk").get("/inspection/ledger.xlsx?year=2026").data)).active
    rows = [r for r in ledger.iter_rows(values_only=True) if r and r[2] == "丰收便利店"]
    assert [(r[6], r[7], r[15]) for r in rows] == [("巡查线索：疏散通道堵塞", "后门通道堆放纸箱", "待检查核实")]
    # the next inspection's start form brings the lead as a hazard to confirm
    _at(app, datetime(2026, 11, 25, 9, tzinfo=TZ))
    start = walker.get(f"/procedures/inspection/start?unit_id={unit.id}").get_data(as_text=True)
    [(index, lead_id)] = re.findall(r'name="items-(\d+)-lead_id" type="hidden" value="(\d+)"', start)
    lead = session.get(HazardLead, int(lead_id))
    assert lead.status == "open" and "巡查线索：疏散通道堵塞" in html.unescape(start)
    assert re.findall(rf'name="items-{index}-description"[^>]*>\s*([^<]*)<', start) == ["后门通道堆放纸箱"]
    item_ids = re.findall(r'name="items-(\d+)-item_id" type="hidden" value="(\d+)"', start)
    inspectors = [small_town.users["inspector"].id, small_town.users["inspector2"].id]
    data = {"unit_id": unit.id, "inspected_on": "2026-11-25", "inspected_time": "09:30", "inspector_ids": inspectors,
            f"items-{index}-item_id": "", f"items-{index}-lead_id": lead_id, f"items-{index}-result": "hazard",
            f"items-{index}-description": "后门通道堆放纸箱", f"items-{index}-location": "后门"}
    for i, item_id in item_ids:
        data[f"items-{i}-item_id"], data[f"items-{i}-result"] = item_id, "passed"
    started = walker.post("/procedures/inspection/start", data, content_type="multipart/form-data")
    assert started.status_code == 302, started.get_data(as_text=True)[:3000]
    session.expire_all()
    inspection = session.scalar(select(Inspection))
    assert session.get(HazardLead, int(lead_id)).status == "confirmed"
    assert [(h.description, h.photos) for h in inspection.hazards] == [("后门通道堆放纸箱", hazard.photos)]
    # the inspection's case page offers the patrol's photo as its hazard's
    assert walker.get(f"/cases/{inspection.instance_id}/files/{hazard.photos[0]['file']}").data == photo_png(3)
    ledger = load_workbook(io.BytesIO(sign_in("clerk").get("/inspection/ledger.xlsx?year=2026").data)).active
    rows = [r for r in ledger.iter_rows(values_only=True) if r and r[2] == "丰收便利店"]
    assert [r[15] for r in rows] == ["整改中"]
    # and the next start form has no lead left
    again = walker.get(f"/procedures/inspection/start?unit_id={unit.id}").get_data(as_text=True)
    assert "lead_id\" type=\"hidden\" value=\"" + lead_id not in again


def test_errors_are_in_chinese_beside_the_fields_and_the_input_is_kept(app, session, small_town, sign_in):
    _at(app)
    unit = small_town.units["丰收便利店"]
    visitor = sign_in("inspector")
    response = visitor.post("/patrol/new", _hazard_post(unit.id, **{"hazards-0-category": "",
                                                                    "hazards-0-photos": None}),
                            content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请选择隐患类别。" in page and 'value="后门通道堆放纸箱"' in page  # beside the field, the sentence kept
    assert re.search(r'<details class="patrol-hazards" open>', page)
    response = visitor.post("/patrol/new", {"unit_id": unit.id, "outcome": "hazard"})
    assert response.status_code == 400 and "请至少填写一项隐患" in response.get_data(as_text=True)
    response = visitor.post("/patrol/new", {"unit_id": unit.id, "outcome": "none",
                                            "hazards-1-description": "二楼窗户加装铁栅栏"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "已填写了隐患" in page and 'value="二楼窗户加装铁栅栏"' in page
    response = visitor.post("/patrol/new", {"unit_id": 0, "outcome": "none"})
    assert response.status_code == 400 and "请选择巡查单位" in response.get_data(as_text=True)
    assert session.scalars(select(Patrol)).all() == []


def test_a_foreign_unit_is_refused_and_logged(app, session, small_town, sign_in):
    _at(app)
    foreign = small_town.units["快乐网咖"]  # the other village
    visitor = sign_in("village_inspector")
    assert visitor.get(f"/patrol/new?unit_id={foreign.id}").status_code == 403
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    response = visitor.post("/patrol/new", {"unit_id": foreign.id, "outcome": "none"})
    assert response.status_code == 400 and "请选择巡查单位" in response.get_data(as_text=True)
    own = visitor.get("/patrol/new").get_data(as_text=True)
    assert "丰收便利店" in own and "快乐网咖" not in own
    assert sign_in("clerk").get(f"/patrol/new?unit_id={foreign.id}").status_code == 403  # not a grid worker
    assert session.scalars(select(Patrol)).all() == []


def test_the_months_patrol_list(app, session, small_town, sign_in):
    _at(app)
    walker = sign_in("inspector")
    for name in ("丰收便利店", "快乐网咖"):
        walker.post("/patrol/new", {"unit_id": small_town.units[name].id, "outcome": "none"})
    village = sign_in("village_inspector")
    village.post("/patrol/new", {"unit_id": small_town.units["松香面馆"].id, "outcome": "none"})
    mine = walker.get("/patrol/").get_data(as_text=True)
    assert "巡查记录：2026-11（我的）" in mine and "丰收便利店" in mine and "松香面馆" not in mine
    everyone = walker.get("/patrol/?all=1").get_data(as_text=True)
    assert all(name in everyone for name in ("丰收便利店", "快乐网咖", "松香面馆"))
    theirs = village.get("/patrol/?all=1").get_data(as_text=True)
    assert "松香面馆" in theirs and "快乐网咖" not in theirs
    assert "本月没有巡查记录" in walker.get("/patrol/?month=2026-10").get_data(as_text=True)
    assert walker.get("/patrol/?month=bad").status_code == 200
    leader = sign_in("leader").get("/").get_data(as_text=True)
    assert 'href="/patrol/"' in leader


def test_the_generic_start_page_records_a_patrol_too(app, session, small_town, sign_in):
    _at(app)
    unit = small_town.units["丰收便利店"]
    visitor = sign_in("inspector")
    assert "网格巡查" in visitor.get("/procedures/").get_data(as_text=True)
    response = visitor.post("/procedures/patrol/start", {"unit_id": unit.id, "outcome": "none"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    patrol = session.scalar(select(Patrol))
    assert patrol.instance.title == "巡查：丰收便利店" and patrol.instance.status == "completed"
    case_page = visitor.get(response.location).get_data(as_text=True)
    assert "巡查情况" in case_page and "未发现问题" in case_page
