"""一户一码: unit codes, the page a unit's QR code opens, the public card and the A4 label sheets."""

from __future__ import annotations

import io
import re
from datetime import datetime
from io import BytesIO

import docx
import pdfplumber
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from tests import factories
from webapp.clock import TZ
from webapp.models import AuditEvent, GridPost, Unit
from webapp.models.grid import UNIT_CODE_ALPHABET, UNIT_CODE_LENGTH
from webapp.services import jobs, unit_ledger, units

PUBLIC = "https://firegrid.example.gov.cn"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
RESPONSIBLE_PHONE = "13912345678"


@pytest.fixture()
def town(app, small_town, session):
    """The small town with a public URL, a grid worker on the first small grid and a responsible person's phone."""
    app.config["PUBLIC_URL"] = PUBLIC
    shop = small_town.units["丰收便利店"]
    shop.responsible_person, shop.responsible_phone = "丁国华", RESPONSIBLE_PHONE
    session.add(GridPost(node=shop.grid, post="grid_worker", person_name="毛晓燕", phone="13700001111"))
    session.add(GridPost(node=small_town.village, post="grid_head", person_name="贺建军", phone="13600002222"))
    session.commit()
    yield small_town
    app.config["PUBLIC_URL"] = ""


def _codes(session) -> dict[str, str]:
    return {unit.name: unit.code for unit in session.scalars(select(Unit))}


def test_every_unit_gets_a_unique_code_that_a_reimport_keeps(session, small_town):
    codes = _codes(session)
    assert len(set(codes.values())) == len(codes) == 4
    assert all(len(c) == UNIT_CODE_LENGTH and set(c) <= set(UNIT_CODE_ALPHABET) for c in codes.values())
    exported = unit_ledger.export_units(list(session.scalars(select(Unit))))
    book = BytesIO(exported)
    result = unit_ledger.import_units(session, small_town.town, book, now=NOW)
    session.commit()
    assert result.created == 0 and _codes(session) == codes
    factories.unit(session, small_town.village.children[0], "新开小吃店", "small_restaurant")
    session.commit()
    after = _codes(session)
    assert after["新开小吃店"] not in codes.values() and len(set(after.values())) == 5


