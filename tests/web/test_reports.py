"""统计报表: every figure of the dashboard equals a count taken straight from the database; the records behind
each number; the 月调度 DOCX (its numbers are the dashboard's, the shared checker passes it); the county roll-up
with its ranking; a village user held to their village; Excel exports and an admin's layout."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, datetime, time, timedelta

import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.docx_checks import check_gbt9704, check_pdf_text
from tests.services.test_evaluation_records import at
from tests.web.test_county import Actor, _inspection_data, county  # noqa: F401  (the fixture)
from webapp.cases import registry
from webapp.cases.registry import Measure
from webapp.clock import TZ
from webapp.models import GridNode, Unit
from webapp.procedures.evaluation import registers
from webapp.procedures.evaluation.models import FireIncident, PublicityEvent
from webapp.procedures.inspection.models import Hazard, Inspection
from webapp.procedures.meeting.models import Meeting, MeetingSeries
from webapp.procedures.patrol import patrols
from webapp.procedures.patrol.models import Patrol
from webapp.procedures.responsibility_letters.models import LetterCampaign, ResponsibilityLetter
from webapp.reports import figures, periods

pytestmark = pytest.mark.usefixtures("more_records")


@pytest.fixture()
def more_records(app, session, county):  # noqa: ANN001, F811
    """Besides the county's records: an inspection in the other village whose hazard was rectified, a patrol."""
    actor, users = Actor(app, session), county.users
    unit = session.scalar(select(Unit).where(Unit.name == "快乐网咖"))
    actor.start("inspection", users["inspector"], unit.grid, _inspection_data(
        session, unit, [users["inspector"], users["inspector2"]], date(2026, 9, 5)), at(date(2026, 9, 5)), unit=unit)
    session.flush()
    hazard = session.scalar(select(Hazard).join(Inspection).where(Inspection.unit_id == unit.id))
    hazard.status, hazard.rectified_on = "rectified", date(2026, 9, 20)
    shop = session.scalar(select(Unit).where(Unit.name == "松香面馆"))
    patrols.start_patrol(session, actor.runtime, user=users["inspector"], unit=shop, now=at(date(2026, 9, 8)),
                         data={"outcome": "none", "hazards": [], "checkin_latitude": "", "checkin_longitude": "",
                               "checkin_accuracy": ""})
    registers.add_publicity(session, user=users["clerk"], grid_id=county.town_a.children[1].id,
                            held_on=date(2026, 9, 9), kind="publicity", five_into="进社区", title="消防宣传进社区",
                            attendance=40, now=at(date(2026, 9, 9)))
    registers.add_fire(session, user=users["clerk_b"], grid_id=county.town_b.id, occurred_on=date(2026, 7, 3),
                       place="柏树村柴草堆", now=at(date(2026, 7, 3)))
    session.commit()


# -- the counts, straight from the tables ---------------------------------------------------------------------

def _between(column, period):  # noqa: ANN001, ANN202
    return (column >= datetime.combine(period.start, time.min, TZ),
            column < datetime.combine(period.end + timedelta(days=1), time.min, TZ))


def direct_counts(session, node: GridNode, period: periods.Period) -> dict[str, int]:  # noqa: ANN001
    under = GridNode.path.startswith(node.path)
    inspected = (select(Inspection).join(GridNode, Inspection.grid_id == GridNode.id)
                 .where(under, *_between(Inspection.inspected_at, period)))
    found = select(Hazard).join(Inspection).join(GridNode, Inspection.grid_id == GridNode.id).where(
        under, *_between(Inspection.inspected_at, period))
    count = lambda stmt: session.scalar(select(func.count()).select_from(stmt.subquery()))  # noqa: E731
    letters = (select(ResponsibilityLetter).join(LetterCampaign)
               .where(LetterCampaign.year == period.start.year, ResponsibilityLetter.status != "void",
                      ResponsibilityLetter.grid_path.startswith(node.path)))
    return {
        "inspections": count(inspected),
        "inspectors": sum(len(i.inspectors) for i in session.scalars(inspected)),
        "hazards_found": count(found),
        "hazards_rectified": count(found.where(Hazard.status.in_(("rectified", "corrected_on_spot")))),
        "hazards_overdue": count(select(Hazard).join(Inspection).join(GridNode, Inspection.grid_id == GridNode.id)
                                 .where(under, Hazard.status == "open", Inspection.deadline < period.end)),
        "referrals": count(select(Inspection).join(GridNode, Inspection.grid_id == GridNode.id).where(
            under, Inspection.referred_on >= period.start, Inspection.referred_on <= period.end)),
        "letters_due": count(letters),
        "letters_signed": count(letters.where(ResponsibilityLetter.status == "signed",
                                              ResponsibilityLetter.signed_on <= period.end)),
        "patrols": count(select(Patrol).join(GridNode, Patrol.grid_id == GridNode.id)
                         .where(under, *_between(Patrol.patrolled_at, period))),
        "publicity": count(select(PublicityEvent).join(GridNode, PublicityEvent.grid_id == GridNode.id).where(
            under, PublicityEvent.held_on >= period.start, PublicityEvent.held_on <= period.end)),
        "fires": count(select(FireIncident).join(GridNode, FireIncident.grid_id == GridNode.id).where(
            under, FireIncident.occurred_on >= period.start, FireIncident.occurred_on <= period.end)),
        "meetings": count(select(Meeting).join(MeetingSeries).join(GridNode, MeetingSeries.town_id == GridNode.id)
                          .where(under, Meeting.status.in_(("held", "issued")), Meeting.held_on >= period.start,
                                 Meeting.held_on <= period.end)),
    }


