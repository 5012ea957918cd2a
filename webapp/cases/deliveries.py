"""Delivery of 消息提醒 on outside channels: e-mail, SMS, 企业微信/钉钉 group robots. Queue in the action's
transaction, send from the background sweep.

Queueing (`queue_email`, `queue_sms`, `queue_robots`, each one of alerts.CHANNELS): one INSERT … SELECT
per channel adds a pending delivery for every new alert that should go out on it — e-mail and SMS when the
recipient has an address or number, has chosen that channel, and belongs to a town that has it enabled;
a group robot for every alert of an enabled user of a town with that robot on. Nothing is sent in the
request.

Sending (`send_due`, run by `firegrid tick` and the serve loop, each in its own try), one path for all
channels: a batch of due rows is claimed by one UPDATE … WHERE status = 'pending' (on PostgreSQL the
candidate rows are also locked with SKIP LOCKED), committed before anything goes out, so two processes
never send one row. The batch is split by channel and town, and each share is handed to the channel's
sender (SENDERS; e-mail here, the HTTP ones through webapp.cases.hooks), which reports every row's outcome
to `_Sweep.record`. Each attempt is recorded at once (attempts + 1, the error in Chinese, never a secret);
a failed attempt is retried after 1, 5 and 30 minutes, and after the fourth the delivery is failed. A
claim older than CLAIM_STALE (a process killed mid-send) is taken over.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, update
from sqlalchemy.orm import Session, aliased

from webapp.cases import hooks
from webapp.models import Alert, Delivery, GridNode, MailSettings, ReminderSettings, RobotSettings, SmsSettings, User
from webapp.models.alerts import DEFAULT_QUIET_FROM, DEFAULT_QUIET_UNTIL, quiet_end

log = logging.getLogger(__name__)

# After the n-th failed attempt, wait RETRY_AFTER[n - 1]; the attempt after the last wait is the final one.
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
BATCH = 50
SMTP_TIMEOUT_SECONDS = 15
# A claim is taken over only after longer than a whole batch can take (50 messages, each bounded by its
# 10–15 s timeouts): a slow but live sender must not see its rows sent a second time by another process.
CLAIM_STALE = timedelta(minutes=30)


_COLUMNS = ["alert_id", "town_id", "channel", "address", "status", "attempts", "last_error", "next_attempt_at",
            "created_at"]


def _queue(session: Session, alert_ids: Sequence[int], channel: str, address, settings, on, *conditions) -> None:  # noqa: ANN001
    """Insert a pending `channel` delivery to `address` for each of the alerts whose recipient is an enabled
    user of a town whose `settings` row (a model with `town_id`) has the channel on (`on`), where `conditions`."""
    if not _any_on(session, settings, on):
        return
    scope, town = aliased(GridNode), aliased(GridNode)
    rows = (select(Alert.id, town.id, literal(channel), address, literal("pending"), literal(0), literal(""),
                   Alert.created_at, Alert.created_at)
            .join(User, User.id == Alert.recipient_id)
            .join(scope, scope.id == User.scope_id)
            .join(town, and_(town.level == "town", scope.path.startswith(town.path)))
            .join(settings, and_(settings.town_id == town.id, on))
            .where(Alert.id.in_(list(alert_ids)), User.is_enabled.is_(True), *conditions))
    session.execute(Delivery.__table__.insert().from_select(_COLUMNS, rows))


def _any_on(session: Session, settings, on: ColumnElement[bool]) -> bool:  # noqa: ANN001
    """Most towns have no mail server, gateway or robot: one look at the small settings table spares the
    four-way join on every step of every case (a tenth of the demo history's time)."""
    return session.scalar(select(settings.town_id).where(on).limit(1)) is not None


def queue_email(session: Session, alert_ids: Sequence[int]) -> None:
    """The e-mail channel: to users with an address and e-mail alerts on, in a town with its mail server on."""
    _queue(session, alert_ids, "email", User.email, MailSettings, MailSettings.enabled.is_(True),
           User.email != "", User.email_alerts.is_(True))


def queue_sms(session: Session, alert_ids: Sequence[int]) -> None:
    """The SMS channel: to users with a phone number and SMS alerts on, in a town with its gateway on."""
    _queue(session, alert_ids, "sms", User.phone, SmsSettings, SmsSettings.enabled.is_(True),
           User.phone != "", User.sms_alerts.is_(True))


def _same_event(alert: type[Alert] | Alert, other) -> ColumnElement[bool]:  # noqa: ANN001
    """`other` (an aliased Alert) tells of the same event as `alert`: kind, case, task and moment."""
    return and_(other.kind == alert.kind, other.instance_id.is_not_distinct_from(alert.instance_id),
                other.work_task_id.is_not_distinct_from(alert.work_task_id), other.created_at == alert.created_at)


def queue_robots(session: Session, alert_ids: Sequence[int]) -> None:
    """The group robots: one message per event (a new task for eight clerks is one post naming them all, not
    eight), to each robot the town has on."""
    robots_on = or_(and_(RobotSettings.wecom_enabled.is_(True), RobotSettings.wecom_url != ""),
                    and_(RobotSettings.dingtalk_enabled.is_(True), RobotSettings.dingtalk_url != ""))
    if not _any_on(session, RobotSettings, robots_on):
        return
    other = aliased(Alert)
    first = Alert.id == (select(func.min(other.id)).where(other.id.in_(list(alert_ids)), _same_event(Alert, other))
                         .scalar_subquery())
    for channel, enabled, url in (("wecom", RobotSettings.wecom_enabled, RobotSettings.wecom_url),
                                  ("dingtalk", RobotSettings.dingtalk_enabled, RobotSettings.dingtalk_url)):
        _queue(session, alert_ids, channel, literal(hooks.ROBOT_ADDRESSES[channel]), RobotSettings,
               and_(enabled.is_(True), url != ""), first)


def defer_quiet_hours(session: Session, alert_ids: Sequence[int]) -> None:
    """The last of alerts.CHANNELS: the outside deliveries just queued for alerts made in their town's 免打扰
    hours wait until those hours end (the in-app alert is there at once)."""
    rows = session.execute(select(Delivery.id, Delivery.town_id, Delivery.next_attempt_at)
                           .where(Delivery.alert_id.in_(list(alert_ids)), Delivery.attempts == 0)).all()
    own = {entry.town_id: entry for entry in session.scalars(
        select(ReminderSettings).where(ReminderSettings.town_id.in_({row.town_id for row in rows})))}
    later: dict[datetime, list[int]] = {}
    for delivery_id, town_id, due in rows:
        end = (own[town_id].quiet_end(due) if town_id in own
               else quiet_end(due, DEFAULT_QUIET_FROM, DEFAULT_QUIET_UNTIL))
        if end is not None:
            later.setdefault(end, []).append(delivery_id)
    for end, ids in later.items():
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(next_attempt_at=end)
                        .execution_options(synchronize_session=False))


