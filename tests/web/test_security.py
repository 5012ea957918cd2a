"""Regressions from the security review: scope on every read, no GET writes, no 500 on nonsense."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.cases.registry import DemoContext
from webapp.models import GridNode
from webapp.procedures.responsibility_letters import demo as letters_demo
from webapp.procedures.responsibility_letters.models import LetterCampaign


@pytest.fixture()
def campaigns(app, session, demo):
    """This year's demo campaigns: town ↔ villages and departments, and each village ↔ its units."""
    clock = app.extensions["firegrid.clock"]
    letters_demo.play(DemoContext(session=session, services=app.extensions["firegrid.runtime"], clock=clock,
                                  year=2026, today=clock.now().replace(year=2026, month=11, day=20)))
    session.commit()
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    return session.scalar(select(LetterCampaign).where(LetterCampaign.grid_id == town.id))


@pytest.mark.slow
def test_village_user_cannot_take_the_towns_combined_letters(campaigns, login_as):
    village_clerk = login_as("clerk_shiqiao")
    assert login_as("clerk").get(f"/letters/campaigns/{campaigns.id}/combined.docx").status_code == 200
    assert village_clerk.get(f"/letters/campaigns/{campaigns.id}/combined.docx").status_code == 403
    assert village_clerk.post(f"/letters/campaigns/{campaigns.id}/combined/rebuild").status_code == 403


@pytest.mark.slow
def test_job_progress_only_for_visible_campaigns(campaigns, session, login_as):
    shiqiao = session.scalar(select(GridNode).where(GridNode.name == "石桥村"))
    other = session.scalar(select(LetterCampaign).join(LetterCampaign.grid).where(
        GridNode.level == "village", LetterCampaign.grid_id != shiqiao.id))
    village_clerk = login_as("clerk_shiqiao")
    assert village_clerk.get(f"/letters/jobs/{other.job_id}/progress").status_code == 403
    own = session.scalar(select(LetterCampaign).where(LetterCampaign.grid_id == shiqiao.id))
    assert village_clerk.get(f"/letters/jobs/{own.job_id}/progress").get_json()["percent"] == 100


def test_plan_refuses_inspectors_from_another_village(session, sign_in, small_town):
    outsider = small_town.users["inspector2"]
    outsider.scope = small_town.other_village
    session.commit()
    own = small_town.users["village_inspector"]
    response = sign_in("village_clerk").post("/inspection/plans", {
        "grid_id": small_town.village.id, "day": "2026-12-03", "group_1": [own.id, outsider.id]})
    assert response.status_code == 400
    assert "第1检查组中有不属于本辖区的人员" in response.get_data(as_text=True)
    page = sign_in("village_clerk").get("/inspection/plans").get_data(as_text=True)
    assert outsider.display_name not in page


def test_village_scoped_archivist_and_admin_are_refused_town_wide_records(session, sign_in, small_town):
    for name in ("archivist", "admin"):
        small_town.users[name].scope = small_town.village
    session.commit()
    archive = sign_in("archivist").get("/archive/")
    assert archive.status_code == 403 and "涉及全镇" in archive.get_data(as_text=True)
    assert sign_in("admin").get("/admin/audit").status_code == 403


def test_case_files_only_for_real_uploads(session, sign_in, small_town):
    from tests.workflow_support import PROCEDURE  # noqa: F401  (the test procedure is registered)

    clerk = sign_in("clerk")
    fake = "a" * 64
    clerk.post("/procedures/test_notice/start", {"title": f"含哈希 {fake}"})
    from webapp.models import ProcessInstance

    case = session.scalar(select(ProcessInstance))
    assert fake in case.title
    assert clerk.get(f"/cases/{case.id}/files/{fake}").status_code == 404


@pytest.mark.parametrize("url", [
    "/meetings/plan?year=99999", "/notices/register?year=-5", "/evaluation/fires?year=100000",
    "/tasks/?page=99999999999999999999",
])
def test_nonsense_parameters_get_a_chinese_answer_not_a_500(sign_in, small_town, url):
    response = sign_in("clerk").get(url)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "年度无效" in response.get_data(as_text=True)


def test_health_check_does_not_leak_driver_errors(browser, monkeypatch):
    from webapp.extensions import db

    def broken(*args, **kwargs):
        raise RuntimeError("password authentication failed for user secret_admin")

    monkeypatch.setattr(db.session, "execute", broken)
    response = browser.get("/healthz")
    assert response.status_code == 503 and "secret_admin" not in response.get_data(as_text=True)


def test_meeting_plan_page_writes_nothing(session, sign_in, small_town):
    from webapp.procedures.meeting.models import MeetingSeries

    before = session.query(MeetingSeries).count()
    assert sign_in("village_clerk").get("/meetings/plan").status_code == 200
    session.expire_all()
    assert session.query(MeetingSeries).count() == before > 0
