"""Issue 6 pages: validation, scope, dashboard counts, overdue flags, ledger, unit history, plans."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from tests.web.test_inspection_flow import (
    at,
    draft_and_sign_notice,
    record_form,
    serve,
    start_inspection,
    tick,
    unit_in,
)
from webapp.models import GridNode, ProcessInstance, User
from webapp.procedures.inspection.models import Inspection


def metric(page: str, name: str, row: str = "青石村") -> int:
    line = next(r for r in page.split("<tr>") if re.search(rf"<td[^>]*>{row}</td>", r))
    cell = re.search(rf'data-metric="{name}">(?:<a [^>]*>)?(\d+)', line)
    return int(cell.group(1))


def test_invalid_record_rerenders_with_chinese_errors_and_input_kept(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector = sign_in("inspector")
    unit = small_town.units["快乐网咖"]
    data = record_form(inspector, session, unit, {0: "堵塞"})
    data["inspector_ids"] = data["inspector_ids"][:1]
    data["items-0-description"], data["items-0-location"] = "", "后门<仓库>"
    response = inspector.post("/procedures/inspection/start", data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "检查人员不少于2人" in html and "存在隐患时请描述问题" in html
    assert "后门&lt;仓库&gt;" in html and session.scalar(select(ProcessInstance)) is None


def test_other_village_users_are_refused(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    unit, village = small_town.units["快乐网咖"], small_town.other_village
    case = start_inspection(sign_in("inspector"), session, unit, {0: "堵塞"})
    outsider, outsider_inspector = sign_in("village_clerk"), sign_in("village_inspector")
    assert outsider.get(f"/cases/{case.id}").status_code == 403
    assert outsider.get(f"/inspection/cases?grid_id={village.id}&metric=open").status_code == 403
    task = re.search(r"/tasks/(\d+)", sign_in("clerk").get("/tasks/").get_data(as_text=True)).group(1)
    assert outsider.get(f"/tasks/{task}").status_code == 403
    data = record_form(sign_in("inspector"), session, unit, {})
    refused = outsider_inspector.post("/procedures/inspection/start", data, content_type="multipart/form-data")
    assert refused.status_code == 400 and "请选择被检查单位。" in refused.get_data(as_text=True)
    assert session.scalar(select(ProcessInstance.id).where(ProcessInstance.id != case.id)) is None


def test_dashboard_counts_equal_cases_and_flag_overdue_reinspection(app, session, login_as):
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T09:40"))
    inspector, clerk, leader = login_as("inspector"), login_as("clerk"), login_as("leader")
    qingshi = [unit_in(session, "青石村")]
    first = start_inspection(inspector, session, qingshi[0], {0: "堵塞", 1: "灭火器过期"})
    draft_and_sign_notice(clerk, leader, session)
    serve(clerk)
    start_inspection(inspector, session, qingshi[0], {}, day="2026-09-28")
    start_inspection(inspector, session, qingshi[0], {0: "三合一"}, major=True)
    assert tick(app, session, at("2026-10-11T00:00:01")) == 1
    clock.set(at("2026-10-16T09:00"))  # re-inspection was due 3 WD after 10 Oct
    page = leader.get("/inspection/").get_data(as_text=True)
    assert metric(page, "inspected") == 0  # October: the three inspections were in September
    assert metric(page, "open") == 2 and metric(page, "overdue_reinspection") == 1
    assert metric(page, "overdue_rectification") == 1 and metric(page, "awaiting_feedback") == 0
    village = session.scalar(select(GridNode).where(GridNode.name == "青石村"))
    drill = leader.get(f"/inspection/cases?grid_id={village.id}&metric=overdue_reinspection").get_data(as_text=True)
    assert drill.count('class="case-row"') == 1 and f"/cases/{first.id}" in drill
    clock.set(at("2026-09-30T09:00"))
    september = leader.get("/inspection/").get_data(as_text=True)
    assert metric(september, "inspected") == 3 == session.query(Inspection).count()
    assert metric(september, "inspected", "石桥村") == 0


def test_ledger_unit_history_and_plan_coverage(app, session, login_as):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector, clerk = login_as("inspector"), login_as("clerk")
    unit = unit_in(session, "青石村")
    start_inspection(inspector, session, unit, {0: "堵塞", 2: "乱拉电线"})
    ledger = clerk.get("/inspection/ledger.xlsx?year=2026")
    sheet = load_workbook(io.BytesIO(ledger.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "网格", "单位") and len(rows) == 3 and rows[1][2] == unit.name
    history = clerk.get(f"/units/{unit.id}").get_data(as_text=True)
    assert "检查与隐患整改记录" in history and "堵塞" in history and "消防安全检查记录" in history
    village = session.scalar(select(GridNode).where(GridNode.name == "青石村"))
    ids = [u.id for u in session.scalars(select(User).where(User.username.in_(["inspector", "inspector2"])))]
    bad = clerk.post("/inspection/plans", {"grid_id": village.id, "day": "2026-09-28", "group_1": ids[:1]})
    assert bad.status_code == 400 and "不少于2名检查人员" in bad.get_data(as_text=True)
    created = clerk.post("/inspection/plans", {"grid_id": village.id, "day": "2026-09-28", "group_1": ids})
    assert created.status_code == 302
    plan_page = clerk.get(created.headers["Location"]).get_data(as_text=True)
    total = len([u for u in session.scalars(select(GridNode)) if u.parent_id == village.id])
    assert total == 3 and 'data-count="inspected">1<' in plan_page and 'data-count="uncovered">0<' in plan_page
    unit_id = re.search(r'name="unit_id" value="(\d+)"', plan_page).group(1)
    clerk.post(created.headers["Location"], {"unit_id": unit_id, "group_id": ""})
    warned = clerk.get(created.headers["Location"]).get_data(as_text=True)
    assert 'data-count="uncovered">1<' in warned and "未安排检查组" in warned
