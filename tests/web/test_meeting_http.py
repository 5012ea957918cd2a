"""Issue 8 part 2 through HTTP: a meeting case to an issued 纪要 (第N期), and the decision follow-up.
(The 会议通知 of the scheduling step: tests/web/test_meeting_notice.py.)"""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import quote

import docx
from docx.oxml.ns import qn
from sqlalchemy import select

from tests.docx_checks import assert_minutes_format, check_gbt9704, staged_preview_text
from webapp.clock import TZ
from webapp.demo.scans import photo_png
from webapp.models import CommitteeMember, Document, GridNode, WorkTask
from webapp.procedures.meeting.models import Meeting, MeetingDecision

PNG = photo_png(1)  # a real image: uploads are decoded


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _task(session, step_key: str) -> int:
    session.expire_all()
    task = session.scalar(select(WorkTask).where(WorkTask.step_key == step_key))
    assert task is not None, f"no {step_key} task"
    return task.id


def _ids(session) -> dict:
    village = session.scalar(select(GridNode).where(GridNode.name == "石桥村"))
    police = session.scalar(select(CommitteeMember).where(CommitteeMember.organ == "青石派出所"))
    return {"village": f"village:{village.id}", "police": f"member:{police.id}"}


SCHEDULE = {"series_key": "joint", "place": "镇政府三楼会议室", "chair": "郑国栋", "recorder": "林晓雯",
            "invited": ["青石派出所", "青石村村民委员会", "青石镇综治办"], "start_time": "09:00",
            "agenda": "通报隐患整改情况", "requirements": "确需请假的，须会前书面请假。", "contact": "林晓雯",
            "contact_phone": "0571-86120119"}
ATTENDANCE = {"attendees": "青石派出所 罗振华\n青石村村民委员会  孔德厚", "absentees": "青石镇综治办 陶丽君 因公出差",
              "observers": "江岸区消防救援大队 方志远", "agenda": "通报隐患整改情况\n部署夏季检查",
              "summary": "会议听取了各单位工作汇报", "attachments": "第一季度火灾隐患整改清单"}


def _decision_rows(ids: dict, village_deadline: str, police_deadline: str) -> dict:
    return {
        "decisions-0-title": "抓好隐患整改", "decisions-0-text": "对检查发现的隐患实行清单管理",
        "decisions-0-owner": ids["village"], "decisions-0-deadline": village_deadline,
        "decisions-1-title": "清理电动车违规充电", "decisions-1-text": "联合开展夜查",
        "decisions-1-owner": ids["police"], "decisions-1-deadline": police_deadline,
    }


def _schedule(clerk, session, held_on: str) -> None:
    """安排会议, then 会议通知印发 (the drafted notice issued as it is)."""
    assert clerk.post(f"/tasks/{_task(session, 'schedule')}", {**SCHEDULE, "held_on": held_on}).status_code == 302
    assert clerk.post(f"/tasks/{_task(session, 'notice')}", {"decision": "approve"}).status_code == 302


def _run_meeting(app, session, clerk, leader, held_on: str, deadlines: tuple[str, str], send_back: bool = False):
    clock = app.extensions["firegrid.clock"]
    clock.set(at(f"{held_on}T08:00"))
    assert clerk.post("/procedures/meeting/start", {"series_key": "joint", "held_on": held_on}).status_code == 302
    _schedule(clerk, session, held_on)
    record = _task(session, "record")
    rows = _decision_rows(_ids(session), *deadlines)
    assert clerk.post(f"/tasks/{record}", {**ATTENDANCE, **rows}).status_code == 302
    if send_back:
        sign = _task(session, "sign")
        assert leader.post(f"/tasks/{sign}", {"decision": "send_back", "opinion": "请补充议题"}).status_code == 302
        page = clerk.get(f"/tasks/{_task(session, 'record')}").get_data(as_text=True)
        assert "请补充议题" in page and "孔德厚" in page and "抓好隐患整改" in page
        clerk.post(f"/tasks/{_task(session, 'record')}", {**ATTENDANCE, **rows})
    clock.set(at(f"{held_on}T15:00"))
    sign = _task(session, "sign")
    preview = leader.get(f"/tasks/{sign}/preview/minutes.docx")
    assert preview.status_code == 200 and preview.mimetype.endswith("document")
    assert leader.post(f"/tasks/{sign}", {"decision": "approve", "opinion": "同意"}).status_code == 302
    distribute = _task(session, "distribute")
    assert clerk.post(f"/tasks/{distribute}", {"recipients": ["青石派出所", "青石村村民委员会"]}).status_code == 302
    session.expire_all()
    return session.scalars(select(Meeting).order_by(Meeting.id)).all()[-1]


