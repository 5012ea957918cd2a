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
from webapp.models import Alert, AuditEvent, Document, GridNode, HazardLead, ProcessInstance, Unit, User
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
