"""Issue 21 items 1–3 through HTTP: one notice, three hazards, three deadlines — one rectified on time, one
extended on an approved 整改计划 (after a refused one), one escalated through 约谈 to the referral."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from sqlalchemy import select

from tests import factories
from tests.docx_checks import check_gbt9704
from tests.web.test_inspection_flow import (
    PNG,
    at,
    check_red_header,
    document_text,
    letter_attachments,
    reinspect,
    serve,
    start_inspection,
    tick,
    unit_in,
)
from webapp.clock import TZ
from webapp.models import AuditEvent, Document, GridNode, ProcessInstance, WorkTask
from webapp.procedures.inspection.models import Inspection, Interview, RectificationPlan, ReferralReceiver

DEADLINES = ["2026-10-12", "2026-10-19", "2026-10-26"]  # Mondays after National Day


def _hazard_rows(page: str, field: str) -> list[tuple[str, str]]:
    return re.findall(rf'name="{field}-(\d+)-hazard_id" type="hidden" value="(\d+)"', page)


def issue_notice_with_three_deadlines(clerk, leader, session, app, tmp_path) -> None:
    draft = clerk.inbox_task_id("拟制整改通知书")
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    data = {"severity": "general", "deadline": DEADLINES[0], "note": ""}
    for (index, hazard_id), deadline in zip(_hazard_rows(page, "notice_hazards"), DEADLINES, strict=True):
        description = re.search(rf'name="notice_hazards-{index}-description"[^>]*>([^<]*)<', page).group(1).strip()
        data.update({f"notice_hazards-{index}-hazard_id": hazard_id, f"notice_hazards-{index}-description": description,
                     f"notice_hazards-{index}-location": f"位置{index}",
                     f"notice_hazards-{index}-legal_basis": "《中华人民共和国消防法》第十六条",
                     f"notice_hazards-{index}-deadline": deadline})
    refused = clerk.post(f"/tasks/{draft}", {**data, "notice_hazards-1-deadline": "2026-09-20"})
    assert refused.status_code == 400 and "整改期限应晚于检查日期。" in refused.get_data(as_text=True)
    assert clerk.post(f"/tasks/{draft}", data).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发整改通知书')}", {"decision": "approve"}).status_code == 302
    notice, text, content = document_text(session, app, "rectification_notice")
    for index, day in enumerate(("2026年10月12日", "2026年10月19日", "2026年10月26日")):
        assert re.search(rf"{index + 1}\. [^\n]*位置{index}[^\n]*责令于{day}前改正", text), (day, text)
    check_red_header(notice, content, tmp_path, "责令于2026年10月19日前改正", title="火灾隐患整改通知书")


def waiting_step(visitor, case_id: int) -> int:
    page = visitor.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "等待单位整改，最早的整改期限届满后自动转入复查（期限 " in page
    return int(re.search(r'href="/tasks/(\d+)">登记复查或延期申请', page).group(1))


def apply_for_extension(inspector, case_id: int, day: str, new_due: str) -> None:
    task = waiting_step(inspector, case_id)
    page = inspector.get(f"/tasks/{task}").get_data(as_text=True)
    rows = _hazard_rows(page, "plan_items")
    assert len(rows) == 3
    data = {"application": "extension", "applied_on": day, "applicant": "店主", "note": "",
            "reason": "需更换整条电气线路<施工排期>", "measures": "1. 委托电工更换仓库线路；\n2. 负责人：店主。",
            "interim_measures": "整改期间仓库断电，增配灭火器2具。"}
    for index, hazard_id in rows:
        data.update({f"plan_items-{index}-hazard_id": hazard_id, f"plan_items-{index}-due_on": ""})
    empty = inspector.post(f"/tasks/{task}", {**data, "measures": ""}).get_data(as_text=True)
    assert "申请延期时请填写整改计划。" in empty and "请至少为一项隐患填写新的整改期限。" in empty  # all at once
    data["plan_items-1-due_on"] = new_due
    assert inspector.post(f"/tasks/{task}", data).status_code == 302


def decide_plan(leader, verdict: str, opinion: str) -> None:
    review = leader.inbox_task_id("审批整改计划")
    preview = leader.get(f"/tasks/{review}/preview/rectification_plan.docx")
    assert preview.status_code == 200 and preview.data[:2] == b"PK"
    if verdict == "refuse":
        page = leader.post(f"/tasks/{review}", {"verdict": "refuse", "review_opinion": ""})
        assert page.status_code == 400 and "不予延期时请写明理由。" in page.get_data(as_text=True)
    assert leader.post(f"/tasks/{review}", {"verdict": verdict, "review_opinion": opinion}).status_code == 302


def check_form(session, app, template_key: str, tmp_path, *texts: str) -> str:
    """The latest document of a form template: its text, and the shared checker as a form (no red header)."""
    document, text, content = document_text(session, app, template_key)
    assert document.number is None
    for expected in texts:
        assert expected in text, (expected, text)
    check_gbt9704(content, "--no-header", tmp_path=tmp_path, name=f"{template_key}-{document.id}")
    return text


def hold_interview(clerk, session, app, tmp_path) -> None:
    schedule = clerk.inbox_task_id("安排约谈")
    assert clerk.post(f"/tasks/{schedule}", {"scheduled_on": "2026-10-29", "scheduled_time": "09:30",
                                             "place": "镇消防安全委员会办公室", "interviewee": "店主",
                                             "interviewers": "林晓雯、陈立群"}).status_code == 302
    record_task = session.scalar(select(WorkTask).where(WorkTask.step_key == "record_interview"))
    assert record_task.due_at == datetime(2026, 10, 29, 23, 59, 59, tzinfo=TZ)
    app.extensions["firegrid.clock"].set(at("2026-10-29T11:00"))
    task = clerk.inbox_task_id("约谈记录")
    rows = _hazard_rows(clerk.get(f"/tasks/{task}").get_data(as_text=True), "interview_items")
    assert len(rows) == 1
    data = {"held_on": "2026-10-29", "attendees": "店主", "interviewers": "林晓雯、陈立群",
            "content": "通报灭火器逾期未更换，告知法律责任。", "commitment": "11月9日前更换全部灭火器。",
            f"interview_items-{rows[0][0]}-hazard_id": rows[0][1], f"interview_items-{rows[0][0]}-due_on": ""}
    assert "请填写新的整改期限。" in clerk.post(f"/tasks/{task}", data).get_data(as_text=True)
    assert clerk.get(f"/tasks/{task}/preview/interview_record.docx").status_code == 200
    data[f"interview_items-{rows[0][0]}-due_on"] = "2026-11-09"
    assert clerk.post(f"/tasks/{task}", data).status_code == 302
    check_form(session, app, "interview_record", tmp_path, "消防安全约谈记录", "2026年10月29日", "店主",
               "灭火器压力不足", "2026年10月26日", "2026年11月9日", "11月9日前更换全部灭火器。")


def refer_and_finish(clerk, leader, admin, sign_in, session, app, tmp_path) -> None:
    """The interviewed hazard goes to a department the admin added and gave a login (接收部门): that login
    accepts and records the result with an attachment, which completes the case's 登记处理反馈 — the clerk
    retypes nothing and the step leaves the clerk's 待办."""
    assert admin.post("/inspection/receivers", {"name": "青石镇安全生产监督管理站", "contact_person": "何平",
                                                "phone": "0712-5861234", "feedback_days": "10"}).status_code == 302
    department = session.scalar(select(ReferralReceiver).where(ReferralReceiver.name == "青石镇安全生产监督管理站"))
    town = session.scalar(select(GridNode).where(GridNode.name == "青石镇"))
    desk_user = factories.user(session, "anjian", "receiver", scope=town, display_name="何平")
    session.commit()
    assert admin.post("/referrals/accounts", {"receiver_id": department.id, "user_id": desk_user.id}).status_code == 302
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟制移交函')}", {
        "receiver_kind": [department.kind], "actions_taken": "已下发整改通知书、复查并约谈，仍未整改。",
        "requested_action": "", "feedback_days": "15", "contact_name": "林晓雯", "contact_phone": "0712-5861002",
    }).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发移交函')}", {"decision": "approve"}).status_code == 302
    letter, text, content = document_text(session, app, "referral_letter")
    assert "灭火器压力不足" in text and "疏散通道堆放杂物" not in text and "电线私拉乱接" not in text
    check_red_header(letter, content, tmp_path, "青石镇安全生产监督管理站：")

    app.extensions["firegrid.clock"].set(at("2026-11-20T10:00"))
    desk = sign_in("anjian")
    row = int(re.search(r'href="/referrals/(\d+)"', desk.get("/referrals/").get_data(as_text=True)).group(1))
    assert desk.post(f"/referrals/{row}", {"action": "accept", "accept-accepted_on": "2026-11-20",
                                           "accept-accepted_by": "何平"}).status_code == 302
    assert desk.post(f"/referrals/{row}", {
        "action": "result", "result-feedback_on": "2026-11-20", "result-measures": "责令限期改正",
        "result-result": "已更换灭火器", "result-seen_status": "accepted",
        "result-files": (io.BytesIO(PNG), "处理决定.png")}, content_type="multipart/form-data").status_code == 302
    session.expire_all()
    assert session.scalar(select(WorkTask).where(WorkTask.step_key == "record_feedback")) is None
    inspection = session.scalar(select(Inspection))
    assert (inspection.feedback_on, inspection.feedback_result) == (date(2026, 11, 20), "已更换灭火器")
    assert ("处理决定.png", "feedback") in [(a.name, a.role) for a in letter_attachments(session, letter.id)]
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "task_complete",
                                                   AuditEvent.user_id == desk_user.id)) is not None


