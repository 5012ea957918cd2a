"""SMS and 企业微信/钉钉 group-robot 消息提醒 against a real HTTP server (http.server on a free localhost
port): the request carries what the town's templates say, a 500 or a refusing robot is retried and then
delivered with both attempts in the log, 钉钉's 加签 verifies, a gateway that is down never fails the
user's action, and no key or webhook token reaches a page or the log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import threading
import urllib.parse
from datetime import UTC, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from tests.services.test_alerts import at, case_in_review
from tests.web.test_mail_deliveries import _free_port, _rows, _send, _user
from webapp.cases import hooks
from webapp.models import Alert, AuditEvent, Delivery, MailSettings, RobotSettings, SmsSettings
from webapp.models.alerts import quiet_end

API_KEY = "k-9f3b27d1c0ffee"
WECOM_KEY = "wx-6a1d-robot-key"
DING_TOKEN = "dd-access-token-42"
DING_SECRET = "SEC0123456789abcdef-secret"
PHONE = "13800138000"


class Gateway:
    """A real HTTP server that records every request and answers from a script (then `default`)."""

    def __init__(self, port: int) -> None:
        self.port, self.requests, self.answers = port, [], []
        self.default = (200, '{"errcode":0,"errmsg":"ok","code":0}')
        self.lock, self.server = threading.Lock(), None

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                with gateway.lock:
                    gateway.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                             "body": body})
                    status, text = gateway.answers.pop(0) if gateway.answers else gateway.default
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer  # noqa: N815 — http.server's names

            def log_message(self, *args) -> None:  # noqa: ANN002 — quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture()
def gateway():
    server = Gateway(_free_port())
    yield server
    server.stop()


SMS_FORM = {"enabled": "y", "method": "POST", "headers": "X-Api-Key: {key}", "signature": "消防办",
            "success_text": '"code":0', "api_key": API_KEY,
            "template": '{"mobile":"{phone}","content":"{text}","sign":"{sign}"}'}


def _leader_wants_sms(sign_in) -> None:
    leader = sign_in("leader")
    assert leader.post("/alerts/channels", {"phone": PHONE, "sms_alerts": "y"}).status_code == 302


def test_sms_is_posted_as_templated_retried_after_a_500_and_logged_without_the_key(app, session, small_town,
                                                                                    sign_in, gateway, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://xf.example.gov.cn")
    gateway.start()
    admin = sign_in("admin")
    url = f"/admin/settings/sms?town={small_town.town.id}"
    assert admin.post(url, SMS_FORM | {"url": f"{gateway.base}/sms/send"}).status_code == 302
    page = admin.get(url).get_data(as_text=True)
    assert API_KEY not in page and "已保存密钥" in page
    # Saving again without the key keeps it.
    assert admin.post(url, SMS_FORM | {"url": f"{gateway.base}/sms/send", "api_key": ""}).status_code == 302
    assert session.get(SmsSettings, small_town.town.id).api_key == API_KEY
    _leader_wants_sms(sign_in)

    start = at("2026-09-28T10:00")
    case_in_review(app, session, small_town.town, start)
    [row] = _rows(session)
    assert (row.channel, row.address, row.status) == ("sms", PHONE, "pending")

    gateway.answers = [(500, f'{{"error":"busy","echo":"{API_KEY}"}}')]
    first = _send(app, start)
    assert (first.sent, first.failed) == (0, 1)
    [row] = _rows(session)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, start + timedelta(minutes=1))
    assert "HTTP 500" in row.last_error and API_KEY not in row.last_error
    assert _send(app, start + timedelta(minutes=1)).sent == 1
    assert _send(app, start + timedelta(hours=1)).sent == 0  # never twice

    assert len(gateway.requests) == 2
    for request in gateway.requests:
        assert (request["method"], request["path"]) == ("POST", "/sms/send")
        assert request["headers"]["X-Api-Key"] == API_KEY
        assert request["headers"]["Content-Type"].startswith("application/json")
        body = json.loads(request["body"])
        assert (body["mobile"], body["sign"]) == (PHONE, "消防办")
        assert body["content"] == f"【新待办】审核：提醒 https://xf.example.gov.cn/alerts/{row.alert_id}"
    [row] = _rows(session)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, start + timedelta(minutes=1))

    log = html.unescape(admin.get(f"/admin/settings/mail/log?town={small_town.town.id}").get_data(as_text=True))
    assert "短信" in log and "已发送" in log and "HTTP 500" in log and PHONE in log and API_KEY not in log
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"sms_settings_save", "alert_channels_save"} <= actions


def test_a_get_gateway_must_answer_with_the_success_text(app, session, small_town, sign_in, gateway):
    gateway.start()
    session.merge(SmsSettings(town_id=small_town.town.id, enabled=True, method="GET",
                              url=f"{gateway.base}/send?apikey={{key}}", template="to={phone}&msg={text}&sig={sign}",
                              headers="", signature="消防办", api_key=API_KEY, success_text="OK"))
    session.commit()
    _leader_wants_sms(sign_in)
    start = at("2026-09-28T10:00")
    case_in_review(app, session, small_town.town, start)
    gateway.answers = [(200, "FAIL: no balance")]
    assert _send(app, start).failed == 1
    [row] = _rows(session)
    assert "未确认发送" in row.last_error and "FAIL: no balance" in row.last_error
    gateway.default = (200, "OK 1 sent")
    assert _send(app, start + timedelta(minutes=1)).sent == 1
    for request in gateway.requests:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request["path"]).query))
        assert query == {"apikey": API_KEY, "to": PHONE, "msg": "【新待办】审核：提醒", "sig": "消防办"}
        assert request["method"] == "GET"


def test_robots_post_text_to_both_groups_dingtalk_signed_and_retried(app, session, small_town, sign_in, gateway):
    gateway.start()
    admin = sign_in("admin")
    url = f"/admin/settings/robots?town={small_town.town.id}"
    form = {"wecom_enabled": "y", "wecom_url": f"{gateway.base}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "dingtalk_enabled": "y", "dingtalk_url": f"{gateway.base}/robot/send?access_token={DING_TOKEN}",
            "dingtalk_secret": DING_SECRET}
    assert admin.post(url, form).status_code == 302
    page = html.unescape(admin.get(url).get_data(as_text=True))
    assert WECOM_KEY not in page and DING_TOKEN not in page and DING_SECRET not in page
    assert "key=***" in page and "access_token=***" in page
    # Saving with empty fields keeps what was saved.
    assert admin.post(url, {"wecom_enabled": "y", "dingtalk_enabled": "y"}).status_code == 302
    assert session.get(RobotSettings, small_town.town.id).dingtalk_secret == DING_SECRET

    start = at("2026-09-28T10:00")
    case_in_review(app, session, small_town.town, start)
    rows = _rows(session)
    assert sorted((r.channel, r.address) for r in rows) == [("dingtalk", "钉钉群"), ("wecom", "企业微信群")]
    # 钉钉 refuses the first time (errcode, though HTTP 200): retried after a minute.
    gateway.answers = [(200, '{"errcode":0,"errmsg":"ok"}'), (200, '{"errcode":310000,"errmsg":"sign not match"}')]
    first = _send(app, start)
    assert (first.sent, first.failed) == (1, 1)
    ding = session.scalar(select(Delivery).where(Delivery.channel == "dingtalk"))
    assert (ding.status, ding.attempts) == ("pending", 1) and "errcode 310000" in ding.last_error
    assert _send(app, start + timedelta(minutes=1)).sent == 1

    wecom = [r for r in gateway.requests if r["path"].startswith("/cgi-bin/")]
    dingtalk = [r for r in gateway.requests if r["path"].startswith("/robot/")]
    assert len(wecom) == 1 and len(dingtalk) == 2
    leader = _user(session, "leader")
    for request in wecom + dingtalk:
        body = json.loads(request["body"])
        assert body["msgtype"] == "text"
        assert body["text"]["content"].startswith(f"【新待办】{leader.display_name}：审核：提醒")
    assert wecom[0]["path"] == f"/cgi-bin/webhook/send?key={WECOM_KEY}"
    for request, moment in zip(dingtalk, [start, start + timedelta(minutes=1)], strict=True):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request["path"]).query))
        assert query["access_token"] == DING_TOKEN and query["timestamp"] == str(int(moment.timestamp() * 1000))
        expected = base64.b64encode(hmac.new(DING_SECRET.encode(), f"{query['timestamp']}\n{DING_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        assert query["sign"] == expected

    log = html.unescape(admin.get(f"/admin/settings/mail/log?town={small_town.town.id}").get_data(as_text=True))
    assert "企业微信群" in log and "钉钉群" in log and log.count("已发送") == 2 and "errcode 310000" in log
    assert WECOM_KEY not in log and DING_TOKEN not in log and DING_SECRET not in log
    assert "robot_settings_save" in set(session.scalars(select(AuditEvent.action)))


def test_with_the_gateway_down_the_action_succeeds_and_the_message_follows(app, session, small_town, sign_in,
                                                                           gateway):
    session.merge(SmsSettings(town_id=small_town.town.id, enabled=True, method="POST", url=f"{gateway.base}/s",
                              template="m={phone}&t={text}", headers="", signature="消防办", api_key="",
                              success_text=""))
    session.merge(RobotSettings(town_id=small_town.town.id, wecom_enabled=True, wecom_url=f"{gateway.base}/w?key=a",
                                dingtalk_enabled=False, dingtalk_url="", dingtalk_secret=""))
    session.commit()
    _leader_wants_sms(sign_in)
    start = at("2026-09-28T10:00")
    app.extensions["firegrid.clock"].set(start)
    review = case_in_review(app, session, small_town.town, start)
    # The clerk's 催办 through HTTP succeeds although nothing answers on the gateway's port.
    sent = sign_in("clerk").post(f"/cases/{review.instance_id}/tasks/{review.id}/remind", {"reason": "今天要发"},
                                 follow_redirects=True)
    assert sent.status_code == 200 and "已催办" in sent.get_data(as_text=True)
    assert sorted(r.channel for r in _rows(session)) == ["sms", "sms", "wecom", "wecom"]
    first = _send(app, start)
    assert (first.sent, first.failed) == (0, 4)
    for row in _rows(session):
        assert (row.status, row.attempts) == ("pending", 1) and "连接被拒绝" in row.last_error

    gateway.start()
    assert _send(app, start + timedelta(minutes=1)).sent == 4
    assert len(gateway.requests) == 3  # both retried texts to one phone go as one; the robot posts each event
    [sms] = [r for r in gateway.requests if r["path"] == "/s"]
    assert dict(urllib.parse.parse_qsl(sms["body"])) == {"m": PHONE, "t": "【消息提醒】您有2条新消息：审核：提醒等"}


def test_settings_errors_beside_the_fields_admins_only_and_the_users_choice(app, session, small_town, sign_in):
    admin = sign_in("admin")
    url = f"/admin/settings/sms?town={small_town.town.id}"
    bad = admin.post(url, {"enabled": "y", "method": "GET", "url": "ftp://x", "template": '{"a":"{phone}"}',
                           "headers": "no colon here", "signature": "【消防办】"})
    page = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 400
    for field, message in [("url", "网关地址应以 http:// 或 https:// 开头"), ("template", "{text}"),
                           ("headers", "格式不正确"), ("signature", "短信签名不用加【】")]:
        assert f'id="{field}-error"' in page and message in page[page.index(f'id="{field}-error"'):][:300], field
    missing = html.unescape(admin.post(url, {"enabled": "y", "method": "POST"}).get_data(as_text=True))
    assert "启用短信发送时请填写网关地址" in missing and "启用短信发送时请填写短信签名" in missing
    robots = f"/admin/settings/robots?town={small_town.town.id}"
    bad = html.unescape(admin.post(robots, {"wecom_enabled": "y", "dingtalk_url": "not a url",
                                            "dingtalk_secret": "abc"}).get_data(as_text=True))
    assert "启用企业微信群机器人时请填写Webhook地址" in bad and "Webhook地址应以" in bad and "以 SEC 开头" in bad
    assert session.scalar(select(func.count()).select_from(SmsSettings)) == 0
    assert session.scalar(select(func.count()).select_from(RobotSettings)) == 0
    clerk = sign_in("clerk")
    assert clerk.get(url).status_code == 403 and clerk.get(robots).status_code == 403

    leader = sign_in("leader")
    assert "本镇尚未启用短信提醒" in leader.get("/alerts/channels").get_data(as_text=True)
    refused = html.unescape(leader.post("/alerts/channels", {"phone": "0571-81234567", "sms_alerts": "y"})
                            .get_data(as_text=True))
    assert "短信提醒需要11位手机号码" in refused[refused.index('id="phone-error"'):][:200]
    refused = html.unescape(leader.post("/alerts/channels", {"sms_alerts": "y"}).get_data(as_text=True))
    assert "请填写手机号码" in refused
    assert not _user(session, "leader").sms_alerts


def test_an_sms_is_one_message_long_whatever_the_title():
    alert = Alert(id=7, kind="new_task", title="审核：" + "很长的标题" * 30, body="正文不进短信")
    text = hooks.sms_text([alert], "https://xf.example.gov.cn")
    assert len(text) == hooks.SMS_MAX_CHARS and text.endswith("… https://xf.example.gov.cn/alerts/7")
    assert text.startswith("【新待办】审核：很长的标题") and "正文" not in text


def test_a_task_for_two_claimants_is_one_group_post_naming_both(app, session, small_town, gateway):
    """A group robot gets one message per event, not one per recipient (eight clerks, one post)."""
    from webapp.models import UserRole

    gateway.start()
    office_head = _user(session, "office_head")
    session.add(UserRole(user_id=office_head.id, role="leader"))  # a second leader may claim the 审核
    session.merge(RobotSettings(town_id=small_town.town.id, wecom_enabled=True,
                                wecom_url=f"{gateway.base}/cgi-bin/webhook/send?key=k", dingtalk_enabled=False,
                                dingtalk_url="", dingtalk_secret=""))
    session.commit()
    start = at("2026-09-28T10:00")
    review = case_in_review(app, session, small_town.town, start)
    told = session.scalars(select(Alert.recipient_id).where(Alert.work_task_id == review.id)).all()
    assert len(told) == 2  # in-app: each claimant has their own
    assert [r.channel for r in _rows(session)] == ["wecom"]
    assert _send(app, start).sent == 1
    [request] = gateway.requests
    content = json.loads(request["body"])["text"]["content"]
    leader = _user(session, "leader")
    names, _, rest = content.removeprefix("【新待办】").partition("：")
    assert sorted(names.split("、")) == sorted([leader.display_name, office_head.display_name])
    assert rest.startswith("审核：提醒")


@pytest.mark.parametrize(("page", "secret", "form", "kept"), [
    ("mail", "password", {"enabled": "y", "host": "127.0.0.1", "port": "2525", "security": "none",
                          "sender": "xiaofang@example.com"}, "s3cret-1"),
    ("sms", "api_key", {"enabled": "y", "method": "POST", "url": "http://127.0.0.1:9/send",
                        "template": "phone={phone}&text={text}", "signature": "消防办"}, "key-1"),
    ("robots", "dingtalk_secret", {"dingtalk_enabled": "y", "dingtalk_url": "http://127.0.0.1:9/robot"}, "SEC-1"),
])
def test_a_saved_secret_can_be_cleared_but_not_cleared_and_replaced_at_once(session, small_town, sign_in,
                                                                            page, secret, form, kept):
    admin = sign_in("admin")
    url = f"/admin/settings/{page}?town={small_town.town.id}"
    assert f"clear_{secret}" not in admin.get(url).get_data(as_text=True)  # nothing saved, nothing to clear
    assert admin.post(url, form | {secret: kept}).status_code == 302
    model = {"mail": MailSettings, "sms": SmsSettings, "robots": RobotSettings}[page]
    stored = lambda: (session.expire_all(), getattr(session.get(model, small_town.town.id), secret))[1]  # noqa: E731
    assert stored() == kept and f'name="clear_{secret}"' in admin.get(url).get_data(as_text=True)

    both = admin.post(url, form | {secret: "SEC-new", f"clear_{secret}": "y"})
    answer = html.unescape(both.get_data(as_text=True))
    assert both.status_code == 400 and "请只选其一" in answer[answer.index(f'id="{secret}-error"'):][:200]
    assert stored() == kept

    assert admin.post(url, form | {f"clear_{secret}": "y"}).status_code == 302
    assert stored() == ""
    assert f'name="clear_{secret}"' not in admin.get(url).get_data(as_text=True)
    audit = session.scalars(select(AuditEvent.summary).order_by(AuditEvent.id.desc())).first()
    assert "已清除" in audit


@pytest.mark.parametrize(("moment", "hours", "end"), [
    ("2026-09-28T23:30", (22, 7), "2026-09-29T07:00"), ("2026-09-29T06:59", (22, 7), "2026-09-29T07:00"),
    ("2026-09-29T07:00", (22, 7), None), ("2026-09-28T21:59", (22, 7), None),
    ("2026-09-28T03:00", (0, 6), "2026-09-28T06:00"), ("2026-09-28T06:00", (0, 6), None),
    ("2026-09-28T23:30", (7, 7), None),
])
def test_quiet_hours_end_in_beijing_time(moment, hours, end):
    assert quiet_end(at(moment), *hours) == (at(end) if end else None)
    assert quiet_end(at(moment).astimezone(UTC), *hours) == (at(end) if end else None)


def test_the_nights_alerts_are_one_text_at_seven_and_a_town_may_turn_quiet_hours_off(app, session, small_town,
                                                                                     sign_in, gateway):
    gateway.start()
    admin = sign_in("admin")
    assert admin.post(f"/admin/settings/sms?town={small_town.town.id}",
                      SMS_FORM | {"url": f"{gateway.base}/sms/send"}).status_code == 302
    _leader_wants_sms(sign_in)
    night = at("2026-09-28T23:30")
    case_in_review(app, session, small_town.town, night)
    case_in_review(app, session, small_town.town, night + timedelta(hours=3))
    assert [r.next_attempt_at for r in _rows(session)] == [at("2026-09-29T07:00")] * 2
    assert [n.kind for n in session.scalars(select(Alert).where(Alert.created_at == night))] == ["new_task"]
    assert _send(app, night + timedelta(minutes=5)).sent == 0 and gateway.requests == []
    assert _send(app, at("2026-09-29T07:00")).sent == 2  # both rows, in one message
    [request] = gateway.requests
    assert json.loads(request["body"])["content"] == "【消息提醒】您有2条新消息：审核：提醒等"

    reminders = f"/admin/settings/reminders?town={small_town.town.id}"
    form = {"due_soon_workdays": "1", "reminder_interval_hours": "24", "supervise_after_workdays": "2"}
    bad = html.unescape(admin.post(reminders, form | {"quiet_from": "24", "quiet_until": "-1"})
                        .get_data(as_text=True))
    for field in ("quiet_from", "quiet_until"):
        assert "请填写0至23之间的整点" in bad[bad.index(f'id="{field}-error"'):][:200], field
    assert admin.post(reminders, form | {"quiet_from": "0", "quiet_until": "0"}).status_code == 302
    case_in_review(app, session, small_town.town, night + timedelta(days=1))
    assert [r.next_attempt_at for r in _rows(session)][-1] == night + timedelta(days=1)  # at once
