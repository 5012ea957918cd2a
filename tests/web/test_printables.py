"""Printables (issue 19 item 7): the 九小场所 消防安全警示牌 per unit and per grid, and the 网格图 of a grid node."""

from __future__ import annotations

import io
from datetime import datetime
from io import BytesIO

import docx
import pdfplumber
import pytest
import zxingcpp
from docx.oxml.ns import qn
from PIL import Image
from sqlalchemy import select

from tests import factories
from tests.docx_checks import check_pdf_text, docx_all_text
from webapp.clock import TZ
from webapp.documents import warning_signs
from webapp.models import AuditEvent, GridPost
from webapp.services import jobs, units

PUBLIC = "https://firegrid.example.gov.cn"
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=TZ)
SHOP_PHONE, WORKER_PHONE, HEAD_PHONE, REPORT_PHONE = "13912345678", "13700001111", "13600002222", "0712-5860119"


@pytest.fixture()
def town(app, small_town, session):
    """The small town with a public URL, a responsible person, a grid worker, a village head, a report phone
    (responsible persons' phones shown), and a committee."""
    app.config["PUBLIC_URL"] = PUBLIC
    shop = small_town.units["丰收便利店"]
    shop.responsible_person, shop.responsible_phone = "丁国华", SHOP_PHONE
    session.add(GridPost(node=shop.grid, post="grid_worker", person_name="毛晓燕", phone=WORKER_PHONE))
    session.add(GridPost(node=small_town.village, post="grid_head", person_name="贺建军", phone=HEAD_PHONE))
    session.add(GridPost(node=small_town.town, post="grid_head", person_name="詹立群", phone="13500003333"))
    session.add(GridPost(node=small_town.other_village.children[1], post="building_head", person_name="钟桂兰",
                         phone="13400004444"))
    factories.committee_member(session, small_town.town, "镇人民政府", role="head", contact_person="詹立群",
                               phone="13500003333")
    factories.committee_member(session, small_town.town, "镇派出所", contact_person="吕振东", phone="0712-5860110")
    units.save_card_settings(session, small_town.town, report_phone=REPORT_PHONE, show_responsible_phone=True)
    session.commit()
    yield small_town
    app.config["PUBLIC_URL"] = ""