def event_recipients(session: Session, alert: Alert) -> list[str]:
    """Display names of everyone an alert's event told (the group message names them all)."""
    other = aliased(Alert)
    return list(session.scalars(select(User.display_name).join(other, other.recipient_id == User.id)
                                .where(_same_event(alert, other)).order_by(other.id)))


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0  # attempts that failed (retried later or given up)


def _claimable(now: datetime):
    return or_(and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
               and_(Delivery.status == "sending", Delivery.claimed_at < now - CLAIM_STALE))


def claim(session: Session, *, worker: str, now: datetime, batch: int = BATCH) -> list[int]:
    """Mark up to `batch` due deliveries as ours and commit; returns their ids. The outer WHERE repeats
    the condition, so a row another process claimed first (PostgreSQL re-checks it after the lock) is
    skipped, and SQLite serialises the writes. A plain read first: the serve loop asks every few seconds,
    and an UPDATE would take SQLite's write lock each time."""
    if session.scalar(select(Delivery.id).where(_claimable(now)).limit(1)) is None:
        session.commit()  # end the read transaction
        return []
    candidates = (select(Delivery.id).where(_claimable(now)).order_by(Delivery.next_attempt_at, Delivery.id)
                  .limit(batch).with_for_update(skip_locked=True))
    stmt = (update(Delivery).where(Delivery.id.in_(candidates.scalar_subquery()), _claimable(now))
            .values(status="sending", claimed_by=worker, claimed_at=now).returning(Delivery.id)
            .execution_options(synchronize_session=False))
    try:
        ids = list(session.scalars(stmt))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ids


