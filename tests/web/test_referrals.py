"""Referral to any receiving department (接收部门): a village reports up, the town refers two items in one
letter to two departments (联合处置), a department's own login records acceptance and its result, and sees
nothing else; feedback due dates make reminders."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import docx
from sqlalchemy import select

from tests import factories
from tests.docx_checks import check_gbt9704
from tests.web.test_inspection_flow import PNG, at, start_inspection, unit_in
from tests.web.test_workbench import menu
from webapp.cases import alerts, leads
from webapp.documents.docx_text import paragraph_text
from webapp.models import Alert, AuditEvent, CaseEvent, Document, GridNode, HazardLead, ProcessInstance, Unit, User
from webapp.procedures.inspection import setup
from webapp.procedures.inspection.models import Hazard, Inspection
from webapp.procedures.inspection.referral_models import ReferralAddressee, ReportUp


def _town(session) -> GridNode:
    return session.scalar(select(GridNode).where(GridNode.name == "青石镇"))


def _queued_hazard_and_lead(app, session, login_as) -> tuple[Hazard, HazardLead]:
    """An open hazard from an inspection and an open patrol lead, both in 石桥村, reported up by its clerk."""
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T09:40"))
    unit = unit_in(session, "石桥村")
    case = start_inspection(login_as("inspector"), session, unit, {1: "私拉电线"})
    hazard = session.scalar(select(Inspection).where(Inspection.instance_id == case.id)).hazards[0]
    other = next(u for u in session.scalars(select(Unit).order_by(Unit.id.desc())) if u.grid.parent.name == "石桥村")
    lead = leads.report_lead(session, unit=other, source="巡查", source_id=1, category=other.category,
                             description="安全出口上锁", photos=[], user=None, now=clock.now())
    session.commit()
    village = login_as("clerk_shiqiao")
    page = village.get("/referrals/report").get_data(as_text=True)
    assert "私拉电线" in page and "安全出口上锁" in page
    assert village.post(f"/referrals/report?hazard_id={hazard.id}", {"note": "店主拒不整改"}).status_code == 302
    assert village.post(f"/referrals/report?lead_id={lead.id}", {"note": "多次劝导无效"}).status_code == 302
    again = village.post(f"/referrals/report?hazard_id={hazard.id}", {"note": "再报一次"})
    assert again.status_code == 400 and "已上报" in again.get_data(as_text=True)
    assert village.post(f"/referrals/report?hazard_id={hazard.id}", {"note": ""}).status_code == 400
    return hazard, lead


def _department_login(app, session, name: str, username: str):  # noqa: ANN202
    """A department an admin added, and a 接收部门 account the admin names for it (through the page)."""
    town = _town(session)
    receiver = setup.save_receiver(session, town, receiver_id=None, name=name, contact_person="何平",
                                   phone="0712-5861234", feedback_days=10)
    user = factories.user(session, username, "receiver", scope=town, display_name="何平")
    session.commit()
    return receiver, user


def _letter_text(content: bytes) -> str:
    return "\n".join(paragraph_text(p._p) for p in docx.Document(io.BytesIO(content)).paragraphs)


def test_village_reports_up_and_the_town_refers_two_items_to_two_departments(app, session, login_as, sign_in,
                                                                              tmp_path):
    hazard, lead = _queued_hazard_and_lead(app, session, login_as)
    safety, desk_user = _department_login(app, session, "青石镇安全生产监督管理站", "anjian")
    admin = login_as("admin")
    assert admin.post("/referrals/accounts", {"receiver_id": safety.id, "user_id": desk_user.id}).status_code == 302
    police = setup.receivers(session, _town(session))["police"]

    clerk = login_as("clerk")
    queue = clerk.get("/referrals/queue").get_data(as_text=True)
    reports = [int(i) for i in re.findall(r'name="report_ids" value="(\d+)"', queue)]
    assert len(reports) == 2 and "店主拒不整改" in queue
    form = {"report_ids": reports, "receiver_ids": [police.id, safety.id], "actions_taken": "村委会已多次督促整改。",
            "requested_action": "", "feedback_days": "15", "contact_name": "林晓雯", "contact_phone": "0712-5861002"}
    missing = clerk.post("/referrals/queue", {**form, "receiver_ids": []})
    assert missing.status_code == 400 and "请至少选择一个接收部门" in missing.get_data(as_text=True)
    assert clerk.post("/referrals/queue", form).status_code == 302

    session.expire_all()
    letter = session.scalar(select(Document).where(Document.template_key == "referral_letter"))
    content = app.extensions["firegrid.runtime"].documents.store.read(letter.file_sha256)
    text = _letter_text(content)
    assert f"{police.name}、青石镇安全生产监督管理站：" in text
    assert "私拉电线" in text and "安全出口上锁" in text and hazard.inspection.unit.name in text
    assert lead.unit.name in text and "15日内" in text
    check_gbt9704(content, "--allow-di", tmp_path=tmp_path, name="bundled-referral")
    assert {r.status for r in session.scalars(select(ReportUp))} == {"referred"}
    rows = list(session.scalars(select(ReferralAddressee).order_by(ReferralAddressee.id)))
    assert [r.receiver_id for r in rows] == [police.id, safety.id]
    assert all(r.due_on == date(2026, 9, 28) + timedelta(days=15) for r in rows)
    assert session.get(Hazard, hazard.id).status == "referred"

    desk = sign_in("anjian")
    assert desk.get("/").headers["Location"].endswith("/referrals/")
    entries = menu(desk, "/referrals/")
    assert "移交" in entries and not {"单位", "检查整改", "网格", "发起"} & set(entries)
    assert "移交" not in menu(login_as("clerk_shiqiao"))  # a village reports up from 检查整改
    own, police_row = rows[1], rows[0]
    listing = desk.get("/referrals/").get_data(as_text=True)
    assert letter.title in listing and f"/referrals/{police_row.id}\"" not in listing
    assert desk.get(f"/referrals/{own.id}/letter").status_code == 200
    for url in (f"/referrals/{police_row.id}", f"/referrals/{police_row.id}/letter", "/units/",
                f"/cases/{hazard.inspection.instance_id}", "/inspection/", "/referrals/queue"):
        assert desk.get(url).status_code == 403, url
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied",
                                                   AuditEvent.user_id == desk_user.id)) is not None

    app.extensions["firegrid.clock"].set(at("2026-10-09T10:00"))
    assert desk.post(f"/referrals/{own.id}", {"action": "accept", "accept-accepted_on": "2026-10-09",
                                              "accept-accepted_by": "何平"}).status_code == 302
    empty = desk.post(f"/referrals/{own.id}", {"action": "result", "result-feedback_on": "2026-10-09",
                                               "result-measures": "", "result-result": "已整改"})
    assert empty.status_code == 400 and "请填写采取的措施" in empty.get_data(as_text=True)
    done = desk.post(f"/referrals/{own.id}", {
        "action": "result", "result-feedback_on": "2026-10-09", "result-measures": "责令停止使用、现场督促",
        "result-result": "电线已重新敷设", "result-files": (io.BytesIO(PNG), "现场.png")},
        content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    session.expire_all()
    own = session.get(ReferralAddressee, own.id)
    assert own.status == "answered" and own.accepted_by == "何平" and own.files[0]["name"] == "现场.png"
    assert desk.get(f"/referrals/{own.id}/files/0").status_code == 200
    assert desk.get(f"/referrals/{own.id}/files/5").status_code == 404
    assert session.get(Hazard, hazard.id).status == "referred"  # the police have not answered yet

    # the police station has no login: the clerk records its result, and the joint referral is done
    assert clerk.post(f"/referrals/{police_row.id}", {
        "action": "result", "result-feedback_on": "2026-10-09", "result-measures": "约谈负责人",
        "result-result": "已整改"}, content_type="multipart/form-data").status_code == 302
    session.expire_all()
    assert session.get(Hazard, hazard.id).status == "closed"
    assert "电线已重新敷设" in clerk.get(f"/referrals/{own.id}").get_data(as_text=True)


def test_feedback_due_dates_remind_the_department_or_the_clerk(app, session, login_as, sign_in):
    _queued_hazard_and_lead(app, session, login_as)
    safety, desk_user = _department_login(app, session, "青石镇市场监督管理所", "shichang")
    login_as("admin").post("/referrals/accounts", {"receiver_id": safety.id, "user_id": desk_user.id})
    police = setup.receivers(session, _town(session))["police"]
    clerk = login_as("clerk")
    reports = [int(i) for i in re.findall(r'name="report_ids" value="(\d+)"',
                                          clerk.get("/referrals/queue").get_data(as_text=True))]
    clerk.post("/referrals/queue", {"report_ids": reports, "receiver_ids": [police.id, safety.id],
                                    "actions_taken": "已督促。", "feedback_days": "5", "contact_name": "林晓雯",
                                    "contact_phone": "0712-5861002"})
    runtime, clock = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T18:00"))  # due 10-03; one working day ahead (the default) is 09-29: not yet
    alerts.sweep(session, runtime, clock.now())
    assert session.scalars(select(Alert).where(Alert.dedupe_key.like("%:referral:%"))).first() is None
    clock.set(at("2026-09-30T08:00"))  # the next working day is 10-08 (国庆): due soon
    alerts.sweep(session, runtime, clock.now())
    soon = list(session.scalars(select(Alert).where(Alert.dedupe_key.like("due_soon:referral:%"))))
    assert desk_user.id in {a.recipient_id for a in soon} and soon[0].kind_label == "即将到期"
    assert {a.title.split("《")[0] for a in soon} == {"移交反馈：青石派出所", "移交反馈：青石镇市场监督管理所"}
    clock.set(at("2026-10-09T08:00"))  # overdue
    alerts.sweep(session, runtime, clock.now())
    overdue = list(session.scalars(select(Alert).where(Alert.dedupe_key.like("overdue:referral:%"))))
    clerk_id = session.scalar(select(User.id).where(User.username == "clerk"))
    assert desk_user.id in {a.recipient_id for a in overdue}  # the department's own login
    assert clerk_id in {a.recipient_id for a in overdue}  # the police have none: the clerk chases them
    alerts.sweep(session, runtime, clock.now())
    assert len(list(session.scalars(select(Alert).where(Alert.dedupe_key.like("overdue:referral:%"))))) == len(overdue)


def test_a_case_referral_joins_the_list_and_old_referrals_keep_their_receiver(app, session, login_as):
    """The 签发移交函 step of a case records its letter as a referral to the receiver it named."""
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T09:40"))
    unit = unit_in(session, "青石村")
    case = start_inspection(login_as("inspector"), session, unit, {1: "液化气瓶与明火同室"}, major=True)
    clerk, leader = login_as("clerk"), login_as("leader")
    clerk.post(f"/tasks/{clerk.inbox_task_id('拟制移交函')}", {
        "receiver_kind": "fire", "actions_taken": "已责令停用。", "requested_action": "", "feedback_days": "10",
        "contact_name": "林晓雯", "contact_phone": "0712-5861002"})
    leader.post(f"/tasks/{leader.inbox_task_id('签发移交函')}", {"decision": "approve"})
    session.expire_all()
    row = session.scalar(select(ReferralAddressee))
    assert row.receiver.kind == "fire" and row.due_on == date(2026, 10, 8)
    assert row.referral.inspection_id == session.scalar(
        select(Inspection.id).where(Inspection.instance_id == case.id))
    assert [i.description for i in row.referral.items] == ["液化气瓶与明火同室"]
    assert session.get(ProcessInstance, case.id).status == "running"
    clock.set(at("2026-10-06T10:00"))  # the clerk records the fire station's answer on the case
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('登记处理反馈')}", {
        "feedback_on": "2026-10-06", "measures": "查封", "result": "已整改",
        "feedback_scan": (io.BytesIO(PNG), "reply.png")}, content_type="multipart/form-data").status_code == 302
    session.expire_all()
    row = session.get(ReferralAddressee, row.id)
    assert (row.status, row.measures, row.feedback_on) == ("answered", "查封", date(2026, 10, 6))
    assert session.get(ProcessInstance, case.id).status == "completed"


def test_a_queued_hazard_the_case_has_settled_since_is_not_referred(app, session, login_as):
    """Reported up while open, then rectified at 复查: the town's bundle refuses it (else 已整改 became 已移交)."""
    hazard, _lead = _queued_hazard_and_lead(app, session, login_as)
    hazard.status = "rectified"  # as the case's 复查 records it
    session.commit()
    police = setup.receivers(session, _town(session))["police"]
    clerk = login_as("clerk")
    report = session.scalar(select(ReportUp.id).where(ReportUp.hazard_id == hazard.id))
    refused = clerk.post("/referrals/queue", {"report_ids": [report], "receiver_ids": [police.id],
                                              "actions_taken": "已督促。", "feedback_days": "5",
                                              "contact_name": "林晓雯", "contact_phone": "0712-5861002"})
    assert refused.status_code == 400 and "已整改" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Hazard, hazard.id).status == "rectified"
    assert session.scalar(select(ReportUp.status).where(ReportUp.id == report)) == "queued"


