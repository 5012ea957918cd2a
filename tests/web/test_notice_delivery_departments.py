"""签收回执 to departments with accounts (接收部门) through HTTP: 主送 镇直各部门 preselects them at 印发登记,
each department's account finds the notice in 收到的公文 and signs, the missing one is reminded, the issuer's
case page shows each department's state, and departments and villages cannot open each other's receipts."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests import factories
from tests.web.test_notice_delivery import START, TITLE, issue, receipt_rows
from webapp.models import Alert, AuditEvent, DocumentReceipt, User
from webapp.procedures.inspection import receiver_accounts, setup


@pytest.fixture()
def town(app, session, small_town):  # noqa: ANN001, ANN201
    """Two departments, each with its 接收部门 account, besides the small town's two villages."""
    app.extensions["firegrid.clock"].set(START)
    admin = small_town.users["admin"]
    small_town.desks = {}
    for name, username, person in (("松林镇安监站", "desk_a", "何平"), ("松林镇市场监管所", "desk_b", "罗敏")):
        receiver = setup.save_receiver(session, small_town.town, receiver_id=None, name=name, contact_person=person,
                                       phone="0712-5861234", feedback_days=10)
        account = factories.user(session, username, "receiver", scope=small_town.town, display_name=person)
        receiver_accounts.link(session, small_town.town, receiver_id=receiver.id, user_id=account.id, admin=admin,
                               now=START)
        small_town.desks[name] = f"receiver:{receiver.id}"
    session.commit()
    return small_town


def _user_id(session, username: str) -> int:  # noqa: ANN001
    return session.scalar(select(User.id).where(User.username == username))


def _receipt(session, name: str) -> DocumentReceipt:  # noqa: ANN001
    session.expire_all()
    return session.scalar(select(DocumentReceipt).where(DocumentReceipt.recipient_name == name))


def test_departments_receive_sign_and_are_reminded_within_their_own_scope(app, session, town, sign_in):
    case_id, people = issue(app, sign_in, town)
    clerk = people["clerk"]
    task = clerk.inbox_task_id("印发登记")
    form = clerk.get(f"/tasks/{task}").get_data(as_text=True)
    for key in town.desks.values():  # 主送 镇直各部门: every department with an account is ticked
        assert re.search(rf'<input[^>]*value="{key}"[^>]*checked|<input[^>]*checked[^>]*value="{key}"', form), key
    assert "松林镇安监站（部门）" in form
    chosen = [*town.desks.values(), str(town.village.id)]
    assert clerk.post(f"/tasks/{task}", {"printed_on": "2026-03-05", "copies": "12", "recipients": "镇直各部门",
                                         "deliver_to": chosen, "reply_due": "2026-03-20"}).status_code == 302
    session.expire_all()
    assert sorted(r.recipient_name for r in session.scalars(select(DocumentReceipt))) == [
        "松林村", "松林镇安监站", "松林镇市场监管所"]
    alerted = {a.recipient_id for a in session.scalars(select(Alert).where(Alert.kind == "receipt"))}
    assert alerted == {town.users["village_clerk"].id, _user_id(session, "desk_a"), _user_id(session, "desk_b")}

    desk_a, desk_b = sign_in("desk_a"), sign_in("desk_b")
    listed = desk_a.get("/receipts/").get_data(as_text=True)
    assert TITLE in listed and "待签收" in listed
    assert "待签收公文（1）" in desk_a.get("/", follow_redirects=True).get_data(as_text=True)  # on 移交
    mine = _receipt(session, "松林镇安监站")
    assert desk_a.post(f"/receipts/{mine.id}/sign").status_code == 302
    assert _receipt(session, "松林镇安监站").signed_by_name == "何平"

    theirs, village = _receipt(session, "松林镇市场监管所"), _receipt(session, "松林村")
    denied_before = len(session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all())
    assert desk_a.get(f"/receipts/{theirs.id}").status_code == 403  # another department
    assert desk_a.post(f"/receipts/{theirs.id}/sign").status_code == 403
    assert desk_a.get(f"/receipts/{village.id}").status_code == 403  # a village, though under the town
    assert sign_in("village_clerk").get(f"/receipts/{mine.id}").status_code == 403  # a department, above the village
    assert desk_a.post(f"/receipts/{theirs.id}/remind").status_code == 403  # not the issuing office
    session.expire_all()
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len(denied) == denied_before + 5
    assert "松林镇市场监管所" not in desk_a.get("/receipts/").get_data(as_text=True)
    assert TITLE in desk_b.get("/receipts/").get_data(as_text=True)

    assert clerk.post(f"/receipts/{theirs.id}/remind").status_code == 302
    reminded = session.scalars(select(Alert).where(Alert.kind == "reminder")).all()
    assert [a.recipient_id for a in reminded] == [_user_id(session, "desk_b")]
    rows = receipt_rows(clerk, case_id, "签收情况（1/3 已签收）", ("松林镇安监站", "松林镇市场监管所", "松林村"))
    assert "已签收" in rows["松林镇安监站"] and "何平" in rows["松林镇安监站"] and "未反馈" in rows["松林镇安监站"]
    assert "未签收" in rows["松林镇市场监管所"] and "已催办1次" in rows["松林镇市场监管所"]
    assert "已送达" in rows["松林村"]

    register = clerk.get("/notices/register?year=2026").get_data(as_text=True)
    cell = re.search(r'<a href="/cases/(\d+)#receipts" title="([^"]*)">已签收 1/3</a>', register)
    assert cell and int(cell.group(1)) == case_id
    assert cell.group(2) == ("松林镇安监站：已签收（何平，2026-03-05）；松林镇市场监管所：已送达（未签收）；"
                             "松林村：已送达（未签收）")
    _receipt(session, "松林镇安监站").recipient_name = "=1+1安监站"  # a hostile name reaches the export as text
    session.commit()
    sheet = load_workbook(io.BytesIO(clerk.get("/notices/register.xlsx?year=2026").data)).active
    header = [c.value for c in sheet[1]]
    signed, detail = sheet[2][header.index("签收")], sheet[2][header.index("签收明细")]
    assert signed.value == "已签收 1/3"
    assert detail.value.startswith("=1+1安监站：已签收") and detail.data_type == "s" and detail.quotePrefix


def test_a_department_without_an_enabled_account_is_not_offered(app, session, town, sign_in):
    desk_b = session.get(User, _user_id(session, "desk_b"))
    desk_b.is_enabled = False
    session.commit()
    clerk = issue(app, sign_in, town)[1]["clerk"]
    task = clerk.inbox_task_id("印发登记")
    form = clerk.get(f"/tasks/{task}").get_data(as_text=True)
    assert "松林镇安监站（部门）" in form and "松林镇市场监管所" not in form
    refused = clerk.post(f"/tasks/{task}", {"printed_on": "2026-03-05", "copies": "12", "recipients": "镇直各部门",
                                            "deliver_to": [town.desks["松林镇市场监管所"]]})
    assert refused.status_code == 400 and "送达单位不在可选范围内。" in refused.get_data(as_text=True)
    assert session.scalars(select(DocumentReceipt)).all() == []
