"""Issue 22 items 2 and 3 through HTTP: a notice delivered to three villages (签收回执: read, 签收, 落实情况,
催办 of the missing one, another village's receipt refused), and the 发文稿纸 made from the case history and
filed with the 定稿 as one archive item."""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from datetime import datetime

import docx
import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import tiny_pdf
from tests.docx_checks import check_gbt9704
from webapp.archive.export import ExportOptions, export_year
from webapp.cases import receipts
from webapp.clock import TZ
from webapp.models import Alert, AuditEvent, Document, DocumentReceipt, ProcessInstance

START = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
TITLE = "关于开展冬春火灾防控工作的通知"
DRAFT = {
    "kind": "通知", "issuing_body": "town", "direction": "down", "title": TITLE,
    "addressees": ["各村（社区）", "镇直各部门"], "addressees_other": "", "cc": "松林派出所",
    "body": "为做好冬春火灾防控工作，现通知如下：\n一、排查隐患\n请于3月20日前报送落实情况。",
    "note": "", "copies": "12", "printer": "松林镇党政办公室",
}


@pytest.fixture()
def town(app, session, small_town):  # noqa: ANN001, ANN201
    """Three villages, each with its own clerk (the first one's is the factories' village_clerk)."""
    app.extensions["firegrid.clock"].set(START)
    third = factories.village(session, small_town.town, "桃园村")
    small_town.users["clerk_b"] = factories.user(session, "clerk_b", "clerk", scope=small_town.other_village,
                                                 display_name="祁文静")
    small_town.users["clerk_c"] = factories.user(session, "clerk_c", "clerk", scope=third, display_name="庞志成")
    small_town.villages = [small_town.village, small_town.other_village, third]
    session.commit()
    return small_town


def _case_id() -> int:
    from webapp.extensions import db

    return max(db.session.scalars(select(ProcessInstance.id)))


def issue(app, sign_in, town) -> tuple[int, dict]:  # noqa: ANN001
    """拟稿 → 核稿 (with an opinion) → 签发, each on its own day; returns the case id and the browsers."""
    clock = app.extensions["firegrid.clock"]
    people = {name: sign_in(name) for name in ("clerk", "office_head", "leader")}
    clerk = people["clerk"]
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": TITLE}).status_code == 302
    files = [(io.BytesIO(tiny_pdf()), "冬春火灾防控工作方案.pdf")]
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", {**DRAFT, "new_attachments": files}).status_code == 302
    clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=TZ))
    office_head = people["office_head"]
    assert office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}",
                            {"decision": "approve", "opinion": "已核，请领导签发。"}).status_code == 302
    clock.set(datetime(2026, 3, 4, 11, 0, tzinfo=TZ))
    leader = people["leader"]
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发')}",
                       {"decision": "approve", "opinion": "同意印发。"}).status_code == 302
    clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=TZ))
    return _case_id(), people


def distribute(clerk, town, **extra) -> None:  # noqa: ANN001
    ids = [str(v.id) for v in town.villages]
    form = clerk.get(f"/tasks/{clerk.inbox_task_id('印发登记')}").get_data(as_text=True)
    for village_id in ids:  # 主送 各村（社区）: every village with accounts is ticked
        assert re.search(rf'<input[^>]*checked[^>]*value="{village_id}"|<input[^>]*value="{village_id}"[^>]*checked',
                         form), village_id
    fields = {"printed_on": "2026-03-05", "copies": "12", "recipients": "各村（社区）、镇直各部门",
              "deliver_to": ids, **extra}
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('印发登记')}", fields).status_code == 302


def receipt_rows(clerk, case_id: int, heading: str, names: tuple[str, ...]) -> dict[str, str]:  # noqa: ANN001
    """The issuer's case page: its 签收情况 heading, then each recipient's row (the cells after the name)."""
    case = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert heading in case
    return {name: re.search(rf"{name}</a></td>(.*?)</tr>", case, re.S).group(1) for name in names}


def receipt_of(session, village) -> DocumentReceipt:  # noqa: ANN001
    session.expire_all()
    return session.scalar(select(DocumentReceipt).where(DocumentReceipt.recipient_id == village.id))


