"""Issue 4 end to end through HTTP: lanes, send-back, a working-day timer across National Day, 会签."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from tests import factories
from webapp.cases import timers
from webapp.clock import TZ
from webapp.models import CaseEvent, ProcessInstance, WorkTask
from webapp.services import accounts


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)




def _tick(app, session, moment):
    app.extensions["firegrid.clock"].set(moment)
    return timers.fire_due_timers(session, app.extensions["firegrid.runtime"], moment)


def _second_leader(session, small_town):
    factories.user(session, "leader2", "leader", scope=small_town.town, display_name="副镇长")
    session.commit()


def test_case_runs_end_to_end_with_send_back_timer_and_countersign(app, session, sign_in, small_town):
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-29T10:00"))  # Tuesday before National Day
    _second_leader(session, small_town)
    clerk, leader, leader2 = sign_in("clerk"), sign_in("leader"), sign_in("leader2")

    response = clerk.post("/procedures/test_notice/start", {"title": "国庆消防检查通知"})
    assert response.status_code == 302
    case = session.scalar(select(ProcessInstance))
    assert case.title == "测试：国庆消防检查通知" and case.status == "running"

    draft = clerk.inbox_task_id("拟稿")
    assert leader.get(f"/tasks/{draft}").status_code == 403  # wrong lane
    bad = clerk.post(f"/tasks/{draft}", {"title": "国庆<通知>", "body": "", "approver_names": "leader,leader2"})
    assert bad.status_code == 400 and "请输入正文" in bad.get_data(as_text=True)
    assert "国庆&lt;通知&gt;" in bad.get_data(as_text=True)
    assert clerk.post(f"/tasks/{draft}", {"title": "国庆<通知>", "body": "各村：……",
                                          "approver_names": "leader,leader2"}).status_code == 302

    review = leader.inbox_task_id("审核")
    review_row = session.get(WorkTask, review)
    assert review_row.due_at == at("2026-10-09T23:59:59")  # 3 working days across the holiday
    page = leader.get("/tasks/").get_data(as_text=True)
    assert "2026-10-09" in page

    no_reason = leader.post(f"/tasks/{review}", {"decision": "send_back", "opinion": ""})
    assert no_reason.status_code == 400 and "退回时必须填写退回理由" in no_reason.get_data(as_text=True)
    assert leader.post(f"/tasks/{review}", {"decision": "send_back", "opinion": "请补充检查范围"}).status_code == 302

    redraft = clerk.inbox_task_id("拟稿")
    form_page = clerk.get(f"/tasks/{redraft}").get_data(as_text=True)
    assert "请补充检查范围" in form_page and "国庆&lt;通知&gt;" in form_page  # reason shown, draft kept
    clerk.post(f"/tasks/{redraft}",
               {"title": "国庆通知", "body": "各村：补充检查范围。", "approver_names": "leader,leader2"})

    assert _tick(app, session, at("2026-10-09T23:00")) == 0
    assert leader.inbox_task_id("审核")
    assert _tick(app, session, at("2026-10-10T00:00:01")) == 1  # review deadline passed
    assert _tick(app, session, at("2026-10-10T00:00:02")) == 0  # idempotent
    escalation = leader.inbox_task_id("逾期审核")
    assert "审核" not in [t.title for t in session.scalars(select(WorkTask))]
    clock.set(at("2026-10-10T09:00"))
    leader.post(f"/tasks/{escalation}", {"decision": "approve", "opinion": "同意，尽快印发"})

    countersign_tasks = list(session.scalars(select(WorkTask).where(WorkTask.step_key == "countersign")))
    assert sorted(t.assignee.username for t in countersign_tasks) == ["leader", "leader2"]
    first = leader.inbox_task_id("会签")
    leader.post(f"/tasks/{first}", {"decision": "approve", "opinion": ""})
    second = leader2.inbox_task_id("会签")
    leader2.post(f"/tasks/{second}", {"decision": "send_back", "opinion": "第三条表述不准确"})
    assert not session.scalars(select(WorkTask).where(WorkTask.step_key == "countersign")).all()
    escalation_again = leader.inbox_task_id("逾期审核")
    leader.post(f"/tasks/{escalation_again}", {"decision": "approve", "opinion": "已修改"})
    for visitor in (leader, leader2):
        visitor.post(f"/tasks/{visitor.inbox_task_id('会签')}", {"decision": "approve", "opinion": "同意"})

    session.expire_all()
    case = session.get(ProcessInstance, case.id)
    assert case.status == "completed" and not session.scalars(select(WorkTask)).all()
    actions = [(e.action, e.step_key) for e in session.scalars(select(CaseEvent).order_by(CaseEvent.id))]
    assert actions[:4] == [("start", ""), ("complete", "draft"), ("send_back", "review"), ("complete", "draft")]
    assert ("timer", "") in actions and ("send_back", "countersign") in actions
    page = clerk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "请补充检查范围" in page and "第三条表述不准确" in page and "data-element-id=\"publish\"" in page
    assert 'class="bpmn-endEvent done"' in page


def test_withdraw_before_the_next_step_is_touched(app, session, sign_in, small_town):
    clerk = sign_in("clerk")
    clerk.post("/procedures/test_notice/start", {"title": "撤回测试"})
    draft = clerk.inbox_task_id("拟稿")
    clerk.post(f"/tasks/{draft}", {"title": "撤回测试", "body": "正文", "approver_names": "leader"})
    case = session.scalar(select(ProcessInstance))
    assert "撤回我的上一步" in clerk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert clerk.post(f"/cases/{case.id}/withdraw").status_code == 302
    assert clerk.inbox_task_id("拟稿")
    assert session.scalar(select(WorkTask)).step_key == "draft"


def test_withdraw_refused_once_next_step_acted(app, session, sign_in, small_town):
    clerk, leader = sign_in("clerk"), sign_in("leader")
    clerk.post("/procedures/test_notice/start", {"title": "不可撤回"})
    draft = clerk.inbox_task_id("拟稿")
    clerk.post(f"/tasks/{draft}", {"title": "不可撤回", "body": "正文", "approver_names": "leader"})
    leader.post(f"/tasks/{leader.inbox_task_id('审核')}", {"decision": "send_back", "opinion": "重写"})
    case = session.scalar(select(ProcessInstance))
    response = clerk.post(f"/cases/{case.id}/withdraw")
    assert response.status_code == 409 and "不能撤回" in response.get_data(as_text=True)


def test_stale_submission_is_told_someone_else_did_it(app, session, sign_in, small_town):
    clerk, leader = sign_in("clerk"), sign_in("leader")
    clerk.post("/procedures/test_notice/start", {"title": "冲突"})
    clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", {"title": "冲突", "body": "正文", "approver_names": "leader"})
    review = leader.inbox_task_id("审核")
    case = session.scalar(select(ProcessInstance))
    old_version = case.version
    leader.post(f"/tasks/{review}", {"decision": "approve", "version": old_version})
    again = leader.post(f"/tasks/{review}", {"decision": "approve", "version": old_version})
    assert again.status_code == 409 and "已由他人办理" in again.get_data(as_text=True)


def test_leader_reassigns_task(app, session, sign_in, small_town):
    _second_leader(session, small_town)
    clerk, leader, leader2 = sign_in("clerk"), sign_in("leader"), sign_in("leader2")
    clerk.post("/procedures/test_notice/start", {"title": "转办"})
    clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", {"title": "转办", "body": "正文", "approver_names": "leader"})
    review = leader.inbox_task_id("审核")
    options = re.findall(r'<option value="\d+">([^<]*)</option>',
                         leader.get(f"/tasks/{review}").get_data(as_text=True).split('id="assignee_id"')[1])
    assert options == ["副镇长（松林镇）"]  # the other leader by name and grid; not oneself, no username
    target = session.scalar(select(accounts.User).where(accounts.User.username == "leader2"))
    assert leader.post(f"/tasks/{review}/assign", {"assignee_id": target.id}).status_code == 302
    assert leader.get(f"/tasks/{review}").status_code == 403
    assert leader2.inbox_task_id("审核") == review