def _case_referred_to(app, session, login_as, kinds: list[str]):  # noqa: ANN202
    """A major hazard goes straight to 拟制移交函; the clerk refers it to `kinds`, the leader signs."""
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    case = start_inspection(login_as("inspector"), session, unit_in(session, "青石村"), {1: "液化气瓶与明火同室"},
                            major=True)
    clerk, leader = login_as("clerk"), login_as("leader")
    draft = clerk.inbox_task_id("拟制移交函")
    form = {"receiver_kind": kinds, "actions_taken": "已责令停用。", "requested_action": "", "feedback_days": "10",
            "contact_name": "林晓雯", "contact_phone": "0712-5861002"}
    none = clerk.post(f"/tasks/{draft}", {**form, "receiver_kind": []})
    assert none.status_code == 400 and "请至少选择一个移交对象" in none.get_data(as_text=True)
    assert clerk.post(f"/tasks/{draft}", form).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发移交函')}", {"decision": "approve"}).status_code == 302
    session.expire_all()
    return case, clerk


def _seen_status(page: str) -> str:
    return re.search(r'name="result-seen_status" type="hidden" value="(\w*)"', page).group(1)


def _answer(desk, row_id: int, result: str, seen: str | None = None, **extra):  # noqa: ANN202
    seen = seen if seen is not None else _seen_status(desk.get(f"/referrals/{row_id}").get_data(as_text=True))
    return desk.post(f"/referrals/{row_id}", {
        "action": "result", "result-feedback_on": "2026-10-06", "result-measures": "责令停用、现场督促",
        "result-result": result, "result-seen_status": seen, **extra}, content_type="multipart/form-data")


