"""会议通知 through HTTP: 安排会议 drafts the red-header notice to the attending units, 会议通知印发 numbers and
stores it with the meeting case (nothing numbered before, nothing kept when issuing fails); one sitting
counts for several series on the yearly plan."""

from __future__ import annotations

import io
import shutil

import docx
import pytest
from sqlalchemy import func, select

from tests.docx_checks import (
    assert_red_header_document,
    check_gbt9704,
    check_pdf_text,
    docx_all_text,
    staged_preview_text,
)
from tests.web.test_meeting_http import _task, at
from webapp.models import Document, IssuedNumber, NumberSequence
from webapp.procedures.meeting.models import Meeting, MeetingSeries
from webapp.services import documents as document_service

MEMBERS = ["松林派出所", "示例区消防救援大队松林消防救援站"]


def _schedule_form(**changes: object) -> dict:
    form = {"series_key": "joint", "held_on": "2026-03-10", "start_time": "14:30", "place": "镇政府三楼会议室",
            "chair": "郝国强", "recorder": "苏晓梅", "invited": MEMBERS,
            "agenda": "通报一季度火灾隐患整改情况\n部署春季消防安全检查",
            "requirements": "确因特殊情况不能参会的，须于会前1个工作日书面请假。", "contact": "苏晓梅",
            "contact_phone": "0571-86120119"}
    return {**form, **changes}


def _start(app, session, clerk, **changes: object) -> int:
    """Open a meeting case and submit 安排会议; returns the case id (the 会议通知印发 task is next)."""
    app.extensions["firegrid.clock"].set(at("2026-03-05T09:00"))
    form = _schedule_form(**changes)
    start = {"series_key": form["series_key"], "held_on": form["held_on"]}
    assert clerk.post("/procedures/meeting/start", start).status_code == 302
    assert clerk.post(f"/tasks/{_task(session, 'schedule')}", form).status_code == 302
    return session.scalar(select(Meeting)).instance_id


def _numbers_used(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(IssuedNumber))


def _notice(session) -> Document:
    session.expire_all()
    return session.scalar(select(Document).where(Document.template_key == "notice"))


def test_schedule_drafts_the_notice_and_issuing_numbers_it(app, session, sign_in, small_town, tmp_path):
    clerk = sign_in("clerk")
    case_id = _start(app, session, clerk)
    notice_task = _task(session, "notice")
    draft = staged_preview_text(clerk, clerk.get(f"/tasks/{notice_task}")).splitlines()
    assert "松林镇消防安全委员会文件" in draft and "关于召开2026年3月双月联席会议的通知" in draft
    assert "松林派出所、示例区消防救援大队松林消防救援站：" in draft
    assert "2026年3月10日（星期二）下午2:30" in draft and "镇政府三楼会议室" in draft
    assert "联系人：苏晓梅，联系电话：0571-86120119。" in draft
    assert _numbers_used(session) == 0 and _notice(session) is None  # a draft: no number, nothing stored

    assert clerk.post(f"/tasks/{notice_task}", {"decision": "approve", "cc": "松林镇人民政府"}).status_code == 302
    notice = _notice(session)
    assert notice.number == "松林消安委发〔2026〕1号" and notice.instance_id == case_id
    assert notice.step_key == "notice" and notice.status == "issued" and _numbers_used(session) == 1
    assert _task(session, "record")  # the case goes on to the meeting itself
    record_page = clerk.get(f"/tasks/{_task(session, 'record')}").get_data(as_text=True)
    assert "部署春季消防安全检查" in record_page  # the agenda carries over to the 纪要 draft
    case_page = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/documents/{notice.id}.docx" in case_page and "松林消安委发〔2026〕1号" in case_page

    content = clerk.get(f"/documents/{notice.id}.docx").data
    opened = docx.Document(io.BytesIO(content))
    assert opened.paragraphs
    text = docx_all_text(content)
    for expected in ("关于召开2026年3月双月联席会议的通知", "松林派出所、示例区消防救援大队松林消防救援站：",
                     "会议时间", "会议地点", "参会人员", "会议议程", "有关要求", "联系方式",
                     "松林派出所、示例区消防救援大队松林消防救援站主要负责同志各1名。", "通报一季度火灾隐患整改情况",
                     "确因特殊情况不能参会的，须于会前1个工作日书面请假。", "抄送：松林镇人民政府。",
                     "松林镇消防安全委员会办公室", "2026年3月5日印发"):
        assert expected in text, expected
    assert_red_header_document(content, mark="松林镇消防安全委员会文件", number="松林消安委发〔2026〕1号",
                               title="关于召开2026年3月双月联席会议的通知", body=("现将有关事项通知如下",))
    check_gbt9704(content, tmp_path=tmp_path, name="meeting-notice")