def _rate(numerator: int, denominator: int) -> str:
    return f"{round(numerator / denominator * 100, 1):g}%" if denominator else "—"


def expected_cells(counts: dict[str, int]) -> dict[str, str]:
    cells = {key: str(value) for key, value in counts.items()}
    cells["rectification_rate"] = _rate(counts["hazards_rectified"], counts["hazards_found"])
    cells["signing_rate"] = _rate(counts["letters_signed"], counts["letters_due"])
    return cells


def page_rows(html: str) -> dict[str, dict[str, str]]:
    """The dashboard table: row label → measure key → the cell's text."""
    rows = {}
    for label, body in re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r'data-measure="([^"]+)">(.*?)</td>', body, re.S)
        rows[label] = {key: re.sub(r"<[^>]+>", "", text).strip() for key, text in cells}
    return rows


def test_every_figure_equals_a_direct_count(county, session, sign_in):  # noqa: F811
    leader, supervisor, town = sign_in("leader"), sign_in("county"), county.town_a
    for period_key in ("2026-09", "2026-Q3", "2026", "2026-08"):
        period = periods.parse(period_key)
        rows = page_rows(leader.get(f"/reports/?grid={town.id}&period={period_key}").get_data(as_text=True))
        assert rows["合计"] == expected_cells(direct_counts(session, town, period))
        for village in town.children:
            assert rows[village.name] == expected_cells(direct_counts(session, village, period)), village.name
        county_page = page_rows(supervisor.get(f"/reports/?grid={county.region.id}&period={period_key}")
                                .get_data(as_text=True))
        for each in (county.town_a, county.town_b, county.region):
            label = "合计" if each is county.region else each.name
            assert county_page[label] == expected_cells(direct_counts(session, each, period)), (period_key, label)
    # September has something in every kind of record but fires (July's is in the quarter and the year)
    counts = direct_counts(session, county.region, periods.parse("2026-09"))
    assert counts["inspections"] == 2 and counts["hazards_rectified"] == 1 and counts["patrols"] == 1
    assert counts["letters_signed"] == 1 and counts["meetings"] == 1 and counts["publicity"] == 1
    assert direct_counts(session, county.region, periods.parse("2026-Q3"))["fires"] == 1


def test_each_measures_query_sums_to_its_records_per_grid(county, session):  # noqa: F811
    """The dashboards sum each measure in the database (the measures of a shared query read together); the
    drill-down lists its records: they agree, per path — an inspection's second hazard, rectified, included."""
    inspection = session.scalars(select(Inspection).order_by(Inspection.id)).first()
    session.add(Hazard(inspection=inspection, item_name="项", description="第二处", status="rectified"))
    session.flush()
    measures = [m for m in registry.measures() if isinstance(m, Measure)]
    assert {m.key for m in measures if m.counted or m.shared} >= {
        "inspections", "inspectors", "hazards_found", "hazards_rectified", "letters_due", "patrols", "meetings",
        "publicity", "fires"}
    for period in map(periods.parse, ("2026-09", "2026")):
        found = figures.per_path(session, county.region, period)
        for measure in measures:
            listed = Counter(t.grid_path for t in measure.tallies(session, county.region, period.start, period.end))
            assert dict(+found[measure.key]) == dict(listed), (measure.key, period.key)