def _clerk_feedback(clerk, task_id: int | None = None):  # noqa: ANN202
    return clerk.post(f"/tasks/{task_id or clerk.inbox_task_id('登记处理反馈')}", {
        "feedback_on": "2026-10-06", "measures": "约谈负责人", "result": "派出所已责令整改",
        "feedback_scan": (io.BytesIO(PNG), "reply.png")}, content_type="multipart/form-data")


def test_a_joint_case_referral_waits_for_every_department_or_the_clerk_records_the_rest(app, session, login_as,
                                                                                       sign_in):
    """One letter to the police and a department with its own login (联合处置): the department's answer leaves
    the case's 登记处理反馈 open; the clerk's feedback there records the police only."""
    safety, desk_user = _department_login(app, session, "青石镇安全生产监督管理站", "anjian")
    login_as("admin").post("/referrals/accounts", {"receiver_id": safety.id, "user_id": desk_user.id})
    case, clerk = _case_referred_to(app, session, login_as, ["police", safety.kind])
    police = setup.receivers(session, _town(session))["police"]
    letter = session.scalar(select(Document).where(Document.template_key == "referral_letter"))
    text = _letter_text(app.extensions["firegrid.runtime"].documents.store.read(letter.file_sha256))
    assert f"{police.name}、青石镇安全生产监督管理站：" in text
    rows = list(session.scalars(select(ReferralAddressee).order_by(ReferralAddressee.id)))
    assert [r.receiver_id for r in rows] == [police.id, safety.id] and len({r.referral_id for r in rows}) == 1
    inspection = session.get(Inspection, rows[0].referral.inspection_id)
    assert inspection.referral_receiver == f"{police.name}、青石镇安全生产监督管理站"

    app.extensions["firegrid.clock"].set(at("2026-10-06T10:00"))
    desk = sign_in("anjian")
    assert _answer(desk, rows[1].id, "已查封液化气瓶", **{"result-files": (io.BytesIO(PNG), "查封.png")}
                   ).status_code == 302
    session.expire_all()
    assert session.get(ProcessInstance, case.id).status == "running"  # the police have not answered
    task = clerk.inbox_task_id("登记处理反馈")
    page = clerk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已查封液化气瓶（本部门账号反馈：何平）" in page and f"移交{police.name}" in page

    assert _clerk_feedback(clerk, task).status_code == 302
    session.expire_all()
    assert session.get(ProcessInstance, case.id).status == "completed"
    own, theirs = session.get(ReferralAddressee, rows[1].id), session.get(ReferralAddressee, rows[0].id)
    assert (own.result, own.recorded_by_id) == ("已查封液化气瓶", desk_user.id)  # the department's answer stands
    assert (theirs.status, theirs.result) == ("answered", "派出所已责令整改")