def test_office_convened_series_and_a_failed_issue_keeps_no_number(app, session, sign_in, small_town, monkeypatch):
    quarterly = session.scalar(select(MeetingSeries).where(MeetingSeries.key == "quarterly"))
    assert quarterly.notice_prefix_key == "office_notice"  # the government's work meeting: 党政办 convenes it
    clerk = sign_in("clerk")
    _start(app, session, clerk, series_key="quarterly")
    notice_task = _task(session, "notice")

    def broken_record(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - after the number was allocated
        raise RuntimeError("disk full")

    monkeypatch.setattr(document_service, "_record", broken_record)
    failed = clerk.post(f"/tasks/{notice_task}", {"decision": "approve"})
    assert failed.status_code == 400 and "文号未被占用" in failed.get_data(as_text=True)
    assert _numbers_used(session) == 0 and _notice(session) is None
    assert (session.scalar(select(NumberSequence.last_serial)) or 0) == 0
    assert _task(session, "notice") == notice_task

    monkeypatch.undo()
    assert clerk.post(f"/tasks/{notice_task}", {"decision": "approve"}).status_code == 302
    notice = _notice(session)
    assert notice.number == "松林党政办发〔2026〕1号"
    text = docx_all_text(app.extensions["firegrid.runtime"].documents.store.read(notice.file_sha256))
    assert "松林镇党政办公室文件" in text and "关于召开2026年3月季度消防工作会议的通知" in text


def test_schedule_errors_beside_the_fields_and_send_back_to_reschedule(app, session, sign_in, small_town):
    clerk = sign_in("clerk")
    app.extensions["firegrid.clock"].set(at("2026-03-05T09:00"))
    clerk.post("/procedures/meeting/start", {"series_key": "joint", "held_on": "2026-03-10"})
    schedule = _task(session, "schedule")
    form = clerk.get(f"/tasks/{schedule}").get_data(as_text=True)
    assert "请假" in form and 'value="苏晓梅"' in form  # the usual requirements and the clerk as contact
    bad = clerk.post(f"/tasks/{schedule}", _schedule_form(start_time="九点", contact_phone="12345", agenda="",
                                                          extra_series=["joint"]))
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("请按“09:00”的格式填写开始时间。", "格式不正确", "请填写会议议程。", "同时计入的系列不必包含"):
        assert message in page, message
    typed = staged_preview_text(clerk, clerk.post(f"/tasks/{schedule}/preview", _schedule_form(place="礼堂")))
    assert "关于召开2026年3月双月联席会议的通知" in typed and "礼堂" in typed  # 预览 while scheduling
    assert _numbers_used(session) == 0 and _task(session, "schedule") == schedule
    assert clerk.post(f"/tasks/{schedule}", _schedule_form()).status_code == 302
    back = clerk.post(f"/tasks/{_task(session, 'notice')}", {"decision": "send_back", "opinion": "地点有变"})
    assert back.status_code == 302 and _numbers_used(session) == 0
    moved = _schedule_form(place="镇综治中心会议室")
    assert clerk.post(f"/tasks/{_task(session, 'schedule')}", moved).status_code == 302
    clerk.post(f"/tasks/{_task(session, 'notice')}", {"decision": "approve"})
    assert "镇综治中心会议室" in docx_all_text(
        app.extensions["firegrid.runtime"].documents.store.read(_notice(session).file_sha256))


def test_one_sitting_counts_for_two_series_on_the_plan(app, session, sign_in, small_town):
    clerk = sign_in("clerk")
    _start(app, session, clerk, extra_series=["quarterly"])
    clerk.post(f"/tasks/{_task(session, 'notice')}", {"decision": "approve"})
    assert "关于召开2026年3月双月联席会议暨季度消防工作会议的通知" in _notice(session).title
    app.extensions["firegrid.clock"].set(at("2026-03-10T16:00"))
    record = {"attendees": "松林派出所 罗明\n示例区消防救援大队松林消防救援站 何亮", "agenda": "通报工作",
              "summary": "会议研究了春季消防工作", "decisions-0-title": "开展春季检查", "decisions-0-text": "逐户检查",
              "decisions-0-owner": f"village:{small_town.village.id}", "decisions-0-deadline": "2026-04-10"}
    assert clerk.post(f"/tasks/{_task(session, 'record')}", record).status_code == 302
    meeting = session.scalar(select(Meeting))
    assert [s.key for s in meeting.all_series] == ["joint", "quarterly"] and meeting.status == "held"

    plan = clerk.get("/meetings/plan?year=2026").get_data(as_text=True)
    sections = {part.split("<", 1)[0].strip(): part for part in plan.split("<h2>")[1:]}
    assert "已召开 <strong>1</strong> 次" in sections["双月联席会议"]
    assert "已召开 <strong>1</strong> 次" in sections["季度消防工作会议"]
    assert "（双月联席会议，同时计入）" in sections["季度消防工作会议"]
    assert "已召开 <strong>0</strong> 次" in sections["月度消委会会议"]  # not ticked: still missed
    case_page = clerk.get(f"/cases/{meeting.instance_id}").get_data(as_text=True)
    assert "同时计入" in case_page and "季度消防工作会议" in case_page


def test_series_page_sets_the_convening_organ(app, session, sign_in, small_town):
    admin = sign_in("admin")
    joint = session.scalar(select(MeetingSeries).where(MeetingSeries.key == "joint"))
    page = admin.get(f"/meetings/series?series_id={joint.id}").get_data(as_text=True)
    assert "会议通知发文机关" in page and "消防安全委员会（消安委）" in page
    saved = admin.post(f"/meetings/series?series_id={joint.id}", {
        "name": joint.name, "interval_months": "2", "issuer": joint.issuer, "notice_prefix_key": "office_notice"})
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(MeetingSeries, joint.id).notice_prefix_key == "office_notice"
    assert "党政办公室（党政办）" in admin.get("/meetings/series").get_data(as_text=True)


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_notice_pdf_drops_no_characters(app, session, sign_in, small_town, tmp_path):
    clerk = sign_in("clerk")
    _start(app, session, clerk)
    clerk.post(f"/tasks/{_task(session, 'notice')}", {"decision": "approve"})
    notice = _notice(session)
    response = clerk.get(f"/documents/{notice.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    content = app.extensions["firegrid.runtime"].documents.store.read(notice.file_sha256)
    check_pdf_text(content, response.data, tmp_path, name="meeting-notice")