def test_three_hazards_three_deadlines_rectified_extended_and_referred_after_an_interview(
        app, session, login_as, sign_in, tmp_path):
    """Issue 21's acceptance: each hazard on its own deadline; the last one 约谈, then referred to a department
    whose own login records the result; every document renders and passes the shared checker."""
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T09:40"))
    inspector, clerk, leader = login_as("inspector"), login_as("clerk"), login_as("leader")
    case = start_inspection(inspector, session, unit_in(session, "青石村"),
                            {0: "疏散通道堆放杂物", 1: "电线私拉乱接", 2: "灭火器压力不足"})
    check_form(session, app, "inspection_record", tmp_path, "疏散通道堆放杂物", "灭火器压力不足")
    issue_notice_with_three_deadlines(clerk, leader, session, app, tmp_path)
    serve(clerk)
    first = session.scalar(select(WorkTask).where(WorkTask.step_key == "early_application"))
    assert first.waiting and first.due_at.date() == date(2026, 10, 12)  # the earliest hazard's deadline

    # 延期: a first plan is refused (the dates stay), a second one approved for the second hazard only
    clock.set(at("2026-10-09T10:00"))
    apply_for_extension(inspector, case.id, "2026-10-09", "2026-11-30")
    decide_plan(leader, "refuse", "延期过长，请压缩工期。")
    check_form(session, app, "rectification_plan", tmp_path, "火灾隐患整改计划及延期审批表", "不予延期",
               "延期过长，请压缩工期。", "2026年10月19日", "2026年11月30日", "需更换整条电气线路<施工排期>")
    apply_for_extension(inspector, case.id, "2026-10-09", "2026-11-02")
    decide_plan(leader, "approve", "同意。")
    check_form(session, app, "rectification_plan", tmp_path, "同意延期", "2026年11月2日", "整改期间仓库断电")
    session.expire_all()
    plans = session.scalars(select(RectificationPlan).order_by(RectificationPlan.id)).all()
    assert [p.status for p in plans] == ["refused", "approved"] and all(p.document_id for p in plans)
    hazards = session.scalar(select(Inspection)).hazards
    # the notice's legal deadline stays on the record; only the date it is due now moved
    assert [(h.deadline.isoformat(), h.due_on.isoformat()) for h in hazards] == [
        ("2026-10-12", "2026-10-12"), ("2026-10-19", "2026-11-02"), ("2026-10-26", "2026-10-26")]

    # first due date: the first hazard is rectified on time, the others are not due yet
    assert tick(app, session, at("2026-10-12T23:00")) == 0
    assert tick(app, session, at("2026-10-13T00:00:01")) == 1
    due = session.scalar(select(WorkTask).where(WorkTask.step_key == "reinspect")).due_at.date()
    assert due == date(2026, 10, 15)  # 3 working days after the first hazard's deadline
    clock.set(at("2026-10-13T10:00"))
    reinspect(inspector, ["yes", "pending", "pending"], "2026-10-13")
    opinion, opinion_text, content = document_text(session, app, "reinspection_opinion")
    check_red_header(opinion, content, tmp_path, "已到期的火灾隐患已整改。", title="复查意见书")
    assert "疏散通道堆放杂物" in opinion_text and "电线私拉乱接" not in opinion_text
    assert "已到期的火灾隐患已整改。" in opinion_text and "其余火灾隐患整改期限未到" in opinion_text
    assert session.scalar(select(WorkTask).where(WorkTask.step_key == "early_application")).due_at.date() == date(
        2026, 10, 26)

    # the third hazard is not rectified at its deadline: 约谈, with a new deadline
    assert tick(app, session, at("2026-10-27T00:00:01")) == 1
    clock.set(at("2026-10-27T10:00"))
    page = reinspect_refused(inspector, ["pending", "pending"], "2026-10-27")
    assert "该隐患整改期限已过，不能选择“整改期限未到”。" in page
    reinspect(inspector, ["pending", "interview"], "2026-10-27")
    assert "将约谈你单位消防安全责任人" in document_text(session, app, "reinspection_opinion")[1]
    hold_interview(clerk, session, app, tmp_path)

    # the extended hazard is rectified by its new date; the interviewed one is not and is referred
    assert tick(app, session, at("2026-11-03T00:00:01")) == 1
    clock.set(at("2026-11-03T10:00"))
    reinspect(inspector, ["yes", "pending"], "2026-11-03")
    assert tick(app, session, at("2026-11-10T00:00:01")) == 1
    clock.set(at("2026-11-10T10:00"))
    assert "该隐患已约谈过" in reinspect_refused(inspector, ["interview"], "2026-11-10")
    reinspect(inspector, ["no"], "2026-11-10")
    refer_and_finish(clerk, leader, login_as("admin"), sign_in, session, app, tmp_path)

    session.expire_all()
    assert session.get(ProcessInstance, case.id).status == "completed"
    hazards = session.scalar(select(Inspection)).hazards
    assert [h.status for h in hazards] == ["rectified", "rectified", "closed"]
    assert [h.rectified_on for h in hazards[:2]] == [date(2026, 10, 13), date(2026, 11, 3)]
    assert hazards[2].interviewed_on == date(2026, 10, 29) and hazards[2].due_on == date(2026, 11, 9)
    assert session.scalar(select(Interview)).document_id is not None
    assert session.scalar(select(Document).where(Document.template_key == "reinspection_opinion")
                          .order_by(Document.id.desc())).number.startswith("青石消复")
    case_page = clerk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "2026-10-19（现期限 2026-11-02）" in case_page and "2026-10-29已约谈" in case_page
    assert "不予延期" in case_page and "已批准" in case_page


