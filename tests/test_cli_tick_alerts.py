"""Acceptance of 消息提醒 from outside: `firegrid tick --now …` in a fresh process, past a rectification
deadline, opens the re-inspection and tells the inspectors; later ticks announce 即将到期 and 已逾期, then
督办 to the leader."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories
from tests.test_cli_tick_jobs import _tick
from tests.web.test_inspection_flow import at, draft_and_sign_notice, serve, start_inspection
from webapp.models import Alert, WorkTask


def _notices(session, task: WorkTask) -> set[tuple[str, str]]:
    session.expire_all()
    rows = session.scalars(select(Alert).where(Alert.work_task_id == task.id))
    return {(n.recipient.username, n.kind) for n in rows}


@pytest.mark.slow
def test_tick_past_the_deadline_opens_the_reinspection_and_notifies_the_inspectors(app, session, small_town,
                                                                                   sign_in):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector, clerk, leader = sign_in("inspector"), sign_in("clerk"), sign_in("leader")
    shop = factories.unit(session, small_town.village.children[0], "向阳杂货店", responsible_person="林店主",
                          responsible_phone="13900000001")
    session.commit()
    start_inspection(inspector, session, shop, {0: "疏散通道堆放杂物"})
    draft_and_sign_notice(clerk, leader, session)  # deadline: 5 working days → Sat 10 Oct (a 调休 workday)
    serve(clerk)

    result = _tick(app, "2026-10-11T00:00:01")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "处理到期定时事项 1 件" in result.stdout
    reinspect = session.scalar(select(WorkTask).where(WorkTask.step_key == "reinspect"))
    # Unassigned: every inspector whose scope covers the unit's grid may claim it, and hears of it.
    inspectors = {"inspector", "inspector2", "village_inspector"}
    assert _notices(session, reinspect) == {(name, "new_task") for name in inspectors}
    assert reinspect.due_at == at("2026-10-14T23:59:59")  # 3 working days after the deadline

    assert "到期提醒 0 条" in _tick(app, "2026-10-12T20:00").stdout  # two working days ahead: not yet
    soon = _tick(app, "2026-10-13T08:00")
    assert "到期提醒 3 条" in soon.stdout, soon.stdout + soon.stderr[-2000:]
    assert _tick(app, "2026-10-15T00:00:01").returncode == 0
    assert _notices(session, reinspect) == {(name, kind) for name in inspectors
                                            for kind in ("new_task", "due_soon", "overdue")}
    # Two whole working days overdue (due Wed 14 Oct; 15 and 16 Oct, then a weekend): 督办 on Mon 19 Oct to
    # the leader over the grid, on his home page
    late = _tick(app, "2026-10-19T08:00")
    assert late.returncode == 0, late.stdout + late.stderr[-3000:]
    assert ("leader", "supervision") in _notices(session, reinspect)
    home = leader.get("/").get_data(as_text=True)
    assert "督办事项（1）" in home and "复查：" in home
    page = inspector.get("/alerts/").get_data(as_text=True)
    assert page.count("复查：") == 3 and "即将到期" in page and "已逾期" in page