Work = list[tuple[int, str, int]]  # (delivery id, address, alert id) per row of one channel and town


@dataclass(frozen=True)
class Message:
    """What goes out as one message: the alerts of one or more deliveries to one address."""

    address: str
    delivery_ids: tuple[int, ...]
    alert_ids: tuple[int, ...]


def per_address(work: Work) -> list[Message]:
    """E-mail and SMS: one message per address for everything due to it in the batch (the night's alerts,
    held by 免打扰, arrive at 07:00 as one message, not a flood), in the order they were made."""
    grouped: dict[str, tuple[list[int], list[int]]] = {}
    for delivery_id, address, alert_id in work:
        deliveries, alert_ids = grouped.setdefault(address, ([], []))
        deliveries.append(delivery_id)
        alert_ids.append(alert_id)
    return [Message(address, tuple(d), tuple(a)) for address, (d, a) in grouped.items()]


def per_row(work: Work) -> list[Message]:
    """Group robots: a message per delivery (each already tells of one event, naming everyone)."""
    return [Message(address, (delivery_id,), (alert_id,)) for delivery_id, address, alert_id in work]


@dataclass
class _Sweep:
    """One run of the sweep: what every channel's sender needs, and where it reports each row's outcome."""

    session: Session
    worker: str
    now: datetime
    public_url: str
    result: SendResult = field(default_factory=SendResult)

    def record(self, delivery_id: int, error: str | None) -> None:
        _record(self.session, delivery_id, self.worker, self.now, error, self.result)

    def fail(self, work: Work, error: str) -> None:
        for delivery_id, _address, _alert in work:
            self.record(delivery_id, error)

    def settle(self, messages: Sequence[Message], error: str | None) -> None:
        for message in messages:
            for delivery_id in message.delivery_ids:
                self.record(delivery_id, error)

    def alerts(self, message: Message) -> list[Alert]:
        return [self.session.get(Alert, alert_id) for alert_id in message.alert_ids]


def send_due(session: Session, now: datetime, *, worker: str, public_url: str = "", batch: int = BATCH) -> SendResult:
    """Send what is due, channel by channel and town by town, recording each attempt as it ends."""
    sweep = _Sweep(session, worker, now, public_url)
    ids = claim(session, worker=worker, now=now, batch=batch)
    if not ids:
        return sweep.result
    # Plain values, not ORM rows: each attempt commits, which expires every loaded object.
    rows = session.execute(select(Delivery.channel, Delivery.town_id, Delivery.id, Delivery.address,
                                  Delivery.alert_id).where(Delivery.id.in_(ids)).order_by(Delivery.id))
    shares: dict[tuple[str, int], Work] = {}
    for channel, town_id, *work in rows:
        shares.setdefault((channel, town_id), []).append(tuple(work))
    for (channel, town_id), work in shares.items():
        sender = SENDERS.get(channel)
        if sender is None:
            sweep.fail(work, "未知的发送方式。")
        else:
            sender(sweep, town_id, work)
    return sweep.result