def test_overdue_hazards_take_the_due_date_from_the_hazard_else_the_notice(county, session):  # noqa: F811
    """逾期未整改's query takes the due date from three places one at a time (for the indexes); it counts what
    the records list: a hazard's own due date first (even when later than its deadline), then its deadline,
    then the notice's."""
    inspection = session.scalars(select(Inspection).order_by(Inspection.id)).first()
    inspection.deadline = date(2026, 8, 1)
    past, later = date(2026, 8, 15), date(2026, 10, 15)
    for due_on, deadline in ((past, None), (None, past), (None, None), (later, past)):
        session.add(Hazard(inspection=inspection, item_name="项", description="隐患", due_on=due_on, deadline=deadline))
    session.flush()
    measure = figures.column("hazards_overdue")
    period = periods.parse("2026-09")
    rows = measure.counted(county.region, period.start, period.end).subquery()
    sums = dict(session.execute(select(rows.c.path, func.sum(rows.c.weight)).group_by(rows.c.path)).all())
    listed = Counter(t.grid_path for t in measure.tallies(session, county.region, period.start, period.end))
    assert {path: int(n) for path, n in sums.items()} == dict(listed)
    mine = [t for t in measure.tallies(session, county.region, period.start, period.end)
            if dict(t.args)["instance_id"] == inspection.instance_id]
    # the fixture's own hazard (due by the notice) and three of the four added; not the one due on 10-15
    assert len(mine) == 1 + 3 and sum(h.due_on == later for h in inspection.hazards) == 1


def test_a_quarter_and_a_year_split_into_months_and_quarters(county, session, sign_in):  # noqa: F811
    leader = sign_in("leader")
    html = leader.get(f"/reports/?grid={county.town_a.id}&period=2026-Q3").get_data(as_text=True)
    parts = dict(re.findall(r'<tr data-part="([^"]+)">.*?data-measure="inspections">(\d+)</td>', html, re.S))
    assert parts == {"2026年7月": "0", "2026年8月": "0", "2026年9月": "2", "合计": "2"}
    year = leader.get(f"/reports/trend.xlsx?grid={county.town_a.id}&period=2026")
    rows = list(load_workbook(io.BytesIO(year.data)).active.iter_rows(min_row=3, values_only=True))
    assert [r[:2] for r in rows] == [("2026年第一季度", 0), ("2026年第二季度", 0), ("2026年第三季度", 2),
                                     ("2026年第四季度", 0), ("合计", 2)]
    assert 'data-part=' not in leader.get(f"/reports/?grid={county.town_a.id}&period=2026-09").get_data(as_text=True)