def test_three_villages_receive_two_sign_one_is_reminded(app, session, town, sign_in):
    case_id, people = issue(app, sign_in, town)
    clerk = people["clerk"]
    distribute(clerk, town, reply_due="2026-03-20")
    first, second, third = (sign_in(name) for name in ("village_clerk", "clerk_b", "clerk_c"))
    for visitor in (first, second, third):
        home = visitor.get("/").get_data(as_text=True)
        assert "待签收公文（1）" in home and TITLE in home
        listed = visitor.get("/receipts/").get_data(as_text=True)
        assert TITLE in listed and "待签收" in listed and "松林府发〔2026〕1号" in listed
    assert {a.recipient_id for a in session.scalars(select(Alert).where(Alert.kind == "receipt"))} == {
        town.users[name].id for name in ("village_clerk", "clerk_b", "clerk_c")}

    mine = receipt_of(session, town.village)
    page = first.get(f"/receipts/{mine.id}").get_data(as_text=True)
    assert "签收" in page and "冬春火灾防控工作方案.pdf" in page
    assert receipt_of(session, town.village).state == "read"
    assert first.get(f"/receipts/{mine.id}/document.docx").data[:2] == b"PK"
    assert first.post(f"/receipts/{mine.id}/sign").status_code == 302
    assert "待签收公文（0）" in first.get("/").get_data(as_text=True)
    assert "待签收公文" not in clerk.get("/").get_data(as_text=True)  # the town's clerk receives nothing
    theirs = receipt_of(session, town.other_village)
    empty = second.post(f"/receipts/{theirs.id}/reply", {"reply": ""})
    assert empty.status_code == 400 and "请填写落实情况。" in empty.get_data(as_text=True)
    replied = second.post(f"/receipts/{theirs.id}/reply", {"reply": "已排查九小场所12家。",
                                                           "attachment": (io.BytesIO(tiny_pdf()), "排查台账.pdf")},
                          content_type="multipart/form-data")
    assert replied.status_code == 302
    assert receipt_of(session, town.other_village).state == "replied"
    assert second.get(f"/receipts/{theirs.id}/reply-file").data.startswith(b"%PDF")

    late = receipt_of(session, town.villages[2])
    assert clerk.post(f"/receipts/{late.id}/remind").status_code == 302
    reminded = session.scalars(select(Alert).where(Alert.kind == "reminder")).all()
    assert [a.recipient_id for a in reminded] == [town.users["clerk_c"].id] and reminded[0].receipt_id == late.id
    again = clerk.post(f"/receipts/{late.id}/remind", follow_redirects=True).get_data(as_text=True)
    assert "后可再次催办" in again and len(session.scalars(select(Alert).where(Alert.kind == "reminder")).all()) == 1
    # the reminded clerk's notice opens the receipt, not the town's case
    assert third.get(f"/alerts/{reminded[0].id}").headers["Location"].endswith(f"/receipts/{late.id}")

    rows = receipt_rows(clerk, case_id, "签收情况（2/3 已签收）", ("松林村", "柳岸社区", "桃园村"))
    assert "已签收" in rows["松林村"] and "柯佳怡" in rows["松林村"] and "未反馈" in rows["松林村"]
    assert "已反馈" in rows["柳岸社区"] and "已排查九小场所12家。" in rows["柳岸社区"]
    assert "已送达" in rows["桃园村"] and "未签收" in rows["桃园村"] and "已催办1次" in rows["桃园村"]


def test_a_village_cannot_see_or_sign_another_villages_receipt(app, session, town, sign_in):
    clerk = issue(app, sign_in, town)[1]["clerk"]
    fields = {"printed_on": "2026-03-05", "copies": "12", "recipients": "各村（社区）"}
    for due, chosen, message in (("2026-03-01", [str(town.village.id)], "反馈期限不能早于今天。"),
                                 ("2026-03-20", [], "请先勾选送达单位，再要求反馈落实情况。")):
        bad = clerk.post(f"/tasks/{clerk.inbox_task_id('印发登记')}",
                         {**fields, "reply_due": due, "deliver_to": chosen})
        assert bad.status_code == 400 and message in bad.get_data(as_text=True)
    assert session.scalars(select(DocumentReceipt)).all() == []
    distribute(clerk, town)
    first = sign_in("village_clerk")
    other = receipt_of(session, town.other_village)
    denied_before = len(session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all())
    assert first.get(f"/receipts/{other.id}").status_code == 403
    assert first.post(f"/receipts/{other.id}/sign").status_code == 403
    assert first.get(f"/receipts/{other.id}/document.docx").status_code == 403
    assert first.post(f"/receipts/{receipt_of(session, town.village).id}/remind").status_code == 403  # not the issuer
    assert sign_in("clerk").post(f"/receipts/{other.id}/sign").status_code == 403  # the town does not sign for it
    session.expire_all()
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len(denied) == denied_before + 5
    assert receipt_of(session, town.other_village).signed_at is None
    assert "柳岸社区" not in first.get("/receipts/").get_data(as_text=True)
    assert first.get("/receipts/999999").status_code == 404


