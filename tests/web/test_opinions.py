"""Issue 22 items 5 and 6: 常用意见 on every opinion field, and the drafter not signing off their own notice."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from tests import factories
from webapp.cases import opinions
from webapp.clock import TZ
from webapp.extensions import db
from webapp.models import Alert, AuditEvent, CaseEvent, Document, OpinionPhrase, ProcessInstance

DRAFT = {
    "kind": "通知", "issuing_body": "town", "direction": "down", "title": "关于做好冬季防火工作的通知",
    "addressees": ["各村（社区）"], "addressees_other": "", "cc": "", "body": "现将有关事项通知如下：\n请遵照执行。",
    "note": "", "copies": "5", "printer": "松林镇党政办公室",
}


@pytest.fixture()
def town(app, small_town):  # noqa: ANN001, ANN201
    app.extensions["firegrid.clock"].set(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    # A clerk who is also a leader: drafts notices and signs others' off.
    small_town.users["boss"] = factories.user(db.session, "boss", "clerk", "leader", scope=small_town.town,
                                              display_name="钱振东")
    db.session.commit()
    return small_town


def _drafted(drafter, office_head) -> int:
    """拟稿 by `drafter`, 核稿 approved: the case waits for 签发; returns the case id."""
    start = {"kind": "通知", "title": DRAFT["title"]}
    assert drafter.post("/procedures/notice_issuance/start", start).status_code == 302
    assert drafter.post(f"/tasks/{drafter.inbox_task_id('拟稿')}", DRAFT).status_code == 302
    assert office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"}).status_code == 302
    return db.session.scalar(select(ProcessInstance.id).order_by(ProcessInstance.id.desc()).limit(1))


def _sign_off_task_id(case_id: int) -> int:
    from webapp.models import WorkTask

    return db.session.scalar(select(WorkTask.id).where(WorkTask.instance_id == case_id,
                                                       WorkTask.step_key == "sign_off"))


def test_the_opinion_field_offers_personal_then_public_phrases_escaped(town, sign_in):  # noqa: ANN001
    clerk, head = sign_in("clerk"), sign_in("office_head")
    assert head.post("/account/opinions", {"text": "<b>请再核</b>"}).status_code == 302
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": DRAFT["title"]}).status_code == 302
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", DRAFT).status_code == 302
    page = head.get(f"/tasks/{head.inbox_task_id('核稿')}").get_data(as_text=True)
    assert "<b>请再核</b>" not in page and 'data-phrase="&lt;b&gt;请再核&lt;/b&gt;"' in page
    assert page.index("&lt;b&gt;请再核") < page.index('data-phrase="同意。"')
    for phrase in opinions.DEFAULT_PHRASES:
        assert f'<option value="{phrase}">' in page
    assert 'name="save_opinion"' in page and "存为常用意见" in page


def test_a_picked_phrase_becomes_the_opinion_and_a_typed_one_can_be_kept(town, sign_in):  # noqa: ANN001
    clerk, head, leader = sign_in("clerk"), sign_in("office_head"), sign_in("leader")
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": DRAFT["title"]}).status_code == 302
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", DRAFT).status_code == 302
    # Without JavaScript: the phrase list, no typed opinion.
    picked = {"decision": "approve", "opinion": "", "opinion_phrase": "请按意见修改后再报。"}
    assert head.post(f"/tasks/{head.inbox_task_id('核稿')}", picked).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发')}",
                       {"decision": "approve", "opinion": "同意，尽快印发。", "save_opinion": "y"}).status_code == 302
    done = db.session.scalars(select(CaseEvent).where(CaseEvent.action == "complete"))
    events = {e.step_key: e.opinion for e in done}
    assert events["review"] == "请按意见修改后再报。" and events["sign_off"] == "同意，尽快印发。"
    mine = db.session.scalars(select(OpinionPhrase.text).where(OpinionPhrase.user_id == town.users["leader"].id))
    assert list(mine) == ["同意，尽快印发。"]


def test_the_admin_keeps_the_towns_public_phrases(town, sign_in):  # noqa: ANN001
    admin, clerk = sign_in("admin"), sign_in("clerk")
    page = admin.get("/admin/settings/opinions").get_data(as_text=True)
    assert "当前为系统默认意见" in page and "已阅。" in page
    assert admin.post("/admin/settings/opinions", {"text": "同意，请<抓紧>办理。"}).status_code == 302
    page = admin.get("/admin/settings/opinions").get_data(as_text=True)
    assert "同意，请&lt;抓紧&gt;办理。" in page and "当前为系统默认意见" not in page
    empty = admin.post("/admin/settings/opinions", {"text": "  "})
    assert empty.status_code == 400 and "请填写常用意见。" in empty.get_data(as_text=True)
    twice = admin.post("/admin/settings/opinions", {"text": "已阅。"})
    assert twice.status_code == 400 and "“已阅。”已在常用意见中。" in twice.get_data(as_text=True)
    long = admin.post("/admin/settings/opinions", {"text": "意" * 201})
    assert long.status_code == 400 and "不能超过200个字。" in long.get_data(as_text=True)
    texts = opinions.public_phrases(db.session, town.town)
    at = texts.index("已阅。")
    stale = admin.post(f"/admin/settings/opinions/{at}/delete", {"text": texts[at - 1]}, follow_redirects=True)
    assert "常用意见列表已被修改" in stale.get_data(as_text=True)  # the list moved on: nothing removed
    assert opinions.public_phrases(db.session, town.town) == texts
    assert admin.post(f"/admin/settings/opinions/{at}/delete", {"text": "已阅。"}).status_code == 302
    assert "已阅。" not in opinions.public_phrases(db.session, town.town)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"opinion_phrase_add", "opinion_phrase_remove"} <= actions
    assert admin.post("/admin/settings/opinions/reset").status_code == 302
    assert opinions.public_phrases(db.session, town.town) == list(opinions.DEFAULT_PHRASES)
    # Not the admin: refused and logged.
    assert clerk.get("/admin/settings/opinions").status_code == 403
    refused = clerk.post("/admin/settings/opinions", {"text": "同意。"})
    assert refused.status_code == 403 and "此功能仅限" in refused.get_data(as_text=True)
    assert clerk.post("/admin/settings/opinions/0/delete").status_code == 403


def test_each_user_keeps_their_own_phrases(town, sign_in):  # noqa: ANN001
    leader, clerk = sign_in("leader"), sign_in("clerk")
    assert leader.post("/account/opinions", {"text": "拟同意，报主要领导审定。"}).status_code == 302
    empty = leader.post("/account/opinions", {"text": ""})
    assert empty.status_code == 400 and "请填写常用意见。" in empty.get_data(as_text=True)
    twice = leader.post("/account/opinions", {"text": "拟同意，报主要领导审定。"})
    assert twice.status_code == 400 and "已在常用意见中" in twice.get_data(as_text=True)
    phrase = db.session.scalar(select(OpinionPhrase).where(OpinionPhrase.user_id == town.users["leader"].id))
    assert "拟同意，报主要领导审定。" in leader.get("/account/opinions").get_data(as_text=True)
    assert "拟同意" not in clerk.get("/account/opinions").get_data(as_text=True)
    assert clerk.post(f"/account/opinions/{phrase.id}/delete").status_code == 404  # not theirs
    assert leader.post(f"/account/opinions/{phrase.id}/delete").status_code == 302
    assert opinions.personal_phrases(db.session, town.users["leader"]) == []


def test_a_drafter_who_leads_cannot_sign_off_their_own_notice(town, sign_in):  # noqa: ANN001
    boss, head, leader = sign_in("boss"), sign_in("office_head"), sign_in("leader")
    case_id = _drafted(boss, head)
    task_id = _sign_off_task_id(case_id)
    told = set(db.session.scalars(select(Alert.recipient_id).where(Alert.work_task_id == task_id)))
    assert town.users["leader"].id in told and town.users["boss"].id not in told  # no 新待办 it cannot do
    inbox = boss.get("/tasks/").get_data(as_text=True)
    assert f'href="/tasks/{task_id}"' not in inbox and "您是本件的拟稿人，不能签发本人起草的文稿" in inbox
    case_page = boss.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/tasks/{task_id}"' not in case_page and "不能签发本人起草的文稿" in case_page
    assert boss.get(f"/tasks/{task_id}").status_code == 403
    refused = boss.post(f"/tasks/{task_id}", {"decision": "approve", "opinion": "同意。"})
    assert refused.status_code == 403
    assert "您是本件的拟稿人，不能签发本人起草的文稿，请由其他领导签发。" in refused.get_data(as_text=True)
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert denied and "不能签发本人起草的文稿" in denied[-1].summary and denied[-1].user_id == town.users["boss"].id
    assert db.session.scalar(select(Document).where(Document.instance_id == case_id)) is None
    # Nor can another leader hand it to the drafter; the drafter is not among the 转办 choices.
    page = leader.get(f"/tasks/{task_id}").get_data(as_text=True)
    choices = re.search(r'<select id="assignee_id".*?</select>', page, re.S)
    assert choices is None or "钱振东" not in choices.group(0)
    assert leader.post(f"/tasks/{task_id}/assign", {"assignee_id": town.users["boss"].id}).status_code == 400
    # Another leader signs.
    assert leader.post(f"/tasks/{task_id}", {"decision": "approve", "opinion": "同意。"}).status_code == 302
    assert db.session.scalar(select(Document).where(Document.instance_id == case_id)) is not None


def test_with_the_separation_off_the_drafter_signs(town, sign_in):  # noqa: ANN001
    admin, boss, head = sign_in("admin"), sign_in("boss"), sign_in("office_head")
    page = admin.get("/admin/settings/opinions").get_data(as_text=True)
    assert "签发" in page and "拟稿人不得办理" in page
    off = {"procedure": "notice_issuance", "step_key": "sign_off", "enabled": "0"}
    assert sign_in("clerk").post("/admin/settings/separation", off).status_code == 403
    assert admin.post("/admin/settings/separation", off).status_code == 302
    assert "不要求回避" in admin.get("/admin/settings/opinions").get_data(as_text=True)
    assert admin.post("/admin/settings/separation", {**off, "procedure": "nope"}).status_code == 404
    case_id = _drafted(boss, head)
    task_id = boss.inbox_task_id("签发")
    assert boss.post(f"/tasks/{task_id}", {"decision": "approve", "opinion": "同意。"}).status_code == 302
    assert db.session.scalar(select(Document).where(Document.instance_id == case_id)) is not None