def _decoded(document) -> list[str]:  # noqa: ANN001
    urls = []
    for shape in document.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        png = document.part.related_parts[blip.embed].blob
        urls += [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    return urls


def _sign_docx(visitor, query: str):  # noqa: ANN001, ANN202
    response = visitor.get(f"/units/signs?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("wordprocessingml.document")
    return response.data, docx.Document(BytesIO(response.data))


def _signs_on_pages(content: bytes) -> list[str]:
    """The text of each sign (a page break starts every sign after the first)."""
    document = docx.Document(BytesIO(content))
    pages, current = [], []
    for paragraph in document.element.body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
        breaks = paragraph.find(f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}") is not None
        if breaks and current:
            pages.append("\n".join(current))
            current = []
        current.append(text)
    return [*pages, "\n".join(current)]


def test_a_units_sign_carries_every_field_and_its_qr_code(sign_in, town):
    shop = town.units["丰收便利店"]
    content, document = _sign_docx(sign_in("clerk"), f"unit={shop.id}")
    text = docx_all_text(content)
    default = warning_signs.DEFAULT_TEXTS["small_shop"]
    for expected in ("消防安全警示牌", "场所名称", shop.name, "场所火灾危险性", default.hazard, "消防安全事项",
                     *default.precautions, "消防安全责任人", f"丁国华　{SHOP_PHONE}", "乡镇监管人员",
                     f"毛晓燕　{WORKER_PHONE}", "举报电话", REPORT_PHONE, shop.code):
        assert expected in text, expected
    assert _decoded(document) == [f"{PUBLIC}/u/{shop.code}"]
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    title = next(p for p in document.paragraphs if p.text == "消防安全警示牌")
    assert title.runs[0].font.size.pt >= 36 and str(title.runs[0].font.color.rgb) == "E60012"


def test_the_responsible_persons_phone_follows_the_unit_card_setting(sign_in, session, town):
    units.save_card_settings(session, town.town, report_phone="", show_responsible_phone=False)
    session.commit()
    shop = town.units["丰收便利店"]
    text = docx_all_text(_sign_docx(sign_in("clerk"), f"unit={shop.id}")[0])
    assert "丁国华" in text and SHOP_PHONE not in text
    assert "发现火灾，立即拨打 119" in text and REPORT_PHONE not in text
    # a unit of a small grid without its own worker: the village's 网格长 supervises it
    noodle = town.units["松香面馆"]
    text = docx_all_text(_sign_docx(sign_in("clerk"), f"unit={noodle.id}")[0])
    assert f"贺建军　{HEAD_PHONE}" in text and warning_signs.DEFAULT_TEXTS["small_restaurant"].hazard in text


def test_a_grids_signs_are_one_page_per_nine_small_place_of_that_grid(sign_in, session, town):
    factories.unit(session, town.village.children[0], "松林小区", "old_residential")  # not a 九小场所
    session.commit()
    content, document = _sign_docx(sign_in("inspector"), f"grid={town.village.id}")
    pages = _signs_on_pages(content)
    assert len(pages) == 2
    assert "丰收便利店" in pages[0] and "松香面馆" in pages[1] and "丰收便利店" not in pages[1]
    text = docx_all_text(content)
    assert "松林小区" not in text and "快乐网咖" not in text  # not a 九小场所; the other village's
    village_units = [town.units["丰收便利店"], town.units["松香面馆"]]
    assert sorted(_decoded(document)) == sorted(f"{PUBLIC}/u/{u.code}" for u in village_units)


def test_signs_are_scope_checked_and_need_a_role(sign_in, session, town):
    other = town.units["快乐网咖"]
    village_inspector = sign_in("village_inspector")
    assert village_inspector.get(f"/units/signs?unit={other.id}").status_code == 403
    assert village_inspector.get(f"/units/signs.pdf?grid={town.other_village.id}").status_code == 403
    denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len(denials) == 2
    assert sign_in("leader").get(f"/units/signs?unit={other.id}").status_code == 403


def test_the_admin_words_a_categorys_sign_and_can_go_back_to_the_default(sign_in, session, town):
    admin = sign_in("admin")
    page = admin.get(f"/admin/settings/warning-signs?town={town.town.id}&category=small_shop")
    assert page.status_code == 200 and warning_signs.DEFAULT_TEXTS["small_shop"].hazard in page.get_data(as_text=True)
    url = f"/admin/settings/warning-signs?town={town.town.id}&category=small_shop"
    bad = admin.post(url, data={"hazard": "很" * 81, "precautions": "\n".join(f"第{i}条" for i in range(7))})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "不超过80字" in html and "1至5条" in html and "第6条" in html  # input kept
    done = admin.post(url, data={"hazard": "可燃商品多。", "precautions": "严禁店内充电\n\n  下班断电  "})
    assert done.status_code == 302
    shop = town.units["丰收便利店"]
    text = docx_all_text(_sign_docx(admin, f"unit={shop.id}")[0])
    assert "可燃商品多。" in text and "1. 严禁店内充电" in text and "2. 下班断电" in text
    assert warning_signs.DEFAULT_TEXTS["small_shop"].hazard not in text
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "warning_sign_text_save")) is not None
    reset = admin.post(f"/admin/settings/warning-signs/reset?town={town.town.id}&category=small_shop")
    assert reset.status_code == 302
    assert warning_signs.DEFAULT_TEXTS["small_shop"].hazard in docx_all_text(_sign_docx(admin, f"unit={shop.id}")[0])