def test_issuing_sheet_lists_each_step_and_is_filed_with_the_notice(app, session, town, sign_in, tmp_path):
    case_id, people = issue(app, sign_in, town)
    distribute(people["clerk"], town)
    session.expire_all()
    sheet = session.scalar(select(Document).where(Document.instance_id == case_id,
                                                  Document.template_key == "issuing_sheet"))
    response = people["clerk"].get(f"/documents/{sheet.id}.docx")
    assert response.status_code == 200
    opened = docx.Document(io.BytesIO(response.data))
    rows = [[cell.text for cell in row.cells] for table in opened.tables for row in table.rows]
    facts = "\n".join("|".join(row) for row in rows[:8])
    for expected in ("松林镇人民政府", TITLE, "12份", "各村（社区）、镇直各部门", "松林派出所", "冬春火灾防控工作方案",
                     "松林镇党政办公室", "苏晓梅", "2026年3月2日", "2026年3月5日"):
        assert expected in facts, expected
    steps = [row for row in rows if row[0] in ("核稿", "会签", "签发")]
    assert steps == [["核稿", "已核，请领导签发。", "秦志远", "2026年3月3日"],
                     ["签发", "同意印发。", "郝国强", "2026年3月4日"]]
    assert "文号：松林府发〔2026〕1号" in [p.text for p in opened.paragraphs]
    check_gbt9704(response.data, "--no-header", tmp_path=tmp_path, name="发文稿纸")

    runtime = app.extensions["firegrid.runtime"]
    result = export_year(session, runtime.documents, town=town.town, year=2026, out=tmp_path / "year.zip",
                         now=datetime(2026, 12, 31, 16, tzinfo=TZ), options=ExportOptions(pdf=False))
    session.commit()
    with zipfile.ZipFile(result.path) as package:
        items = [json.loads(package.read(n)) for n in package.namelist() if n.endswith("元数据.json")]
    [item] = [i for i in items if i["题名"] == TITLE]
    names = json.dumps(item["电子文件"], ensure_ascii=False)
    assert "发文稿纸" in names and not [i for i in items if "发文稿纸" in i["题名"]]


def test_two_reminders_of_one_receipt_at_once_send_one(app, session, town, sign_in, monkeypatch):
    """The clerk and the office head both click 催办 on one unsigned receipt at the same moment (each held until
    both are in): one reminder goes, the other is told when it went — on SQLite as on PostgreSQL."""
    case_id, people = issue(app, sign_in, town)
    distribute(people["clerk"], town, reply_due="2026-03-20")
    receipt = receipt_of(session, town.village)
    both_in, take_turns = threading.Barrier(2, timeout=60), receipts.take_turns

    def together(*args):  # noqa: ANN002, ANN202
        both_in.wait()
        return take_turns(*args)

    monkeypatch.setattr(receipts, "take_turns", together)
    answers, clickers = {}, [people["clerk"], people["office_head"]]

    def click(index: int) -> None:
        answers[index] = clickers[index].post(f"/receipts/{receipt.id}/remind", follow_redirects=True)

    threads = [threading.Thread(target=click, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    monkeypatch.setattr(receipts, "take_turns", take_turns)
    pages = [answer.get_data(as_text=True) for answer in answers.values()]
    assert sum("已催办" in page and "其账号会在消息提醒中看到" in page for page in pages) == 1, pages
    assert sum("后可再次催办" in page for page in pages) == 1
    reminders = session.scalars(select(Alert).where(Alert.kind == "reminder")).all()
    assert [alert.recipient_id for alert in reminders] == [town.users["village_clerk"].id]
    assert receipt_of(session, town.village).reminders == 1