def _card_text(visitor, code: str) -> str:
    response = visitor.get(f"/u/{code}")
    assert response.status_code == 200
    main = re.search(r"<main[^>]*>(.*)</main>", response.get_data(as_text=True), re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def test_the_public_card_shows_only_the_allowed_fields(app, session, town):
    shop = town.units["丰收便利店"]
    anonymous = app.test_client()
    text = _card_text(anonymous, shop.code.lower())  # a code typed in lower case still opens
    assert "丰收便利店" in text and "丁国华" in text
    assert "毛晓燕" in text and "13700001111" in text  # the grid worker of its own small grid
    assert RESPONSIBLE_PHONE not in text and shop.address not in text
    assert "举报" not in text  # no report phone set: the line is hidden
    assert "登录" not in text and "密码" not in text
    assert text == ("丰收便利店 消防安全责任人 丁国华 监管网格员 毛晓燕 13700001111 发现火灾请立即拨打 119。")

    units.save_card_settings(session, town.town, report_phone="0712-5860119", show_responsible_phone=True)
    session.commit()
    text = _card_text(anonymous, shop.code)
    assert RESPONSIBLE_PHONE in text and "火灾隐患举报电话 0712-5860119" in text
    # a unit of a small grid without its own worker: the village's 网格长 supervises it
    assert "贺建军 13600002222" in _card_text(anonymous, town.units["松香面馆"].code)


def test_an_unknown_code_is_not_found(app, town):
    assert app.test_client().get("/u/ZZZZZZZZ").status_code == 404


def test_a_logged_in_user_in_scope_is_sent_to_the_unit_page(sign_in, town):
    shop = town.units["丰收便利店"]
    clerk = sign_in("village_clerk")
    response = clerk.get(f"/u/{shop.code}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/units/{shop.id}")
    page = clerk.get(f"/units/{shop.id}").get_data(as_text=True)
    assert shop.code in page and f"{PUBLIC}/u/{shop.code}" in page and "<svg" in page and "打印标签" in page
    assert "FIREGRID_PUBLIC_URL" not in page  # set: no warning


def test_a_logged_in_user_out_of_scope_is_refused_and_logged(sign_in, session, town):
    other = town.units["快乐网咖"]  # in the second village
    assert sign_in("village_clerk").get(f"/u/{other.code}").status_code == 403
    denial = session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied"))
    assert denial is not None and other.code in denial.summary


def test_without_a_public_url_the_unit_page_says_to_set_it_before_printing(app, sign_in, small_town):
    shop = small_town.units["丰收便利店"]
    page = sign_in("clerk").get(f"/units/{shop.id}").get_data(as_text=True)
    assert "FIREGRID_PUBLIC_URL" in page and f"http://localhost/u/{shop.code}" in page


def _decoded_urls(document: docx.document.Document) -> list[str]:
    urls = []
    for shape in document.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        png = document.part.related_parts[blip.embed].blob
        urls += [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    return urls


def test_the_label_sheet_carries_every_unit_of_the_grid_and_its_qr_code_decodes(sign_in, session, town):
    response = sign_in("inspector").get(f"/units/labels?grid={town.village.id}")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    document = docx.Document(BytesIO(response.data))
    text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    village_units = [u for u in town.units.values() if town.village.contains(u.grid)]
    assert len(village_units) == 2
    for unit in village_units:
        assert unit.name in text and unit.code in text
    assert "快乐网咖" not in text  # the other village's unit
    assert sorted(_decoded_urls(document)) == sorted(f"{PUBLIC}/u/{u.code}" for u in village_units)


def test_label_sheets_need_a_role_and_the_scope(sign_in, town):
    assert sign_in("leader").get(f"/units/labels?grid={town.village.id}").status_code == 403
    assert sign_in("village_inspector").get(f"/units/labels?grid={town.other_village.id}").status_code == 403


def test_thirty_labels_take_two_a4_pages(sign_in, session, town):
    area = town.village.children[0]
    for i in range(28):
        factories.unit(session, area, f"标签测试商店{i:02d}")
    session.commit()
    document = docx.Document(BytesIO(sign_in("clerk").get(f"/units/labels?grid={town.village.id}").data))
    assert [len(t.rows) for t in document.tables] == [8, 2]
    assert all(round(s.page_height.mm) == 297 and round(s.page_width.mm) == 210 for s in document.sections)


def test_the_admin_sets_the_report_phone_and_a_bad_one_is_named_beside_the_field(sign_in, session, town):
    admin = sign_in("admin")
    bad = admin.post(f"/admin/settings/unit-card?town={town.town.id}", data={"report_phone": "abc"})
    assert bad.status_code == 400 and "格式不正确" in bad.get_data(as_text=True)
    done = admin.post(f"/admin/settings/unit-card?town={town.town.id}", data={"report_phone": "12345"})
    assert done.status_code == 302
    assert units.card_settings(session, town.town).report_phone == "12345"
    assert units.card_settings(session, town.town).show_responsible_phone is False


@pytest.mark.slow
def test_the_label_pdf_renders_through_libreoffice(app, sign_in, town):
    from webapp.web.responses import runtime

    with app.app_context():
        if not runtime().documents.pdf.available():
            pytest.skip("LibreOffice is not installed")
    response = sign_in("clerk").get(f"/units/labels.pdf?grid={town.village.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with pdfplumber.open(BytesIO(response.data)) as pdf:
        page = pdf.pages[0]
        text = page.extract_text()
        decoded = {found.text for found in zxingcpp.read_barcodes(page.to_image(resolution=200).original)}
    village_units = [u for u in town.units.values() if town.village.contains(u.grid)]
    assert all(u.name in text and u.code in text for u in village_units)
    assert decoded == {f"{PUBLIC}/u/{u.code}" for u in village_units}


def test_the_demo_gives_every_unit_a_code(session, demo):
    codes = list(session.scalars(select(Unit.code)))
    assert len(codes) > 50 and all(codes) and len(set(codes)) == len(codes)


def test_a_large_label_sheet_is_made_by_a_background_job_with_progress(app, sign_in, session, town, monkeypatch):
    monkeypatch.setitem(app.config, "UNIT_LABELS_SYNC_LIMIT", 3)
    monkeypatch.setattr(units, "LABEL_CHUNK", 2)
    clerk = sign_in("clerk")
    queued = clerk.get(f"/units/labels?grid={town.town.id}")
    assert queued.status_code == 302
    job_page = queued.headers["Location"]
    page = clerk.get(job_page).get_data(as_text=True)
    assert "排队中" in page and "0/4" in page and 'http-equiv="refresh"' in page
    assert sign_in("inspector").get(job_page).status_code == 404  # another user's job
    runtime = app.extensions["firegrid.runtime"]
    assert jobs.run_pending(session, runtime, worker="test", now=NOW)
    assert "2/4" in clerk.get(job_page).get_data(as_text=True)
    jobs.run_due_jobs(session, runtime, worker="test", clock=lambda: NOW)
    page = clerk.get(job_page).get_data(as_text=True)
    assert "已完成" in page and 'http-equiv="refresh"' not in page
    document = docx.Document(BytesIO(clerk.get(f"{job_page}/sheet.docx").data))
    assert sorted(_decoded_urls(document)) == sorted(f"{PUBLIC}/u/{u.code}" for u in town.units.values())