def test_another_towns_sign_wording_is_refused(sign_in, session, town):
    town_b = factories.town(session, "竹溪镇", region=town.town.parent)
    session.commit()
    assert sign_in("admin").get(f"/admin/settings/warning-signs?town={town_b.id}").status_code == 403


def test_many_signs_are_made_by_a_background_job_with_progress(app, sign_in, session, town, monkeypatch):
    monkeypatch.setitem(app.config, "WARNING_SIGNS_SYNC_LIMIT", 3)
    monkeypatch.setattr(units, "LABEL_CHUNK", 2)
    clerk = sign_in("clerk")
    queued = clerk.get(f"/units/signs?grid={town.town.id}")
    assert queued.status_code == 302
    job_page = queued.headers["Location"]
    page = clerk.get(job_page).get_data(as_text=True)
    assert "排队中" in page and "0/4" in page and 'http-equiv="refresh"' in page
    assert sign_in("inspector").get(job_page).status_code == 404  # another user's job
    assert clerk.get(job_page.replace("/signs/", "/labels/")).status_code == 404  # not a label job
    runtime = app.extensions["firegrid.runtime"]
    assert jobs.run_pending(session, runtime, worker="test", now=NOW)
    assert "2/4" in clerk.get(job_page).get_data(as_text=True)
    jobs.run_due_jobs(session, runtime, worker="test", clock=lambda: NOW)
    page = clerk.get(job_page).get_data(as_text=True)
    assert "已完成" in page and "下载警示牌（DOCX）" in page
    content = clerk.get(f"{job_page}/signs.docx").data
    assert len(_signs_on_pages(content)) == 4
    assert f"毛晓燕　{WORKER_PHONE}" in _signs_on_pages(content)[0]
    document = docx.Document(BytesIO(content))
    assert sorted(_decoded(document)) == sorted(f"{PUBLIC}/u/{u.code}" for u in town.units.values())


