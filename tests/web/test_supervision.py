"""督办事项: the sweep opens one per overdue task and closes it when the step is done; a leader over the
grid issues it (督办意见, 督办期限) as a 督办单 that tells the holder; others are refused; one of two wins."""

from __future__ import annotations

import html
from datetime import date

from sqlalchemy import func, select

from tests import factories
from tests.docx_checks import check_gbt9704, docx_all_text
from tests.services.test_alerts import _late_draft, at, notices
from tests.thread_support import run_in_threads
from webapp.cases import actions as cases
from webapp.cases import alerts, supervision
from webapp.extensions import db
from webapp.models import AuditEvent, CaseEvent, Document, Supervision, SupervisionRule, User

ESCALATES = "2026-10-10T08:00"  # due Wed 30 Sep, two whole working days after the National Day holidays


def _overdue_item(app, session, town) -> Supervision:
    draft = _late_draft(app, session, town, at("2026-09-30T23:59:59"))
    alerts.sweep(session, app.extensions["firegrid.runtime"], at(ESCALATES))
    return session.scalar(select(Supervision).where(Supervision.work_task_id == draft.id))


def test_the_sweep_opens_one_item_per_overdue_task_and_closes_it_when_the_step_is_done(app, session, small_town):
    runtime = app.extensions["firegrid.runtime"]
    draft = _late_draft(app, session, small_town.town, at("2026-09-30T23:59:59"))
    alerts.sweep(session, runtime, at("2026-10-09T23:00"))
    assert session.scalar(select(func.count(Supervision.id))) == 0  # one whole working day only
    alerts.sweep(session, runtime, at(ESCALATES))
    alerts.sweep(session, runtime, at("2026-10-12T08:00"))
    [item] = session.scalars(select(Supervision)).all()
    assert (item.work_task_id, item.step_title, item.state) == (draft.id, "拟稿", "待督办")
    leader = session.scalar(select(User).where(User.username == "leader"))
    assert [i.id for i in supervision.open_items(session, leader)] == [item.id]

    clerk = session.scalar(select(User).where(User.username == "clerk"))
    cases.submit_task(session, runtime, user=clerk, work_task_id=draft.id, now=at("2026-10-12T09:00"),
                      data={"title": "督办", "body": "正文", "approver_names": "leader"})
    session.commit()
    alerts.sweep(session, runtime, at("2026-10-12T10:00"))
    session.expire_all()
    assert item.state == "已办结" and supervision.open_items(session, leader) == []


def test_a_leader_issues_the_supervision_sheet_and_the_holder_is_told(app, session, small_town, sign_in, tmp_path):
    item = _overdue_item(app, session, small_town.town)
    app.extensions["firegrid.clock"].set(at("2026-10-12T09:00"))  # the session fixture sets it back
    leader = sign_in("leader")
    home = html.unescape(leader.get("/").get_data(as_text=True))
    assert f"/alerts/supervision/{item.id}" in home and "待督办" in home
    [notice] = notices(session, kind="supervision")
    assert leader.get(f"/alerts/{notice.id}").headers["Location"].endswith(f"/alerts/supervision/{item.id}")
    url = f"/alerts/supervision/{item.id}"
    page = html.unescape(leader.get(url).get_data(as_text=True))
    assert "已逾期3个工作日" in page and "督办并生成督办单" in page  # 8, 9 and Sat 10 Oct (调休)

    bad = leader.post(url, {"opinion": "", "deadline": "2026-10-01"})
    answer = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 400 and "请填写督办意见" in answer and "督办期限不能早于今天" in answer
    assert 'value="2026-10-01"' in answer  # the input is kept
    assert session.scalar(select(func.count(Document.id))) == 0

    opinion = "请于10月14日前完成拟稿，<b>报分管领导</b>审核。"
    assert leader.post(url, {"opinion": opinion, "deadline": "2026-10-14"}).status_code == 302
    session.expire_all()
    assert item.state == "已督办" and item.deadline == date(2026, 10, 14) and item.holder_names == "苏晓梅"
    sheet = session.get(Document, item.document_id)
    content = leader.get(f"/documents/{sheet.id}.docx").data
    text = docx_all_text(content)
    for expected in ("督办单", "拟稿", opinion, "2026年10月14日", "已逾期", "3个工作日", "苏晓梅"):
        assert expected in text, expected
    check_gbt9704(content, "--no-header", tmp_path=tmp_path, name="supervision")
    told = [n for n in notices(session, kind="supervision") if n.recipient.username == "clerk"]
    assert len(told) == 1 and "请于2026年10月14日前办结" in told[0].body
    event = session.scalar(select(CaseEvent).where(CaseEvent.action == "supervise"))
    assert event.document_ids == [sheet.id] and "督办期限2026年10月14日" in event.opinion
    assert "<b>报分管领导</b>" not in leader.get(url).get_data(as_text=True)  # escaped on the page
    again = leader.post(url, {"opinion": "再次", "deadline": "2026-10-20"})  # issued once
    assert again.status_code == 400 and "不能再次督办" in again.get_data(as_text=True)
    assert session.scalar(select(func.count(Document.id))) == 1


