"""收文 (issue 22 item 1) through the services: registered with a 收文编号, 拟办, 批办 with three 传阅 readers,
承办 and 传阅 in parallel (one reader late, nudged with 催办), 办结 with the 收文处理单 filed together with the
received file as one archive item."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta

import docx
import pytest
from sqlalchemy import select

from tests import factories
from tests.docx_checks import check_gbt9704
from webapp.archive.export import ExportOptions, export_year
from webapp.cases import actions as cases
from webapp.cases import registry, reminders
from webapp.clock import TZ
from webapp.demo.scans import photo_png, scan_pdf
from webapp.models import Alert, AttachmentRole, IssuedNumber, WorkTask
from webapp.procedures.incoming import incoming
from webapp.procedures.incoming.models import IncomingDocument
from webapp.services import uploads
from webapp.services.errors import InvalidInput, OutOfScope

RECEIVED = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)


@pytest.fixture()
def runtime(app):  # noqa: ANN001, ANN201
    return app.extensions["firegrid.runtime"]


@pytest.fixture()
def town(small_town, session):  # noqa: ANN001, ANN201
    """The small town with two more leaders, so three can read."""
    for username, name in (("leader2", "钱立新"), ("leader3", "孙文斌")):
        small_town.users[username] = factories.user(session, username, "leader", scope=small_town.town,
                                                    display_name=name)
    session.commit()
    return small_town


def registration(session, runtime, **extra) -> dict:  # noqa: ANN001
    received = uploads.store_upload(session, runtime.documents.store, content=scan_pdf("来文"),
                                    filename="关于开展冬春火灾防控工作的通知.pdf", now=RECEIVED)
    return {"sender": "示例县消防安全委员会办公室", "sender_number": "示消安办〔2026〕31号",
            "title": "关于开展冬春火灾防控工作的通知", "secrecy": "无", "urgency": "加急",
            "received_on": "2026-11-20", "received_file": received, **extra}


def start(session, runtime, town, **extra):  # noqa: ANN001, ANN201
    data = registration(session, runtime, **extra)
    return cases.start_case(session, runtime, procedure_key="incoming", user=town.users["clerk"], grid=town.town,
                            title=incoming.case_title(data), data=data, now=RECEIVED)


def open_tasks(session, instance, step_key: str) -> list[WorkTask]:  # noqa: ANN001
    return list(session.scalars(select(WorkTask).where(WorkTask.instance_id == instance.id,
                                                       WorkTask.step_key == step_key).order_by(WorkTask.id)))


def submit(session, runtime, town, instance, step_key: str, username: str, data: dict, at: datetime):  # noqa: ANN001, ANN201
    user = town.users[username]
    task = next(t for t in open_tasks(session, instance, step_key) if t.assignee_id in (None, user.id))
    return cases.submit_task(session, runtime, user=user, work_task_id=task.id, data=data, now=at)


def test_registered_assigned_read_by_three_one_late_handled_and_closed(session, runtime, town, tmp_path,
                                                                       without_libreoffice):
    instance = start(session, runtime, town)
    record = session.scalar(select(IncomingDocument))
    assert record.number == "松林收〔2026〕第0001号" and record.registered_by_name == "苏晓梅"
    assert [t.role for t in open_tasks(session, instance, "propose")] == ["office_head"]

    submit(session, runtime, town, instance, "propose", "office_head", {"proposal": "请郝镇长阅示。"},
           RECEIVED + timedelta(hours=2))
    submit(session, runtime, town, instance, "assign", "leader", {
        "instruction": "请苏晓梅办理，月底前部署。", "handler": "clerk", "readers": ["leader", "leader2", "leader3"]},
        RECEIVED + timedelta(days=1))
    handle = open_tasks(session, instance, "handle")
    reads = open_tasks(session, instance, "read")
    assert [t.assignee.username for t in handle] == ["clerk"]
    assert sorted(t.assignee.username for t in reads) == ["leader", "leader2", "leader3"]
    assert {t.subject for t in reads} == {"传阅：关于开展冬春火灾防控工作的通知"}

    submit(session, runtime, town, instance, "read", "leader", {"read_remark": "请抓紧落实。"},
           RECEIVED + timedelta(days=1, hours=1))
    submit(session, runtime, town, instance, "read", "leader2", {"read_remark": ""}, RECEIVED + timedelta(days=2))
    submit(session, runtime, town, instance, "handle", "clerk", {"handling": "已制定方案并转发各村。"},
           RECEIVED + timedelta(days=4))
    session.expire_all()
    assert [r.reader_name for r in record.unread] == ["孙文斌"]  # the leader sees who has not read it
    assert open_tasks(session, instance, "close") == []  # 办结 waits for every reader

    # the late reader is nudged (催办) by the leader, then reads
    late = open_tasks(session, instance, "read")[0]
    outcome = reminders.remind(session, user=town.users["leader"], work_task_id=late.id, reason="请尽快传阅",
                               now=RECEIVED + timedelta(days=6))
    assert outcome.sent
    nudged = session.scalars(select(Alert.recipient_id).where(Alert.kind == "reminder")).all()
    assert nudged == [town.users["leader3"].id]
    submit(session, runtime, town, instance, "read", "leader3", {"read_remark": ""}, RECEIVED + timedelta(days=7))
    [close] = open_tasks(session, instance, "close")
    assert close.role == "clerk" and close.scope_path == town.town.path  # any clerk of the town closes it

    submit(session, runtime, town, instance, "close", "clerk", {"closing_note": ""}, RECEIVED + timedelta(days=7))
    session.expire_all()
    assert instance.status == "completed" and record.closed_at is not None and record.unread == []
    sheet = record.sheet
    assert sheet.template_key == incoming.SHEET and sheet.status == "issued"
    [received] = sheet.attachments
    assert received.role == AttachmentRole.RECEIVED and received.file_sha256 == record.file["file"]

    path = tmp_path / "收文处理单.docx"
    path.write_bytes(runtime.documents.store.read(sheet.file_sha256))
    text = "\n".join(cell.text for table in docx.Document(str(path)).tables for row in table.rows
                     for cell in row.cells)
    for expected in ("示消安办〔2026〕31号", "请郝镇长阅示。", "秦志远",
                     "请苏晓梅办理，月底前部署。", "郝国强", "已制定方案并转发各村。", "请抓紧落实。",
                     "2026年11月27日", "孙文斌", "已阅"):
        assert expected in text, expected
    assert "松林收〔2026〕第0001号" in "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    check_gbt9704(path, "--no-header")

    # the year's archive package: the sheet and the received file are one item (件)
    result = export_year(session, runtime.documents, town=town.town, year=2026, out=tmp_path / "year.zip",
                         now=datetime(2026, 12, 31, 16, tzinfo=TZ), options=ExportOptions(pdf=False))
    session.commit()
    with zipfile.ZipFile(result.path) as package:
        names = [n for n in package.namelist() if n.endswith("元数据.json")]
        items = [json.loads(package.read(n)) for n in names]
    [item] = [i for i in items if "收文处理单" in i["题名"]]
    assert {f["用途"] for f in item["电子文件"]} >= {"正文", "来文"}


def test_archive_files_the_sheet_and_the_received_file_as_one_item():
    procedure = registry.get("incoming")
    assert procedure.retention == {"incoming_sheet": "D30"} and procedure.archive_groups == ()


def test_a_refused_registration_consumes_no_number(session, runtime, town):
    image = uploads.store_upload(session, runtime.documents.store, content=photo_png(1), filename="来文.png",
                                 now=RECEIVED)
    with pytest.raises(InvalidInput) as refused:
        start(session, runtime, town, received_file=image)
    assert "PDF 或 DOCX" in str(refused.value) and "OFD" in str(refused.value)
    session.rollback()
    assert session.scalar(select(IssuedNumber)) is None
    start(session, runtime, town)
    assert session.scalar(select(IncomingDocument)).number.endswith("第0001号")


def test_only_the_named_reader_marks_read_and_assignment_stays_in_scope(session, runtime, town):
    instance = start(session, runtime, town)
    submit(session, runtime, town, instance, "propose", "office_head", {"proposal": "拟请领导阅示。"}, RECEIVED)
    session.commit()
    with pytest.raises(InvalidInput):
        submit(session, runtime, town, instance, "assign", "leader",
               {"instruction": "阅。", "handler": "village_clerk", "readers": ["leader"]}, RECEIVED)
    session.rollback()
    submit(session, runtime, town, instance, "assign", "leader",
           {"instruction": "阅。", "handler": "clerk", "readers": ["leader2"]}, RECEIVED)
    [read] = open_tasks(session, instance, "read")
    with pytest.raises(OutOfScope):
        cases.submit_task(session, runtime, user=town.users["leader3"], work_task_id=read.id, data={},
                          now=RECEIVED)