def _send_email(sweep: _Sweep, town_id: int, work: Work) -> None:
    """One town's e-mail: one SMTP connection for the share; a lost connection fails the rest of it."""
    session, now = sweep.session, sweep.now
    settings = session.get(MailSettings, town_id)
    if settings is None or not settings.enabled or not settings.host:
        sweep.fail(work, "本镇未启用邮件发送。")
        return
    server = (settings.host, settings.port, settings.security, settings.username, settings.password,
              settings.sender)
    try:
        smtp = _connect(*server[:5])
    except Exception as error:  # every kind of failure is one failed attempt for each row
        sweep.fail(work, _describe(error, server))
        return
    messages = per_address(work)
    try:
        for index, message in enumerate(messages):
            try:
                smtp.send_message(_message(sweep.alerts(message), message.address, server[5], now, sweep.public_url))
            except smtplib.SMTPServerDisconnected as error:
                # The connection is gone: this message and the rest fail this time.
                sweep.settle(messages[index:], _describe(error, server))
                return
            except smtplib.SMTPException as error:  # this message refused (a bad address …); the connection lives
                sweep.settle([message], _describe(error, server))
            except OSError as error:  # a socket error (every SMTPException is an OSError too: caught above)
                sweep.settle(messages[index:], _describe(error, server))
                return
            except Exception as error:  # this message not buildable; the connection lives
                sweep.settle([message], _describe(error, server))
            else:
                sweep.settle([message], None)
    finally:
        try:
            smtp.quit()
        except Exception:  # noqa: BLE001 — closing a dead connection
            smtp.close()


def _one_by_one(sweep: _Sweep, messages: list[Message], send: Callable[[str, list[Alert]], None]) -> None:
    """The HTTP channels: one request per message; an unreachable server fails the rest of the share."""
    for index, message in enumerate(messages):
        try:
            send(message.address, sweep.alerts(message))
        except hooks.Unreachable as error:
            sweep.settle(messages[index:], str(error))
            return
        except hooks.SendFailed as error:
            sweep.settle([message], str(error))
        except Exception as error:  # noqa: BLE001 — a bug in building the request is one failed attempt
            log.exception("deliveries %s could not be sent", message.delivery_ids)
            sweep.settle([message], f"发送失败：{type(error).__name__}")
        else:
            sweep.settle([message], None)


def _send_sms(sweep: _Sweep, town_id: int, work: Work) -> None:
    entry = sweep.session.get(SmsSettings, town_id)
    if entry is None or not entry.enabled or not entry.url:
        sweep.fail(work, "本镇未启用短信发送。")
        return
    gateway = hooks.SmsGateway.of(entry)
    _one_by_one(sweep, per_address(work), lambda phone, alerts: hooks.send_sms(
        gateway, phone, hooks.sms_text(alerts, sweep.public_url)))


def _robot_sender(kind: str) -> Callable[[_Sweep, int, Work], None]:
    def send(sweep: _Sweep, town_id: int, work: Work) -> None:
        robot = hooks.robots_of(sweep.session.get(RobotSettings, town_id)).get(kind)
        if robot is None:
            sweep.fail(work, f"本镇未启用{hooks.ROBOT_ADDRESSES[kind]}机器人。")
            return
        url, secret = robot

        def post(_address: str, alerts: list[Alert]) -> None:
            [alert] = alerts
            text = hooks.robot_text(alert, "、".join(event_recipients(sweep.session, alert)), sweep.public_url)
            hooks.send_robot(kind, url, secret, text, sweep.now)

        _one_by_one(sweep, per_row(work), post)

    return send


# Each channel's sender: it sends one town's share of the batch and reports every row to sweep.record.
SENDERS: dict[str, Callable[[_Sweep, int, Work], None]] = {
    "email": _send_email, "sms": _send_sms, "wecom": _robot_sender("wecom"), "dingtalk": _robot_sender("dingtalk"),
}


def _connect(host: str, port: int, security: str, username: str, password: str) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if security == "starttls":
            smtp.starttls(context=context)
        if username:
            smtp.login(username, password)
    except Exception:
        smtp.close()
        raise
    return smtp