def test_only_a_leader_over_the_grid_may_open_or_issue_it(app, session, small_town, sign_in):
    item = _overdue_item(app, session, small_town.town)
    other_town = factories.town(session, "别处镇")
    factories.user(session, "far_leader", "leader", scope=other_town, display_name="外镇领导")
    session.commit()
    url = f"/alerts/supervision/{item.id}"
    assert sign_in("far_leader").post(url, {"opinion": "越权", "deadline": "2026-10-14"}).status_code == 403
    assert sign_in("clerk").get(url).status_code == 403
    assert sign_in("leader").get("/alerts/supervision/999999").status_code == 404
    assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "access_denied")) >= 2
    session.expire_all()
    assert item.issued_at is None


def test_two_leaders_issuing_at_once_one_wins_and_the_other_is_told(app, session, small_town):
    item = _overdue_item(app, session, small_town.town)
    factories.user(session, "leader2", "leader", scope=small_town.town, display_name="第二领导")
    session.commit()
    runtime, item_id = app.extensions["firegrid.runtime"], item.id

    def issue(index: int):
        user = db.session.scalar(select(User).where(User.username == ("leader", "leader2")[index]))
        return supervision.issue(db.session, runtime.documents, runtime.calendar(db.session), user=user,
                                 item_id=item_id, opinion=f"督办{index}", deadline=date(2026, 10, 14),
                                 now=at("2026-10-12T09:00")).id

    results = run_in_threads(app, 2, issue)
    assert sorted(type(r).__name__ for r in results) == ["InvalidInput", "int"], results
    assert "已由其他领导督办" in str(next(r for r in results if not isinstance(r, int)))
    assert session.scalar(select(func.count(Document.id))) == 1
    assert session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.action == "supervise")) == 1


def test_a_town_sends_one_steps_supervision_to_the_office_head_after_one_day(app, session, small_town, sign_in):
    admin = sign_in("admin")
    url = f"/admin/settings/supervision?town={small_town.town.id}"
    page = html.unescape(admin.get(url).get_data(as_text=True))
    assert 'name="role-test_notice.draft"' in page and "按本镇设置（2）" in page
    bad = admin.post(url, {"role-test_notice.draft": "mayor", "days-test_notice.draft": "0"})
    answer = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 400 and "请选择督办对象" in answer and "逾期工作日数应在1至30之间" in answer
    assert 'value="0"' in answer and session.scalar(select(func.count(SupervisionRule.town_id))) == 0
    assert admin.post(url, {"role-test_notice.draft": "office_head", "days-test_notice.draft": "1"}).status_code == 302
    [rule] = session.scalars(select(SupervisionRule)).all()
    assert (rule.procedure_key, rule.step_key, rule.role, rule.after_workdays) == ("test_notice", "draft",
                                                                                   "office_head", 1)
    assert sign_in("clerk").get(url).status_code == 403

    # Due Wed 30 Sep: one whole working day (Thu 8 Oct) later, the office head, not the leader, is told.
    draft = _late_draft(app, session, small_town.town, at("2026-09-30T23:59:59"))
    alerts.sweep(session, app.extensions["firegrid.runtime"], at("2026-10-09T08:00"))
    assert [(n.recipient.username, n.body) for n in notices(session, kind="supervision")] == [
        ("office_head", "已逾期1个工作日，请督促办理。")]
    item = session.scalar(select(Supervision).where(Supervision.work_task_id == draft.id))
    assert item.supervisor_role == "office_head"
    # Back to the leaders before anyone issued it: the open item follows the rule (else nobody could issue it).
    assert admin.post(url, {"role-test_notice.draft": "leader"}).status_code == 302
    alerts.sweep(session, app.extensions["firegrid.runtime"], at("2026-10-12T08:00"))
    session.expire_all()
    assert item.supervisor_role == "leader"
    assert admin.post(url, {"role-test_notice.draft": "office_head", "days-test_notice.draft": "1"}).status_code == 302
    alerts.sweep(session, app.extensions["firegrid.runtime"], at("2026-10-12T09:00"))
    session.expire_all()
    assert sign_in("leader").get(f"/alerts/supervision/{item.id}").status_code == 403
    assert sign_in("office_head").get(f"/alerts/supervision/{item.id}").status_code == 200

    # 不督办: nobody is told, however late.
    told = len(notices(session, kind="supervision"))
    assert admin.post(url, {"role-test_notice.draft": ""}).status_code == 302
    _late_draft(app, session, small_town.town, at("2026-09-30T23:59:59"))
    alerts.sweep(session, app.extensions["firegrid.runtime"], at("2026-10-30T08:00"))
    assert len(notices(session, kind="supervision")) == told