def test_each_number_drills_down_to_its_records(county, sign_in):  # noqa: F811
    leader = sign_in("leader")
    village = county.unit_a.grid.parent  # 松林村
    html = leader.get(f"/reports/?grid={county.town_a.id}&period=2026-09").get_data(as_text=True)
    assert f'href="/reports/?grid={village.id}&amp;period=2026-09' in html
    assert 'data-chart="' in html and "echarts.common.min.js" in html
    page = leader.get(f"/reports/records?grid={county.town_a.id}&period=2026-09&measure=hazards_found")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "发现隐患（处）：2" in text and "丰收便利店" in text and "快乐网咖" in text
    assert f'href="/cases/{county.inspection_a.id}"' in text
    rate = leader.get(f"/reports/records?grid={village.id}&period=2026-09&measure=rectification_rate")
    assert "已整改隐患（处）：0" in rate.get_data(as_text=True)  # a rate drills into its numerator
    sheet = load_workbook(io.BytesIO(leader.get(
        f"/reports/records.xlsx?grid={county.town_a.id}&period=2026-09&measure=inspectors").data)).active
    people = [r for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert len(people) == 4 and {r[2] for r in people} == {"白建业", "邱海霞"}


def test_a_grid_user_sees_only_their_grid(county, sign_in, small_town):  # noqa: F811
    village, other = small_town.village, small_town.other_village
    clerk = sign_in("village_clerk")
    own = clerk.get("/reports/?period=2026-09")
    assert own.status_code == 200 and f"{village.name} 2026年9月消防工作统计" in own.get_data(as_text=True)
    for url in [f"/reports/?grid={county.town_a.id}", f"/reports/?grid={other.id}",
                f"/reports/records?grid={other.id}&measure=inspections", f"/reports/table.xlsx?grid={other.id}",
                f"/reports/report.docx?grid={county.town_a.id}&period=2026-09",
                f"/reports/?grid={county.town_b.id}"]:
        assert clerk.get(url).status_code == 403, url
    assert clerk.get("/reports/?grid=999999").status_code == 404
    assert clerk.get("/reports/?grid=99999999999999999999").status_code == 200  # beyond any id: ignored, as elsewhere
    assert clerk.get("/reports/?period=2026-13").status_code == 400
    assert clerk.get("/reports/?period=abc").status_code == 400
    assert clerk.get(f"/reports/records?grid={village.id}&measure=nope").status_code == 404
    assert clerk.get("/reports/report.exe").status_code == 400


def test_monthly_report_numbers_are_the_dashboards_and_it_passes_the_checker(county, session, sign_in,  # noqa: F811
                                                                              tmp_path, small_town):
    leader = sign_in("leader")
    response = leader.get(f"/reports/report.docx?grid={county.town_a.id}&period=2026-09")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "松林镇2026年9月消防安全工作月调度表" in text
    table = figures.build(session, small_town.users["leader"], county.town_a, periods.parse("2026-09"))
    cells = {}
    for docx_table in document.tables:
        header = [c.text for c in docx_table.rows[0].cells]
        for row in docx_table.rows[1:]:
            label = row.cells[0].text
            for heading, cell in zip(header[1:], row.cells[1:], strict=True):
                cells[(heading, label)] = cell.text
    for column in table.columns:
        assert cells[("合计", column.label)] == table.total.text(column)
        for row in table.rows:
            assert cells[(row.label, column.label)] == row.text(column), (row.label, column.label)
    assert f"检查单位（家次）{table.total.text(table.columns[0])}" in text
    assert document.inline_shapes and document.inline_shapes[0].width > 0  # the chart
    check_gbt9704(response.data, "--no-header", tmp_path=tmp_path, name="monthly")
    quarter = docx.Document(io.BytesIO(leader.get(f"/reports/report.docx?grid={county.town_a.id}&period=2026-Q3").data))
    assert "松林镇2026年第三季度消防安全工作季度通报表" in "\n".join(p.text for p in quarter.paragraphs)


@pytest.mark.slow
def test_monthly_report_as_pdf_keeps_every_character(county, sign_in, tmp_path):  # noqa: F811
    leader = sign_in("leader")
    url = f"/reports/report.{{}}?grid={county.town_a.id}&period=2026-09"
    pdf = leader.get(url.format("pdf"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    check_pdf_text(leader.get(url.format("docx")).data, pdf.data, tmp_path, name="monthly")


def test_county_roll_up_ranks_the_towns_and_exports(county, sign_in):  # noqa: F811
    visitor = sign_in("county")
    assert f'href="/reports/?grid={county.region.id}' in visitor.get("/county/").get_data(as_text=True)
    html = visitor.get(f"/reports/?grid={county.region.id}&period=2026-09&rank=inspections").get_data(as_text=True)
    order = re.findall(r'<tr data-row="([^"]+)">\s*<td data-label="排名">(\d+|—)</td>', html)
    assert order == [("松林镇", "1"), ("柏树镇", "2"), ("合计", "—")]
    by_rate = visitor.get(f"/reports/?grid={county.region.id}&period=2026-09&rank=signing_rate").get_data(as_text=True)
    assert re.findall(r'<tr data-row="([^"]+)">\s*<td data-label="排名">(\d+|—)</td>', by_rate)[:2] == [
        ("柏树镇", "1"), ("松林镇", "—")]  # 松林镇 has no letters to sign: no rate, unranked
    response = visitor.get(f"/reports/table.xlsx?grid={county.region.id}&period=2026-09&rank=inspections")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][:4] == ("排名", "网格", "检查单位（家次）", "出动检查人员（人次）")
    assert [r[:3] for r in rows[1:]] == [(1, "松林镇", 2), (2, "柏树镇", 0), ("—", "合计（示例区）", 2)]
    assert visitor.get(f"/reports/?grid={county.region.id}&rank=nope").status_code == 404


def test_admin_layout_fills_the_countys_own_table(county, sign_in, session):  # noqa: F811
    admin = sign_in("admin")
    bad = admin.post("/reports/layouts", {"name": "", "first_heading": "村（社区）",
                                          "mapping": "检查户数=检查单位（家次）\n隐患=没有的指标\n只有表头"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "请填写统计表名称" in page and "第2行的指标“没有的指标”不存在" in page and "第3行应写成" in page
    assert "只有表头" in page  # the input is kept
    good = admin.post("/reports/layouts", {"name": "网格化月报表", "first_heading": "村（社区）",
                                           "mapping": "检查户数=检查单位（家次）\n整改率=整改率\n巡查=patrols"})
    assert good.status_code == 302
    dashboard = admin.get(f"/reports/?grid={county.town_a.id}&period=2026-09").get_data(as_text=True)
    link = re.search(r'href="(/reports/layouts/(\d+)\.xlsx\?[^"]+)"', dashboard)
    sheet = load_workbook(io.BytesIO(admin.get(link.group(1).replace("&amp;", "&")).data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("村（社区）", "检查户数", "整改率", "巡查")
    assert rows[1:] == [("松林村", 1, "0%", 1), ("柳岸社区", 1, "100%", 0), ("合计", 2, "50%", 1)]
    assert admin.get(f"/reports/layouts/{link.group(2)}.xlsx?grid={county.town_b.id}").status_code == 403
    assert sign_in("leader").post(f"/reports/layouts/{link.group(2)}/delete").status_code == 403
    assert admin.post(f"/reports/layouts/{link.group(2)}/delete").status_code == 302
    assert admin.get(f"/reports/layouts/{link.group(2)}.xlsx").status_code == 404