def test_a_department_answering_after_the_clerk_is_recorded_and_a_stale_answer_is_told(app, session, login_as,
                                                                                      sign_in):
    """Two answers to one case referral: the one recorded first wins and the other is told, nothing half-saved;
    the department's later answer is still recorded, and the case stays finished."""
    safety, desk_user = _department_login(app, session, "青石镇安全生产监督管理站", "anjian")
    login_as("admin").post("/referrals/accounts", {"receiver_id": safety.id, "user_id": desk_user.id})
    case, clerk = _case_referred_to(app, session, login_as, [safety.kind])
    row = session.scalar(select(ReferralAddressee))
    app.extensions["firegrid.clock"].set(at("2026-10-06T10:00"))
    desk = sign_in("anjian")
    seen = _seen_status(desk.get(f"/referrals/{row.id}").get_data(as_text=True))
    assert seen == "sent"
    assert _clerk_feedback(clerk).status_code == 302  # the clerk's answer on the case lands first

    stale = _answer(desk, row.id, "已查封液化气瓶", seen)
    assert stale.status_code == 400 and "刚才已有人登记了该移交事项的处理结果" in stale.get_data(as_text=True)
    session.expire_all()
    assert session.get(ReferralAddressee, row.id).result == "派出所已责令整改"
    page = stale.get_data(as_text=True)
    assert "镇（街道）代为登记" in page and _seen_status(page) == "answered"
    assert _answer(desk, row.id, "已查封液化气瓶").status_code == 302  # recorded, the case untouched
    session.expire_all()
    row = session.get(ReferralAddressee, row.id)
    assert (row.result, row.recorded_by_id) == ("已查封液化气瓶", desk_user.id)
    again = _answer(desk, row.id, "重复提交的结果", "answered")  # the same page sent twice: its own answer stands
    assert again.status_code == 400
    session.expire_all()
    assert session.get(ReferralAddressee, row.id).result == "已查封液化气瓶"
    assert session.get(ProcessInstance, case.id).status == "completed"
    assert _feedback_result(session, case.id) == "派出所已责令整改"
    assert "提交处理结果" not in desk.get(f"/referrals/{row.id}").get_data(as_text=True)  # its own answer stands

    # the other way round: the department's answer completes the step the clerk has open on screen
    second, clerk = _case_referred_to(app, session, login_as, [safety.kind])
    row = session.scalar(select(ReferralAddressee).order_by(ReferralAddressee.id.desc()))
    task = clerk.inbox_task_id("登记处理反馈")
    app.extensions["firegrid.clock"].set(at("2026-10-06T11:00"))
    assert _answer(desk, row.id, "已查封液化气瓶").status_code == 302
    late = _clerk_feedback(clerk, task)
    assert late.status_code != 302 and "已由他人办理" in late.get_data(as_text=True)
    session.expire_all()
    assert session.get(ProcessInstance, second.id).status == "completed"
    assert _feedback_result(session, second.id) == "已查封液化气瓶"
    step = session.scalar(select(CaseEvent).where(CaseEvent.instance_id == second.id,
                                                  CaseEvent.step_key == "record_feedback"))
    assert step.user_id == desk_user.id and "已反馈处理结果" in step.opinion
    assert session.scalar(select(AuditEvent).where(
        AuditEvent.action == "task_complete", AuditEvent.object_id == str(second.id),
        AuditEvent.user_id == desk_user.id))