def _docx_text(browser, document_id: int) -> tuple[bytes, list[str]]:
    response = browser.get(f"/documents/{document_id}.docx")
    assert response.status_code == 200
    content = response.get_data()
    body = docx.Document(io.BytesIO(content)).element.body
    return content, ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def test_meeting_minutes_numbered_and_listing_attendance(app, session, login_as, tmp_path):
    clerk, leader = login_as("clerk"), login_as("leader")
    first = _run_meeting(app, session, clerk, leader, "2026-03-10", ("2026-03-31", "2026-04-15"), send_back=True)
    assert first.status == "issued" and first.issue_no == 1
    assert first.distributed_to == ["青石派出所", "青石村村民委员会"]
    detail = clerk.get(f"/cases/{first.instance_id}").get_data(as_text=True)
    assert "已分送" in detail and "青石镇综治办 陶丽君（因公出差）" in detail
    content, lines = _docx_text(clerk, first.document_id)
    assert "青石镇消防安全联席会议纪要" in lines and "第1期" in lines
    assert "出席：青石派出所 罗振华，青石村村民委员会 孔德厚" in lines
    assert "请假：青石镇综治办 陶丽君（因公出差）" in lines
    assert "列席：江岸区消防救援大队 方志远" in lines
    assert any(line.startswith("一、抓好隐患整改") for line in lines)
    assert any("责任单位：石桥村" in line and "2026年3月31日前" in line for line in lines)
    assert_minutes_format(content, mark="青石镇消防安全联席会议纪要", issue_no=1, attendance={
        "出席": "青石派出所 罗振华，青石村村民委员会 孔德厚", "请假": "青石镇综治办 陶丽君（因公出差）",
        "列席": "江岸区消防救援大队 方志远"})
    check_gbt9704(content, "--no-header", tmp_path=tmp_path, name="minutes-1")

    second = _run_meeting(app, session, clerk, leader, "2026-05-11", ("2026-05-31", "2026-06-15"))
    assert second.issue_no == 2
    content, lines = _docx_text(clerk, second.document_id)
    assert "第2期" in lines and "第1期" not in lines
    assert_minutes_format(content, mark="青石镇消防安全联席会议纪要", issue_no=2, attendance={})
    numbers = [d.number for d in session.scalars(select(Document).where(Document.template_key == "minutes")
                                                 .order_by(Document.id))]
    assert numbers == ["青石镇消防安全联席会议纪要第1期", "青石镇消防安全联席会议纪要第2期"]
    plan = clerk.get("/meetings/plan?year=2026").get_data(as_text=True)
    assert "已召开 <strong>2</strong> 次" in plan and "未召开（已逾期）" in plan


def test_minutes_draft_previews_as_typed_and_records_nothing(app, session, login_as):
    clerk = login_as("clerk")
    app.extensions["firegrid.clock"].set(at("2026-03-10T08:00"))
    clerk.post("/procedures/meeting/start", {"series_key": "joint", "held_on": "2026-03-10"})
    _schedule(clerk, session, "2026-03-10")
    record = _task(session, "record")
    rows = _decision_rows(_ids(session), "2026-03-31", "2026-04-15")
    lines = staged_preview_text(clerk, clerk.post(f"/tasks/{record}/preview", {**ATTENDANCE, **rows})).splitlines()
    assert "请假：青石镇综治办 陶丽君（因公出差）" in lines  # the typed lines, as the 纪要 prints them
    assert any(line.startswith("一、抓好隐患整改") for line in lines)
    session.expire_all()
    meeting = session.scalars(select(Meeting)).one()
    assert meeting.attendees == [] and meeting.status != "held" and _task(session, "record") == record


