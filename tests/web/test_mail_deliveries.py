"""E-mail 消息提醒 against a real SMTP server (aiosmtpd on a free localhost port): queued with the action, sent
by the delivery sweep, retried with backoff while the server is down, delivered once when it is back, and
shown in the town's delivery log; the settings page, the users' choice, and who may see it."""

from __future__ import annotations

import html
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select

from tests.services.test_alerts import at, case_in_review
from tests.thread_support import run_in_threads
from webapp.cases import deliveries
from webapp.cli import main
from webapp.extensions import db
from webapp.models import Alert, Delivery, MailSettings, User
from webapp.services import background

SENDER = "xiaofang@example.com"
PASSWORD = "s3cret-Pa55-wd"


class Inbox:
    """The SMTP server's mailbox: every message it accepted, as parsed e-mail."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 — aiosmtpd's hook
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


class PickyInbox(Inbox):
    """A mailbox whose server refuses every recipient whose address starts with "nobody"."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address.startswith("nobody"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class SmtpServer:
    """A real SMTP server on 127.0.0.1:`port`, started and stopped by the test."""

    def __init__(self, port: int, *, password: str | None = None) -> None:
        self.port, self.inbox, self.controller = port, Inbox(), None
        self.password = password

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == self.password.encode()
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        extra = {"authenticator": self._authenticate, "auth_require_tls": False} if self.password else {}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def smtp():
    server = SmtpServer(_free_port())
    yield server
    server.stop()


