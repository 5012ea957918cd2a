"""Issue 19 item 5 pages: /coverage with drill-down, its Excel tables, scope refusals, and the 上旬 reminder on
the home page (on the 3rd, not on the 15th)."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests import factories
from tests.coverage_support import september_town
from tests.web.test_inspection_flow import at
from tests.web.test_no_english import english_words
from webapp.clock import TZ
from webapp.models import AuditEvent
from webapp.services import units


@pytest.fixture()
def september(app, session, small_town, sign_in) -> factories.SmallTown:  # noqa: ANN001
    return september_town(app, session, small_town, sign_in)


def totals(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-total="(\w+)">([^<]+)<', html))


def table_units(html: str, table: str) -> list[str]:
    body = re.search(rf'<table class="stack" id="{table}"[^>]*>(.*?)</table>', html, re.S)
    return re.findall(r'<tr data-unit="\d+"><td[^>]*><a href="/units/\d+">([^<]+)</a>', body.group(1)) if body else []


def sheet_rows(response) -> list[list]:  # noqa: ANN001
    assert response.status_code == 200 and "spreadsheetml" in response.content_type
    return [list(r) for r in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)]


def test_page_shows_the_month_and_drills_down_to_a_village(september, sign_in):
    clerk = sign_in("clerk")
    assert 'href="/coverage/"' in clerk.get("/").get_data(as_text=True)  # in the menu
    html = clerk.get("/coverage/").get_data(as_text=True)  # this month: September
    assert totals(html) == {"units": "5", "visited": "1", "rate": "20%"}
    assert table_units(html, "units")[:2] == ["松香面馆", "快乐网咖"]  # by grid, then name
    assert set(table_units(html, "units")[2:]) == {"柳岸客栈", "新开茶铺"}
    assert table_units(html, "missed-units") == ["松香面馆", "柳岸客栈"]
    assert "2026-06-15" in html and "从未走访" in html
    assert english_words(html)[0] == {}
    assert table_units(html, "visited-units") == ["丰收便利店"] and "检查 1次" in html
    village = september.other_village
    link = f'href="/coverage/?grid={village.id}&amp;month=2026-09&amp;months=3"'
    assert link in html
    drilled = clerk.get(f"/coverage/?grid={village.id}&month=2026-09&months=3").get_data(as_text=True)
    assert totals(drilled) == {"units": "3", "visited": "0", "rate": "0%"}
    assert set(table_units(drilled, "units")) == {"快乐网咖", "柳岸客栈", "新开茶铺"}
    august = clerk.get("/coverage/?month=2026-08&months=1").get_data(as_text=True)
    assert totals(august) == {"units": "4", "visited": "2", "rate": "50%"}
    assert table_units(august, "missed-units") == ["松香面馆", "柳岸客栈"]
    assert clerk.get("/coverage/?month=2026-13").status_code == 400
    assert clerk.get("/coverage/?months=0").status_code == 400


def test_each_table_exports_to_excel_with_text_kept_as_text(september, sign_in, session):
    units.save_unit(session, units.UnitFields(name="=1+2号铺", category="small_shop",
                                              grid=september.village.children[0], address="一组2号"),
                    now=datetime(2026, 2, 1, 9, 0, tzinfo=TZ))
    session.commit()
    clerk, town = sign_in("clerk"), september.town
    rows = sheet_rows(clerk.get(f"/coverage/units.xlsx?grid={town.id}&month=2026-09"))
    assert rows[1][:3] == ["序号", "网格", "单位"]
    assert sorted(r[2] for r in rows[2:]) == sorted(["=1+2号铺", "松香面馆", "快乐网咖", "柳岸客栈", "新开茶铺"])
    book = load_workbook(io.BytesIO(clerk.get(f"/coverage/units.xlsx?grid={town.id}&month=2026-09").data))
    cell = next(c for row in book.active.iter_rows() for c in row if c.value == "=1+2号铺")
    assert cell.data_type == "s" and cell.quotePrefix  # a name starting with "=" stays text
    grids = sheet_rows(clerk.get(f"/coverage/grids.xlsx?grid={town.id}&month=2026-09"))
    assert grids[2:] == [["松林村", 3, 1, 2, "33%"], ["柳岸社区", 3, 0, 3, "0%"], ["松林镇", 6, 1, 5, "17%"]]
    missed = sheet_rows(clerk.get(f"/coverage/missed.xlsx?grid={town.id}&month=2026-09&months=3"))
    assert {r[2]: r[7] for r in missed[2:]} == {"=1+2号铺": "从未走访", "松香面馆": "2026-06-15",
                                                 "柳岸客栈": "从未走访"}
    assert sheet_rows(clerk.get(f"/coverage/groups.xlsx?grid={town.id}&month=2026-09"))[2:] == []
    visited = sheet_rows(clerk.get(f"/coverage/visited.xlsx?grid={town.id}&month=2026-09"))
    assert [r[2:] for r in visited[2:]] == [["丰收便利店", "小商店", "松林一组1号", 1, "检查", "2026-09-03"]]
    assert clerk.get("/coverage/other.xlsx").status_code == 404
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "excel_export")).all()
    assert len(exports) == 6


def test_other_branches_and_towns_are_refused(september, sign_in, session):
    other_town = factories.town(session, "竹溪镇", region=september.town.parent)
    village_b = factories.village(session, other_town, "竹溪村", areas=("竹溪一组",))
    factories.unit(session, village_b.children[0], "竹溪茶馆", "small_restaurant")
    session.commit()
    village_clerk = sign_in("village_clerk")
    own = village_clerk.get("/coverage/").get_data(as_text=True)
    assert totals(own)["units"] == "2" and "柳岸" not in own and "竹溪" not in own
    for url in (f"/coverage/?grid={september.other_village.id}", f"/coverage/?grid={september.town.id}",
                f"/coverage/units.xlsx?grid={september.other_village.id}"):
        assert village_clerk.get(url).status_code == 403, url
    town_clerk = sign_in("clerk")
    assert town_clerk.get(f"/coverage/?grid={other_town.id}").status_code == 403
    assert town_clerk.get(f"/coverage/missed.xlsx?grid={village_b.id}").status_code == 403
    assert "竹溪" not in town_clerk.get(f"/coverage/?town={other_town.id}").get_data(as_text=True)
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len(denied) == 5


def test_plan_reminder_on_the_home_page_on_the_3rd_not_the_15th(app, small_town, sign_in):
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-03T08:30"))
    village_clerk = sign_in("village_clerk")
    home = village_clerk.get("/").get_data(as_text=True)
    assert "检查日提醒" in home and "9月10日前，还有6个工作日" in home
    reminded = re.search(r'<ul class="plan-reminders">(.*?)</ul>', home, re.S).group(1)
    assert "松林村" in reminded and "（2家单位）" in reminded and "柳岸" not in reminded
    assert 'href="/inspection/plans"' in home and english_words(home)[0] == {}
    town_home = sign_in("clerk").get("/").get_data(as_text=True)
    assert re.findall(r'<li data-grid="\d+"><a [^>]*>([^<]+)</a>', town_home) == ["松林村", "柳岸社区"]
    assert "检查日提醒" not in sign_in("archivist").get("/").get_data(as_text=True)
    clock.set(at("2026-09-15T08:30"))
    assert "检查日提醒" not in village_clerk.get("/").get_data(as_text=True)


def test_absurd_arguments_answer_without_a_server_error(small_town, sign_in):
    clerk = sign_in("clerk")
    for name in ("grid", "month", "months"):
        for value in ("0", "-1", str(2**63), "1e400", "nan", "a\x00b", "x" * 5000, "2026-00", "9999-12"):
            for url in ("/coverage/", "/coverage/missed.xlsx"):
                status = clerk.get(url, query_string={name: value}).status_code
                assert status in (200, 400, 404), (name, value, url, status)