def test_invalid_input_re_renders_with_chinese_errors(app, session, login_as):
    clerk = login_as("clerk")
    app.extensions["firegrid.clock"].set(at("2026-03-05T09:00"))
    bad_start = clerk.post("/procedures/meeting/start", {"series_key": "joint", "held_on": ""})
    assert bad_start.status_code == 400 and "请填写会议日期" in bad_start.get_data(as_text=True)
    clerk.post("/procedures/meeting/start", {"series_key": "joint", "held_on": "2026-03-10"})
    schedule = _task(session, "schedule")
    bad = clerk.post(f"/tasks/{schedule}", {**SCHEDULE, "held_on": "2026-03-10", "place": "", "chair": "郑<国栋>"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请填写会议地点" in page and "郑&lt;国栋&gt;" in page
    _schedule(clerk, session, "2026-03-10")
    record = _task(session, "record")
    rows = _decision_rows(_ids(session), "2026-03-31", "")
    rows["decisions-1-owner"] = ""
    bad = clerk.post(f"/tasks/{record}", {**ATTENDANCE, "absentees": "青石镇综治办 陶丽君", **rows})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "格式不对" in page and "请选择责任单位" in page and "请填写完成时限" in page
    assert "清理电动车违规充电" in page and "孔德厚" in page
    empty = clerk.post(f"/tasks/{record}", {**ATTENDANCE})
    assert empty.status_code == 400 and "请至少填写一项议定事项" in empty.get_data(as_text=True)


def test_decisions_follow_up_by_scope_overdue_and_next_meeting(app, session, login_as):
    clerk, leader, village_clerk = login_as("clerk"), login_as("leader"), login_as("clerk_shiqiao")
    _run_meeting(app, session, clerk, leader, "2026-03-10", ("2026-03-31", "2026-04-15"))
    village_item = session.scalar(select(MeetingDecision).where(MeetingDecision.owner_name == "石桥村"))
    police_item = session.scalar(select(MeetingDecision).where(MeetingDecision.owner_name == "青石派出所"))

    page = village_clerk.get("/meetings/decisions").get_data(as_text=True)
    assert "抓好隐患整改" in page and "清理电动车违规充电" not in page and "tag overdue" not in page
    assert f"/meetings/decisions/{village_item.id}/report" in page
    town_page = clerk.get("/meetings/decisions").get_data(as_text=True)
    assert "抓好隐患整改" in town_page and f"/meetings/decisions/{police_item.id}/report" in town_page
    assert f"/meetings/decisions/{village_item.id}/report" not in town_page
    assert village_clerk.get(f"/meetings/decisions/{police_item.id}/report").status_code == 403
    assert clerk.post(f"/meetings/decisions/{village_item.id}/report", {"text": "代报"}).status_code == 403

    app.extensions["firegrid.clock"].set(at("2026-04-01T09:00"))
    overdue = village_clerk.get("/meetings/decisions?show=overdue").get_data(as_text=True)
    assert "抓好隐患整改" in overdue and "已逾期" in overdue
    assert "已逾期 <strong>1</strong> 项" in clerk.get("/meetings/decisions").get_data(as_text=True)

    url = f"/meetings/decisions/{village_item.id}/report"
    empty = village_clerk.post(url, {"text": ""})
    assert empty.status_code == 400 and "请填写完成情况" in empty.get_data(as_text=True)
    done = village_clerk.post(url, {"text": "已整改12处", "attachment": (io.BytesIO(PNG), "照片.png")},
                              content_type="multipart/form-data")
    assert done.status_code == 302
    session.expire_all()
    assert session.get(MeetingDecision, village_item.id).status == "done"
    download = village_clerk.get(f"/meetings/decisions/{village_item.id}/file")
    assert download.get_data() == PNG and download.headers["Content-Disposition"].endswith(quote("照片.png"))
    assert download.headers["Content-Security-Policy"] == "sandbox"

    app.extensions["firegrid.clock"].set(at("2026-05-06T09:00"))
    clerk.post("/procedures/meeting/start", {"series_key": "joint", "held_on": "2026-05-11"})
    schedule_page = clerk.get(f"/tasks/{_task(session, 'schedule')}").get_data(as_text=True)
    open_section = schedule_page.split('id="open-decisions"')[1]
    assert "清理电动车违规充电" in open_section and "已逾期" in open_section and "抓好隐患整改" not in open_section
    _schedule(clerk, session, "2026-05-11")
    record_page = clerk.get(f"/tasks/{_task(session, 'record')}").get_data(as_text=True)
    assert "清理电动车违规充电" in record_page.split('id="open-decisions"')[1]


def test_minutes_wait_for_the_meeting_day(app, session, login_as):
    clerk, leader = login_as("clerk"), login_as("leader")
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-05-06T09:00"))
    assert clerk.post("/procedures/meeting/start", {"series_key": "joint", "held_on": "2026-05-08"}).status_code == 302
    _schedule(clerk, session, "2026-05-08")
    rows = _decision_rows(_ids(session), "2026-06-30", "2026-06-30")
    early = clerk.post(f"/tasks/{_task(session, 'record')}", {**ATTENDANCE, **rows})
    assert early.status_code == 400 and "会议定于2026-05-08召开，会后才能记录纪要。" in early.get_data(as_text=True)
    clock.set(at("2026-05-08T16:00"))
    assert clerk.post(f"/tasks/{_task(session, 'record')}", {**ATTENDANCE, **rows}).status_code == 302
    session.scalar(select(Meeting)).held_on = at("2026-05-09T00:00").date()  # postponed after the record
    session.commit()
    refused = leader.post(f"/tasks/{_task(session, 'sign')}", {"decision": "approve"})
    assert refused.status_code == 400 and "纪要不能在会议之前签发" in refused.get_data(as_text=True)
    assert session.scalar(select(Document).where(Document.template_key == "minutes")) is None