def reinspect_refused(inspector, answers: list[str], day: str) -> str:
    """A re-inspection the form refuses (400): the page with the messages beside the hazards."""
    check = inspector.inbox_task_id("复查")
    page = inspector.get(f"/tasks/{check}").get_data(as_text=True)
    data = {"reinspected_on": day}
    for (index, hazard_id), answer in zip(_hazard_rows(page, "checks"), answers, strict=True):
        data.update({f"checks-{index}-hazard_id": hazard_id, f"checks-{index}-rectified": answer,
                     f"checks-{index}-remark": ""})
    response = inspector.post(f"/tasks/{check}", data)
    assert response.status_code == 400
    return response.get_data(as_text=True)


def test_a_notice_sent_back_keeps_each_hazards_own_deadline(app, session, login_as):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector, clerk, leader = login_as("inspector"), login_as("clerk"), login_as("leader")
    start_inspection(inspector, session, unit_in(session, "青石村"), {0: "疏散通道堆放杂物", 2: "电线私拉乱接"})
    draft = clerk.inbox_task_id("拟制整改通知书")
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    data = {"severity": "general", "deadline": "2026-10-12", "note": ""}
    for index, hazard_id in _hazard_rows(page, "notice_hazards"):
        data.update({f"notice_hazards-{index}-hazard_id": hazard_id, f"notice_hazards-{index}-description": "隐患",
                     f"notice_hazards-{index}-location": "后门", f"notice_hazards-{index}-legal_basis": "《消防法》",
                     f"notice_hazards-{index}-deadline": ""})
    data["notice_hazards-1-deadline"] = "2026-10-30"
    assert clerk.post(f"/tasks/{draft}", data).status_code == 302
    sign = leader.inbox_task_id("签发整改通知书")
    assert leader.post(f"/tasks/{sign}", {"decision": "send_back", "opinion": "期限再议"}).status_code == 302
    redraft = clerk.get(f"/tasks/{clerk.inbox_task_id('拟制整改通知书')}").get_data(as_text=True)
    assert re.search(r'name="notice_hazards-1-deadline" type="date" value="2026-10-30"', redraft), redraft[:3000]
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟制整改通知书')}", data).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发整改通知书')}", {"decision": "approve"}).status_code == 302
    session.expire_all()
    hazards = session.scalar(select(Inspection)).hazards
    assert [h.deadline for h in hazards] == [date(2026, 10, 12), date(2026, 10, 30)]  # empty: the notice's date