def _message(alerts: list[Alert], address: str, sender: str, now: datetime, public_url: str) -> EmailMessage:
    """One alert as its own mail; several (to one address in one batch) as one mail listing them all."""
    message = EmailMessage()
    subject = alerts[0].title if len(alerts) == 1 else f"您有{len(alerts)}条新的消息提醒"
    message["Subject"] = re.sub(r"[\r\n]+", " ", subject)  # a header is one line
    message["From"] = sender
    message["To"] = address
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = []
    for number, alert in enumerate(alerts, start=1):
        lines.append(f"{number}. 【{alert.kind_label}】{alert.title}" if len(alerts) > 1
                     else f"【{alert.kind_label}】{alert.title}")
        if alert.body:
            lines.append(alert.body)
        if public_url:
            lines.append(f"查看：{public_url}/alerts/{alert.id}")
        lines.append("")
    lines.append("（本邮件由系统自动发送，请勿回复。）")
    message.set_content("\n".join(lines) + "\n")
    return message


def _record(session: Session, delivery_id: int, worker: str, now: datetime, error: str | None,
            result: SendResult) -> None:
    """One attempt's outcome, committed at once; only while the claim is still ours."""
    row = session.get(Delivery, delivery_id, populate_existing=True)
    if row is None or row.status != "sending" or row.claimed_by != worker:
        session.rollback()
        return
    attempts = row.attempts + 1
    if error is None:
        values = {"status": "sent", "sent_at": now}  # an earlier failure stays in last_error, for the log
        result.sent += 1
    else:
        log.warning("delivery %s to %s failed (attempt %d): %s", delivery_id, row.address, attempts, error)
        result.failed += 1
        if attempts >= MAX_ATTEMPTS:
            values = {"status": "failed", "last_error": error}
        else:
            values = {"status": "pending", "last_error": error, "next_attempt_at": now + RETRY_AFTER[attempts - 1]}
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claimed_by == worker,
                                           Delivery.status == "sending")
                    .values(attempts=attempts, claimed_by=None, claimed_at=None, **values)
                    .execution_options(synchronize_session=False))
    session.commit()


def _describe(error: BaseException, server: tuple) -> str:
    """A short Chinese account of a failure for the log page; the password never appears in it."""
    host, port, password = server[0], server[1], server[4]
    if isinstance(error, smtplib.SMTPAuthenticationError):
        text = f"邮件服务器拒绝登录（{error.smtp_code}），请检查用户名和密码。"
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "收件地址被邮件服务器拒绝：" + "；".join(f"{code} {_decode(reply)}"
                                                     for code, reply in error.recipients.values())
    elif isinstance(error, smtplib.SMTPSenderRefused):
        text = f"发件地址被邮件服务器拒绝：{error.smtp_code} {_decode(error.smtp_error)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"邮件服务器返回错误：{error.smtp_code} {_decode(error.smtp_error)}"
    elif isinstance(error, smtplib.SMTPNotSupportedError):
        text = "邮件服务器不支持所选的加密方式或登录。"
    elif isinstance(error, UnicodeEncodeError):
        text = "用户名、密码或地址含有邮件服务器不接受的字符（只能用英文字母、数字和符号）。"
    elif isinstance(error, ssl.SSLError):
        text = f"加密连接失败：{error.reason or error}"
    elif isinstance(error, ConnectionRefusedError):
        text = f"无法连接邮件服务器 {host}:{port}（连接被拒绝）。"
    elif isinstance(error, TimeoutError | socket.timeout):
        text = f"连接邮件服务器 {host}:{port} 超时。"
    elif isinstance(error, socket.gaierror):
        text = f"找不到邮件服务器 {host}。"
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        text = "邮件服务器断开了连接。"
    elif isinstance(error, OSError):
        text = f"无法连接邮件服务器 {host}:{port}：{error.strerror or error}"
    else:
        text = f"发送失败：{type(error).__name__}"
    if password:
        text = text.replace(password, "***")
    return text[:300]


def _decode(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply))[:150]
