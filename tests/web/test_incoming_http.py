"""收文 through HTTP: 签收登记 with bad input (Chinese messages beside the fields, input kept, no 收文编号
consumed), the steps to 传阅 with the unread readers on the case page, the 收文登记簿, and refusals."""

from __future__ import annotations

import io
from datetime import datetime

import docx
import pytest
from sqlalchemy import select

from tests import factories
from webapp.clock import TZ
from webapp.demo.scans import photo_png, scan_pdf
from webapp.models import AuditEvent, IssuedNumber, WorkTask
from webapp.procedures.incoming.models import IncomingDocument

RECEIVED = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
FIELDS = {"sender": "示例县消防安全委员会办公室", "sender_number": "示消安办〔2026〕31号",
          "title": "关于开展冬春火灾防控工作的通知", "secrecy": "无", "urgency": "加急", "received_on": "2026-11-20"}


@pytest.fixture()
def town(app, small_town, session):  # noqa: ANN001, ANN201
    app.extensions["firegrid.clock"].set(RECEIVED)
    small_town.users["leader2"] = factories.user(session, "leader2", "leader", scope=small_town.town,
                                                 display_name="钱立新")
    session.commit()
    return small_town


def post_start(visitor, file_name: str | None, content: bytes = b"", **fields):  # noqa: ANN001, ANN201
    data = {**FIELDS, **fields}
    if file_name is not None:
        data["received_file"] = (io.BytesIO(content), file_name)
    return visitor.post("/procedures/incoming/start", data, content_type="multipart/form-data")


def task_id(session, step_key: str, username: str | None = None) -> int:  # noqa: ANN001
    session.expire_all()
    tasks = session.scalars(select(WorkTask).where(WorkTask.step_key == step_key)).all()
    return next(t.id for t in tasks if username is None or t.assignee.username == username)


def test_bad_registration_keeps_the_input_and_consumes_no_number(session, town, sign_in):
    clerk = sign_in("clerk")
    response = post_start(clerk, "来文.ofd", b"PK\x03\x04ofd", sender="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写来文机关。" in page and "暂不支持直接上传 OFD 文件" in page and "（转换）为 PDF" in page
    assert 'value="关于开展冬春火灾防控工作的通知"' in page and 'value="示消安办〔2026〕31号"' in page
    response = post_start(clerk, "来文.pdf", b"", received_on="2026-12-25")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "日期不能晚于今天" in page
    # a picture named .pdf passes the form but not the registration: refused beside the field, rolled back
    response = post_start(clerk, "来文.pdf", photo_png(2))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "来文文件只接受 PDF 或 DOCX" in page
    assert session.scalars(select(IssuedNumber)).all() == [] and session.scalars(select(IncomingDocument)).all() == []

    assert post_start(clerk, "来文.pdf", scan_pdf("来文")).status_code == 302
    assert session.scalar(select(IncomingDocument)).number == "松林收〔2026〕第0001号"


def test_steps_to_circulation_and_the_unread_readers(session, town, sign_in):
    clerk, office_head, leader = sign_in("clerk"), sign_in("office_head"), sign_in("leader")
    assert post_start(clerk, "来文.pdf", scan_pdf("来文")).status_code == 302
    instance_id = session.scalar(select(IncomingDocument)).instance_id
    assert office_head.post(f"/tasks/{task_id(session, 'propose')}", {"proposal": ""}).status_code == 400
    assert office_head.post(f"/tasks/{task_id(session, 'propose')}", {"proposal": "请郝镇长阅示。"}).status_code == 302
    assign = task_id(session, "assign")
    form = leader.get(f"/tasks/{assign}").get_data(as_text=True)
    assert "苏晓梅（松林镇）" in form and "钱立新（松林镇）" in form and "柯佳怡" not in form  # no village clerk
    response = leader.post(f"/tasks/{assign}", {"instruction": "请办理。", "handler": "village_clerk"})
    assert response.status_code == 400 and "请从列表中选择承办人。" in response.get_data(as_text=True)
    response = leader.post(f"/tasks/{assign}", {"instruction": "请办理。", "handler": "clerk",
                                                "readers": ["leader", "leader2"]})
    assert response.status_code == 302
    read = task_id(session, "read", "leader")
    assert leader.post(f"/tasks/{read}", {"read_remark": "请抓紧落实。"}).status_code == 302
    case = leader.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "传阅（1/2 已阅）" in case and "未阅</span> 钱立新" in case and "请抓紧落实。" in case
    record = session.scalar(select(IncomingDocument))
    received = clerk.get(f"/cases/{instance_id}/files/{record.file['file']}")
    assert received.status_code == 200 and received.data.startswith(b"%PDF-")
    register = clerk.get("/incoming/?year=2026").get_data(as_text=True)
    assert "松林收〔2026〕第0001号" in register and "1/2 已阅（未阅：钱立新）" in register


def test_out_of_scope_users_are_refused(session, town, sign_in):
    clerk = sign_in("clerk")
    assert post_start(clerk, "来文.pdf", scan_pdf("来文")).status_code == 302
    inspector = sign_in("inspector")
    assert inspector.get("/procedures/incoming/start").status_code == 403  # not a clerk
    assert inspector.get("/incoming/").status_code == 403
    village_clerk = sign_in("village_clerk")
    assert village_clerk.get(f"/tasks/{task_id(session, 'propose')}").status_code == 403  # not theirs
    instance_id = session.scalar(select(IncomingDocument)).instance_id
    assert village_clerk.get(f"/cases/{instance_id}").status_code in (403, 404)  # a town case above their village
    assert "松林收" not in village_clerk.get("/incoming/").get_data(as_text=True)
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()


def test_close_previews_the_sheet_then_files_it(session, town, sign_in, without_libreoffice):
    clerk, office_head, leader = sign_in("clerk"), sign_in("office_head"), sign_in("leader")
    assert post_start(clerk, "来文.pdf", scan_pdf("来文")).status_code == 302
    office_head.post(f"/tasks/{task_id(session, 'propose')}", {"proposal": "请郝镇长阅示。"})
    leader.post(f"/tasks/{task_id(session, 'assign')}", {"instruction": "请办理。", "handler": "clerk",
                                                         "readers": ["leader"]})
    leader.post(f"/tasks/{task_id(session, 'read', 'leader')}", {"read_remark": ""})
    clerk.post(f"/tasks/{task_id(session, 'handle')}", {"handling": "已转发各村。"})
    close = task_id(session, "close")
    preview = clerk.get(f"/tasks/{close}/preview/incoming_sheet.docx")
    assert preview.status_code == 200
    text = "\n".join(c.text for t in docx.Document(io.BytesIO(preview.data)).tables for r in t.rows for c in r.cells)
    assert "已转发各村。" in text and "请郝镇长阅示。" in text
    assert clerk.post(f"/tasks/{close}", {"closing_note": ""}).status_code == 302
    session.expire_all()
    record = session.scalar(select(IncomingDocument))
    assert record.sheet is not None and [a.role for a in record.sheet.attachments] == ["received"]
    assert "收文处理单" in clerk.get(f"/cases/{record.instance_id}").get_data(as_text=True)