def _user(session, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def _configure(session, town, port: int, **changes) -> None:
    values = {"enabled": True, "host": "127.0.0.1", "port": port, "security": "none", "username": "",
              "password": "", "sender": SENDER} | changes
    session.merge(MailSettings(town_id=town.id, **values))
    session.commit()


def _wants_mail(session, name: str, address: str, on: bool = True) -> None:
    user = _user(session, name)
    user.email, user.email_alerts = address, on
    session.commit()


def _rows(session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def _send(app, moment) -> deliveries.SendResult:
    return background.send_deliveries(app, "test-worker", moment)


def test_with_the_server_down_the_action_succeeds_and_the_mail_comes_after_the_backoff(app, session, small_town,
                                                                                        sign_in, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://xf.example.gov.cn")
    clock = app.extensions["firegrid.clock"]
    start = at("2026-09-28T10:00")
    clock.set(start)
    admin = sign_in("admin")
    settings_url = f"/admin/settings/mail?town={small_town.town.id}"
    form = {"enabled": "y", "host": "127.0.0.1", "port": str(smtp.port), "security": "none", "username": "",
            "password": "", "sender": SENDER}
    assert admin.post(settings_url, form).status_code == 302
    leader = _user(session, "leader")
    edit = {"display_name": leader.display_name, "roles": ["leader"], "scope_id": str(leader.scope_id),
            "enabled": "y", "phone": "", "email": "hao.guoqiang@example.com", "email_alerts": "y"}
    assert admin.post(f"/admin/users/{leader.id}", edit).status_code == 302

    # The server is not running. The clerk's submit opens the leader's 审核; her 催办 goes through HTTP.
    review = case_in_review(app, session, small_town.town, start)
    clerk = sign_in("clerk")
    sent = clerk.post(f"/cases/{review.instance_id}/tasks/{review.id}/remind", {"reason": "今天要发"},
                      follow_redirects=True)
    assert sent.status_code == 200 and "已催办" in sent.get_data(as_text=True)
    alerts = list(session.scalars(select(Alert).where(Alert.recipient_id == leader.id).order_by(Alert.id)))
    assert [a.kind for a in alerts] == ["new_task", "reminder"]
    rows = _rows(session)
    assert [(r.alert_id, r.address, r.status, r.attempts) for r in rows] == [
        (a.id, "hao.guoqiang@example.com", "pending", 0) for a in alerts]

    first = _send(app, start)
    assert (first.sent, first.failed) == (0, 2)
    for row in _rows(session):
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, start + timedelta(minutes=1))
        assert "连接被拒绝" in row.last_error and str(smtp.port) in row.last_error

    smtp.start()
    assert _send(app, start + timedelta(seconds=30)).sent == 0  # still waiting out the backoff
    assert smtp.inbox.messages == []
    # Past the backoff, as cron would run it.
    tick = app.test_cli_runner().invoke(main, ["tick", "--now", "2026-09-28T10:01:01"])
    assert tick.exit_code == 0 and "提醒外发 2 条（失败 0 次）" in tick.output, tick.output
    assert _send(app, start + timedelta(hours=2)).sent == 0  # never twice
    # Both were due to one address in one batch: one mail lists them, in the order they were made.
    [(rcpt, mail)] = smtp.inbox.messages
    assert (rcpt, mail["Subject"], mail["From"]) == (["hao.guoqiang@example.com"], "您有2条新的消息提醒", SENDER)
    text = mail.get_content()
    new_task, nudge = text.split("2. ")
    assert new_task.startswith("1. 【新待办】审核：提醒")
    assert f"https://xf.example.gov.cn/alerts/{alerts[0].id}" in new_task
    assert nudge.startswith("【催办】审核：提醒") and "苏晓梅催办：今天要发" in nudge
    assert f"https://xf.example.gov.cn/alerts/{alerts[1].id}" in nudge
    for row in _rows(session):
        assert (row.status, row.attempts, row.sent_at) == ("sent", 2, start + timedelta(minutes=1, seconds=1))

    log = html.unescape(admin.get(f"/admin/settings/mail/log?town={small_town.town.id}").get_data(as_text=True))
    assert log.count("已发送") == 2 and "连接被拒绝" in log and "hao.guoqiang@example.com" in log
    assert sign_in("clerk").get(f"/admin/settings/mail/log?town={small_town.town.id}").status_code == 403


def test_after_the_last_retry_the_delivery_is_failed(app, session, small_town, smtp):
    _configure(session, small_town.town, smtp.port)
    _wants_mail(session, "leader", "leader@example.com")
    start = at("2026-09-28T10:00")
    case_in_review(app, session, small_town.town, start)
    moments = [start, start + timedelta(minutes=1), start + timedelta(minutes=6), start + timedelta(minutes=36)]
    for moment in moments:
        assert _send(app, moment).failed == 1
        assert _send(app, moment).failed == 0  # not due again at once
    [row] = _rows(session)
    assert (row.status, row.attempts) == ("failed", deliveries.MAX_ATTEMPTS)
    smtp.start()
    assert _send(app, start + timedelta(days=1)).sent == 0 and smtp.inbox.messages == []


def test_no_row_without_an_address_with_mail_off_or_without_a_mail_server(app, session, small_town):
    _wants_mail(session, "leader", "leader@example.com", on=False)  # address, but e-mail off
    _wants_mail(session, "clerk", "", on=True)  # e-mail on, no address
    _configure(session, small_town.town, 2525)
    review = case_in_review(app, session, small_town.town, at("2026-09-28T09:00"))
    from webapp.cases import actions

    actions.send_back(session, app.extensions["firegrid.runtime"], user=_user(session, "leader"),
                      work_task_id=review.id, reason="补充", now=at("2026-09-28T10:00"))
    session.commit()
    assert session.scalar(select(func.count(Alert.id))) == 2 and _rows(session) == []

    # Both want mail, but the town has switched its server off: still no rows.
    _wants_mail(session, "leader", "leader@example.com")
    _configure(session, small_town.town, 2525, enabled=False)
    case_in_review(app, session, small_town.town, at("2026-09-28T11:00"))
    assert _rows(session) == []


def test_login_with_the_saved_password_which_never_shows_in_the_page_or_the_log(app, session, small_town,
                                                                                sign_in):
    server = SmtpServer(_free_port(), password=PASSWORD)
    server.start()
    try:
        admin = sign_in("admin")
        url = f"/admin/settings/mail?town={small_town.town.id}"
        form = {"enabled": "y", "host": "127.0.0.1", "port": str(server.port), "security": "none",
                "username": "xiaofang", "password": "wrong-password", "sender": SENDER}
        assert admin.post(url, form).status_code == 302
        _wants_mail(session, "leader", "leader@example.com")
        start = at("2026-09-28T10:00")
        case_in_review(app, session, small_town.town, start)
        assert _send(app, start).failed == 1
        [row] = _rows(session)
        assert "拒绝登录（535）" in row.last_error and "wrong-password" not in row.last_error

        # Saved again with the right password; then once more with the password left empty: it is kept.
        assert admin.post(url, form | {"password": PASSWORD}).status_code == 302
        assert admin.post(url, form | {"password": ""}).status_code == 302
        session.expire_all()
        assert session.get(MailSettings, small_town.town.id).password == PASSWORD
        page = admin.get(url).get_data(as_text=True)
        assert PASSWORD not in html.unescape(page) and "已保存密码" in page
        assert _send(app, start + timedelta(minutes=1)).sent == 1
        assert len(server.inbox.messages) == 1
        log = html.unescape(admin.get(f"/admin/settings/mail/log?town={small_town.town.id}").get_data(as_text=True))
        assert PASSWORD not in log and "wrong-password" not in log
    finally:
        server.stop()


def test_two_senders_at_once_send_each_mail_once(app, session, small_town, smtp):
    smtp.start()
    _configure(session, small_town.town, smtp.port)
    for name in ("leader", "clerk"):
        _wants_mail(session, name, f"{name}@example.com")
    start = at("2026-09-28T09:00")
    review = case_in_review(app, session, small_town.town, start)
    from webapp.cases import actions

    actions.send_back(session, app.extensions["firegrid.runtime"], user=_user(session, "leader"),
                      work_task_id=review.id, reason="补充", now=start)
    session.commit()
    assert len(_rows(session)) == 2
    alert = session.scalar(select(Alert).where(Alert.kind == "send_back"))
    alert.title = "审核：\r\n提醒"  # a header is one line, whatever the title holds
    session.commit()
    results = run_in_threads(app, 2, lambda index: deliveries.send_due(db.session, start, worker=f"w{index}"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.sent for r in results) == 2
    received = sorted((rcpt[0], mail["Subject"]) for rcpt, mail in smtp.inbox.messages)
    assert received == [("clerk@example.com", "审核： 提醒"), ("leader@example.com", "审核：提醒")]
    assert {(r.status, r.attempts) for r in _rows(session)} == {("sent", 1)}


def test_the_settings_form_puts_chinese_messages_beside_the_fields_and_is_for_admins(app, session, small_town,
                                                                                      sign_in):
    admin = sign_in("admin")
    url = f"/admin/settings/mail?town={small_town.town.id}"
    bad = admin.post(url, {"enabled": "y", "host": "smtp example.com", "port": "70000", "security": "starttls",
                           "username": "", "password": "", "sender": "不是邮箱"})
    page = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 400
    for field, message in [("host", "服务器地址只能包含字母"), ("port", "端口应在1至65535之间"),
                           ("sender", "发件地址格式不正确")]:
        assert f'id="{field}-error"' in page and message in page[page.index(f'id="{field}-error"'):][:300]
    empty = html.unescape(admin.post(url, {"enabled": "y", "port": "", "security": "ssl"}).get_data(as_text=True))
    assert "请填写端口" in empty
    missing = html.unescape(admin.post(url, {"enabled": "y", "port": "465", "security": "ssl"}).get_data(as_text=True))
    assert "启用邮件发送时请填写服务器地址" in missing and "启用邮件发送时请填写发件地址" in missing
    assert session.scalar(select(func.count()).select_from(MailSettings)) == 0
    assert sign_in("clerk").get(url).status_code == 403
    assert sign_in("leader").post(url, {"enabled": "y", "host": "a.b", "port": "25", "security": "none",
                                        "sender": SENDER}).status_code == 403

    leader = _user(session, "leader")
    edit = {"display_name": leader.display_name, "roles": ["leader"], "scope_id": str(leader.scope_id),
            "enabled": "y", "email": "not an address", "email_alerts": "y"}
    refused = html.unescape(admin.post(f"/admin/users/{leader.id}", edit).get_data(as_text=True))
    assert "电子邮箱格式不正确" in refused


def test_a_user_chooses_e_mail_alerts_for_themselves(app, session, small_town, sign_in, smtp):
    leader = sign_in("leader")
    page = leader.get("/alerts/channels").get_data(as_text=True)
    assert "本镇尚未启用邮件提醒" in page
    refused = leader.post("/alerts/channels", {"email": "", "email_alerts": "y"})
    assert refused.status_code == 400
    text = html.unescape(refused.get_data(as_text=True))
    assert "请填写电子邮箱，或不选“接收邮件提醒”" in text[text.index('id="email-error"'):][:200]
    bad = html.unescape(leader.post("/alerts/channels", {"email": "郝@例子", "email_alerts": "y"})
                        .get_data(as_text=True))
    assert "电子邮箱格式不正确" in bad[bad.index('id="email-error"'):][:200]
    assert leader.post("/alerts/channels", {"email": "hgq@example.com", "email_alerts": "y"}).status_code == 302
    assert _user(session, "leader").email == "hgq@example.com"

    smtp.start()
    _configure(session, small_town.town, smtp.port)
    assert "本镇尚未启用邮件提醒" not in leader.get("/alerts/channels").get_data(as_text=True)
    start = at("2026-09-28T09:00")
    case_in_review(app, session, small_town.town, start)
    assert _send(app, start).sent == 1
    [(rcpt, mail)] = smtp.inbox.messages
    assert rcpt == ["hgq@example.com"] and mail["Subject"] == "审核：提醒"

    assert leader.post("/alerts/channels", {"email": "hgq@example.com"}).status_code == 302  # off again
    case_in_review(app, session, small_town.town, start)
    assert len(_rows(session)) == 1




def test_an_encryption_the_server_does_not_speak_is_a_chinese_error(app, session, small_town, smtp):
    smtp.start()  # plain SMTP, no TLS
    _configure(session, small_town.town, smtp.port, security="starttls")
    _wants_mail(session, "leader", "leader@example.com")
    start = at("2026-09-28T10:00")
    case_in_review(app, session, small_town.town, start)
    assert _send(app, start).failed == 1
    [row] = _rows(session)
    assert "不支持所选的加密方式" in row.last_error
    _configure(session, small_town.town, smtp.port, security="ssl")
    assert _send(app, start + timedelta(minutes=1)).failed == 1
    [row] = _rows(session)
    assert "加密连接失败" in row.last_error and (row.status, row.attempts) == ("pending", 2)
    assert smtp.inbox.messages == []


def test_each_town_sends_through_its_own_server_and_logs_its_own_deliveries(app, session, small_town, sign_in,
                                                                             smtp):
    from tests import factories
    from webapp.cases import alerts

    region = small_town.town.parent
    other_town = factories.town(session, "梅园镇", region=region)
    factories.user(session, "other_leader", "leader", scope=other_town)
    factories.user(session, "county_lead", "county", scope=region)  # above the towns: no town's server
    session.commit()
    other = SmtpServer(_free_port())
    smtp.start()
    other.start()
    try:
        _configure(session, small_town.town, smtp.port)
        _configure(session, other_town, other.port)
        start = at("2026-09-28T10:00")
        names = ("leader", "other_leader", "county_lead")
        made = [Alert(recipient=_user(session, name), kind="reminder", title=f"给{name}", body="", created_at=start)
                for name in names]
        for name in names:
            _wants_mail(session, name, f"{name}@example.com")
        session.add_all(made)
        session.flush()
        alerts.deliver(session, [a.id for a in made])  # the CHANNELS seam, as an action calls it
        session.commit()
        assert sorted((r.address, r.town_id) for r in _rows(session)) == [
            ("leader@example.com", small_town.town.id), ("other_leader@example.com", other_town.id)]
        assert _send(app, start).sent == 2
        assert [m["Subject"] for _r, m in smtp.inbox.messages] == ["给leader"]
        assert [m["Subject"] for _r, m in other.inbox.messages] == ["给other_leader"]
    finally:
        other.stop()
    admin = sign_in("admin")  # the first town's administrator
    log = admin.get(f"/admin/settings/mail/log?town={small_town.town.id}").get_data(as_text=True)
    assert "leader@example.com" in log and "other_leader@example.com" not in log
    assert admin.get(f"/admin/settings/mail/log?town={other_town.id}").status_code == 403


def test_a_refused_address_fails_only_its_own_mail(app, session, small_town, smtp):
    """A 550 for one recipient is that delivery's failed attempt; the connection lives and the next mail in
    the batch is sent."""
    smtp.inbox = PickyInbox()
    smtp.start()
    _configure(session, small_town.town, smtp.port)
    _wants_mail(session, "leader", "nobody@example.com")
    _wants_mail(session, "clerk", "clerk@example.com")
    start = at("2026-09-28T09:00")
    review = case_in_review(app, session, small_town.town, start)  # the leader's 新待办: first in the batch
    from webapp.cases import actions

    actions.send_back(session, app.extensions["firegrid.runtime"], user=_user(session, "leader"),
                      work_task_id=review.id, reason="补充", now=start)
    session.commit()
    result = _send(app, start)
    assert (result.sent, result.failed) == (1, 1)
    refused, sent = _rows(session)
    assert (refused.address, refused.status, refused.attempts) == ("nobody@example.com", "pending", 1)
    assert "收件地址被邮件服务器拒绝" in refused.last_error
    assert (sent.address, sent.status) == ("clerk@example.com", "sent")
    assert [rcpt for rcpt, _mail in smtp.inbox.messages] == [["clerk@example.com"]]