def _feedback_result(session, case_id: int) -> str:
    return session.scalar(select(Inspection.feedback_result).where(Inspection.instance_id == case_id))


def test_a_case_referral_to_a_department_without_a_login_reminds_the_clerks_once(app, session, login_as):
    """The case's 登记处理反馈 step already reminds the clerks of the feedback date: no second due item."""
    case, _clerk = _case_referred_to(app, session, login_as, ["fire"])
    runtime, clock = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"]
    clock.set(at("2026-10-09T08:00"))  # due 10-08: overdue
    alerts.sweep(session, runtime, clock.now())
    clerk_id = session.scalar(select(User.id).where(User.username == "clerk"))
    overdue = list(session.scalars(select(Alert).where(Alert.recipient_id == clerk_id,
                                                       Alert.dedupe_key.like("overdue:%"))))
    assert len(overdue) == 1 and "登记处理反馈" in overdue[0].title, [a.title for a in overdue]
    assert session.get(ProcessInstance, case.id).status == "running"


def test_the_clerk_and_the_department_answering_at_once_one_wins_the_other_is_told(app, session, login_as):
    """Real threads: the clerk completes 登记处理反馈 on the case while the department records its result."""
    from tests.thread_support import run_in_threads
    from webapp.cases import actions
    from webapp.extensions import db
    from webapp.procedures.inspection import referrals
    from webapp.services.errors import DomainError

    safety, desk_user = _department_login(app, session, "青石镇安全生产监督管理站", "anjian")
    login_as("admin").post("/referrals/accounts", {"receiver_id": safety.id, "user_id": desk_user.id})
    case, clerk = _case_referred_to(app, session, login_as, [safety.kind])
    row_id = session.scalar(select(ReferralAddressee.id))
    task_id = clerk.inbox_task_id("登记处理反馈")
    runtime, clock = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"]
    clock.set(at("2026-10-06T10:00"))

    def answer(index):
        if index == 0:
            return actions.submit_task(db.session, runtime, user=db.session.scalar(
                select(User).where(User.username == "clerk")), work_task_id=task_id, now=clock.now(),
                data={"feedback_on": "2026-10-06", "measures": "约谈负责人", "result": "镇代为登记"})
        return referrals.record_result(
            db.session, runtime, db.session.get(ReferralAddressee, row_id), feedback_on=date(2026, 10, 6),
            measures="责令停用", result="部门自行反馈", files=[], seen_status="sent",
            user=db.session.get(User, desk_user.id), now=clock.now())

    results = run_in_threads(app, 2, answer)
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and isinstance(failed[0], DomainError), results
    session.expire_all()
    winner = "镇代为登记" if failed[0] is results[1] else "部门自行反馈"
    assert session.get(ReferralAddressee, row_id).result == winner
    assert _feedback_result(session, case.id) == winner
    assert session.get(ProcessInstance, case.id).status == "completed"
    assert len([e for e in session.scalars(select(CaseEvent).where(CaseEvent.instance_id == case.id))
                if e.step_key == "record_feedback"]) == 1


def test_the_clerk_recording_a_departments_answer_under_referrals_completes_the_case_step(app, session, login_as):
    """A department without a login: its answer recorded by the clerk on the referral page is the case's
    feedback too (the clerk does not type it a second time on the case)."""
    case, clerk = _case_referred_to(app, session, login_as, ["police"])
    row = session.scalar(select(ReferralAddressee))
    app.extensions["firegrid.clock"].set(at("2026-10-06T10:00"))
    assert _answer(clerk, row.id, "已当场查封").status_code == 302
    session.expire_all()
    assert session.get(ProcessInstance, case.id).status == "completed"
    assert _feedback_result(session, case.id) == "已当场查封"
    assert "登记处理反馈" not in clerk.get("/tasks/").get_data(as_text=True)