def _chart(visitor, node_id: int) -> tuple[bytes, docx.document.Document]:  # noqa: ANN001
    response = visitor.get(f"/grid/{node_id}/chart.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    return response.data, docx.Document(BytesIO(response.data))


def test_the_town_grid_chart_shows_every_grid_with_its_people_and_the_committee(sign_in, town):
    tree = sign_in("admin").get("/grid/").get_data(as_text=True)
    assert f"/grid/{town.town.id}/chart.docx" in tree and f"/grid/{town.village.id}/chart.pdf" in tree
    content, document = _chart(sign_in("leader"), town.town.id)
    text = docx_all_text(content)
    for expected in (f"{town.town.name}消防安全网格化管理工作运行网格图", "消防安全委员会", "组长", "镇人民政府",
                     "镇派出所", "吕振东", "0712-5860110", "网格长：詹立群　13500003333", "松林村", "柳岸社区",
                     "松林一组", "松林二组", "柳岸一号院", "柳岸老街", f"网格长：贺建军　{HEAD_PHONE}",
                     f"毛晓燕　{WORKER_PHONE}", "钟桂兰　13400004444"):
        assert expected in text, expected
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    grid_table = document.tables[-1]
    rows = [[cell.text for cell in row.cells] for row in grid_table.rows]
    # the village's cells span its two small grids (merged), each small grid its own row with its people
    assert rows[1][0] == rows[2][0] == "松林村" and rows[1][2] == "松林一组" and rows[2][2] == "松林二组"
    assert rows[1][4] == f"毛晓燕　{WORKER_PHONE}" and rows[4][5] == "钟桂兰　13400004444"


def test_a_village_chart_shows_only_that_village(sign_in, town):
    text = docx_all_text(_chart(sign_in("village_clerk"), town.village.id)[0])
    assert "松林一组" in text and f"贺建军　{HEAD_PHONE}" in text
    assert "柳岸" not in text and "消防安全委员会" not in text and "詹立群" not in text


def test_grid_charts_of_nodes_out_of_scope_are_refused_and_logged(sign_in, session, town):
    clerk = sign_in("village_clerk")
    assert clerk.get(f"/grid/{town.other_village.id}/chart.docx").status_code == 403
    assert clerk.get(f"/grid/{town.town.id}/chart.pdf").status_code == 403
    town_b = factories.town(session, "竹溪镇", region=town.town.parent)
    session.commit()
    assert sign_in("admin").get(f"/grid/{town_b.id}/chart.docx").status_code == 403
    denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len(denials) == 3


def _pdf_or_skip(app, visitor, url: str) -> bytes:  # noqa: ANN001
    from webapp.web.responses import runtime

    with app.app_context():
        if not runtime().documents.pdf.available():
            response = visitor.get(url)
            assert response.status_code == 503 and "PDF" in response.get_data(as_text=True)
            pytest.skip("LibreOffice is not installed")
    response = visitor.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return response.data


@pytest.mark.slow
def test_the_signs_pdf_has_one_a4_page_per_sign_with_every_field_and_a_readable_qr_code(app, sign_in, session, town,
                                                                                       tmp_path):
    # the longest wording the settings allow still fits one page
    units.save_sign_text(session, town.town, "small_restaurant", hazard="很" * warning_signs.MAX_HAZARD_CHARS,
                         precautions="\n".join(["长" * warning_signs.MAX_PRECAUTION_CHARS]
                                               * warning_signs.MAX_PRECAUTIONS))
    session.commit()
    clerk = sign_in("clerk")
    pdf = _pdf_or_skip(app, clerk, f"/units/signs.pdf?grid={town.village.id}")
    check_pdf_text(clerk.get(f"/units/signs?grid={town.village.id}").data, pdf, tmp_path, "signs")
    shop, noodle = town.units["丰收便利店"], town.units["松香面馆"]
    with pdfplumber.open(BytesIO(pdf)) as document:
        assert len(document.pages) == 2
        page = document.pages[0]
        assert (round(page.width), round(page.height)) == (595, 842)  # A4 portrait, in points
        text = page.extract_text().replace("\n", "")
        # the values without the label column (a wrapped value and its label interleave in the full text)
        values = page.crop((200, 0, page.width, page.height)).extract_text().replace("\n", "")
        title = [c for c in page.chars if c["text"] in "消防安全警示牌" and c["size"] > 40]
        assert len(title) == 7 and all(c["non_stroking_color"] not in ((0,), (0, 0, 0), [0]) for c in title)
        decoded = {found.text for found in zxingcpp.read_barcodes(page.to_image(resolution=200).original)}
        second = document.pages[1].extract_text()
    default = warning_signs.DEFAULT_TEXTS["small_shop"]
    for expected in ("场所名称", shop.name, "场所火灾危险性", default.hazard, "消防安全事项", default.precautions[0],
                     "消防安全责任人", "丁国华", SHOP_PHONE, "乡镇监管人员", "毛晓燕", WORKER_PHONE, "举报电话",
                     REPORT_PHONE, shop.code):
        assert expected in text or expected in values, expected
    assert decoded == {f"{PUBLIC}/u/{shop.code}"}
    assert noodle.name in second and noodle.code in second


@pytest.mark.slow
def test_the_grid_chart_pdf_is_text_on_landscape_pages(app, sign_in, town, tmp_path):
    leader = sign_in("leader")
    pdf = _pdf_or_skip(app, leader, f"/grid/{town.town.id}/chart.pdf")
    check_pdf_text(_chart(leader, town.town.id)[0], pdf, tmp_path, "chart")
    with pdfplumber.open(BytesIO(pdf)) as document:
        page = document.pages[0]
        assert page.width > page.height
        text = "".join(p.extract_text() for p in document.pages).replace("\n", "")
    for expected in ("工作运行网格图", "镇派出所", "松林村", "松林一组", "柳岸老街", "贺建军", HEAD_PHONE, "钟桂兰"):
        assert expected in text, expected
