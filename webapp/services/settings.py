"""Admin settings: holidays for years the calendar package does not know, number prefixes, the committee,
each town's reminder timing, its mail server, SMS gateway and group robots."""

from __future__ import annotations

import re
import urllib.parse
from datetime import date

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from webapp.cases import hooks
from webapp.models import (
    CalendarDay,
    CommitteeMember,
    GridNode,
    MailSettings,
    NumberPrefix,
    ReminderSettings,
    RobotSettings,
    SmsSettings,
)
from webapp.models.alerts import (
    DEFAULT_DUE_SOON_WORKDAYS,
    DEFAULT_QUIET_FROM,
    DEFAULT_QUIET_UNTIL,
    DEFAULT_REMINDER_INTERVAL_HOURS,
    DEFAULT_SUPERVISE_AFTER_WORKDAYS,
)
from webapp.models.deliveries import MAIL_SECURITY, SMS_METHODS
from webapp.models.grid import COMMITTEE_ROLES
from webapp.services.errors import InvalidInput, NotFound
from webapp.services.input_rules import email_problem
from webapp.services.numbering import GRAMMARS
from webapp.workdays import WorkdayCalendar, forget_calendar


def calendar_days(session: Session) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).order_by(CalendarDay.day)))


def set_calendar_day(session: Session, *, day: date, is_workday: bool, note: str) -> CalendarDay:
    """放假 (a holiday on a weekday) or 调休上班 (a make-up working day on a weekend)."""
    if WorkdayCalendar().known_year(day.year):
        raise InvalidInput(f"{day.year}年的节假日已由系统内置的国家法定节假日安排确定，无需手工录入。")
    entry = session.get(CalendarDay, day) or CalendarDay(day=day)
    entry.is_workday, entry.note = is_workday, note.strip()
    session.add(entry)
    session.flush()
    forget_calendar(session)
    return entry


def remove_calendar_day(session: Session, day: date) -> None:
    entry = session.get(CalendarDay, day)
    if entry is not None:
        session.delete(entry)
        session.flush()
        forget_calendar(session)


def number_prefixes(session: Session, town: GridNode) -> list[NumberPrefix]:
    stmt = select(NumberPrefix).where(NumberPrefix.town_id == town.id).order_by(NumberPrefix.key)
    return list(session.scalars(stmt))


def update_number_prefix(session: Session, town: GridNode, key: str, *, organ: str, prefix: str, grammar: str,
                         description: str = "") -> NumberPrefix:
    """Set a town's prefix; one a procedure declares but the town has not configured yet is created here."""
    entry = session.get(NumberPrefix, (town.id, key))
    if entry is None:
        entry = NumberPrefix(town_id=town.id, key=key, description=description)
        session.add(entry)
    if grammar not in GRAMMARS:
        raise InvalidInput("编号格式只能是〔年〕N号、〔年〕第NNNN号或第N期。", field="grammar")
    if not prefix.strip() or not organ.strip():
        raise InvalidInput("发文机关和机关代字不能为空。")
    if any(bracket in prefix for bracket in "〔〕[]（）()"):
        raise InvalidInput("机关代字中不要包含括号，年份括号〔〕由系统自动添加。", field="prefix")
    entry.organ, entry.prefix, entry.grammar = organ.strip(), prefix.strip(), grammar
    session.flush()
    return entry


def committee_members(session: Session, town: GridNode) -> list[CommitteeMember]:
    stmt = select(CommitteeMember).where(CommitteeMember.town_id == town.id).order_by(CommitteeMember.sort_order,
                                                                                     CommitteeMember.id)
    return list(session.scalars(stmt))


def save_committee_member(session: Session, town: GridNode, *, member_id: int | None, organ: str, role: str,
                          contact_person: str, phone: str, sort_order: int) -> CommitteeMember:
    """Add or change a member unit of the town's committee (meetings invite them; 发文 lists them)."""
    members = committee_members(session, town)
    member = next((m for m in members if m.id == member_id), None) if member_id else CommitteeMember(town=town)
    if member is None:
        raise NotFound("本镇消安委没有这个成员单位。")
    problems = {}
    if not organ.strip():
        problems["organ"] = "请填写成员单位名称。"
    elif any(m.organ == organ.strip() and m is not member for m in members):
        problems["organ"] = f"“{organ.strip()}”已是成员单位。"
    if role not in COMMITTEE_ROLES:
        problems["committee_role"] = "请选择组长、副组长或成员单位。"
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    member.organ, member.committee_role = organ.strip(), role
    member.contact_person, member.phone, member.sort_order = contact_person.strip(), phone.strip(), sort_order
    session.add(member)
    session.flush()
    return member


def remove_committee_member(session: Session, town: GridNode, member_id: int) -> CommitteeMember:
    member = next((m for m in committee_members(session, town) if m.id == member_id), None)
    if member is None:
        raise NotFound("本镇消安委没有这个成员单位。")
    session.delete(member)
    session.flush()
    return member


def reminder_settings(session: Session, town: GridNode | None) -> ReminderSettings:
    """The town's 即将到期 and 催办 timing; the defaults (not saved) when it has set none or there is no town."""
    entry = session.get(ReminderSettings, town.id) if town is not None else None
    return entry or ReminderSettings(town_id=town.id if town else None, due_soon_workdays=DEFAULT_DUE_SOON_WORKDAYS,
                                     reminder_interval_hours=DEFAULT_REMINDER_INTERVAL_HOURS,
                                     supervise_after_workdays=DEFAULT_SUPERVISE_AFTER_WORKDAYS,
                                     quiet_from=DEFAULT_QUIET_FROM, quiet_until=DEFAULT_QUIET_UNTIL)


def save_reminder_settings(session: Session, town: GridNode, *, due_soon_workdays: int, reminder_interval_hours: int,
                           supervise_after_workdays: int = DEFAULT_SUPERVISE_AFTER_WORKDAYS,
                           quiet_from: int = DEFAULT_QUIET_FROM, quiet_until: int = DEFAULT_QUIET_UNTIL
                           ) -> ReminderSettings:
    problems = {}
    if not 0 <= due_soon_workdays <= 10:
        problems["due_soon_workdays"] = "提前提醒的工作日数应在0至10之间。"
    if not 1 <= reminder_interval_hours <= 720:
        problems["reminder_interval_hours"] = "催办间隔应在1至720小时之间。"
    if not 0 <= supervise_after_workdays <= 30:
        problems["supervise_after_workdays"] = "督办的工作日数应在0至30之间。"
    for name, hour in (("quiet_from", quiet_from), ("quiet_until", quiet_until)):
        if not 0 <= hour <= 23:
            problems[name] = "请填写0至23之间的整点。"
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    entry = session.get(ReminderSettings, town.id) or ReminderSettings(town_id=town.id)
    entry.due_soon_workdays, entry.reminder_interval_hours = due_soon_workdays, reminder_interval_hours
    entry.supervise_after_workdays = supervise_after_workdays
    entry.quiet_from, entry.quiet_until = quiet_from, quiet_until
    session.add(entry)
    session.flush()
    return entry


def mail_settings(session: Session, town: GridNode) -> MailSettings:
    """The town's mail server; an unsaved, disabled one when it has set none."""
    return session.get(MailSettings, town.id) or MailSettings(town_id=town.id, enabled=False, host="", port=587,
                                                              security="starttls", username="", password="",
                                                              sender="")


_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")


def _user_town(session: Session, user) -> GridNode | None:  # noqa: ANN001
    return session.scalar(select(GridNode).where(GridNode.level == "town",
                                                 literal(user.scope.path).startswith(GridNode.path)))


def town_mail_enabled(session: Session, user) -> bool:  # noqa: ANN001
    """Whether the town the user belongs to sends e-mail alerts (false for a scope above the towns)."""
    town = _user_town(session, user)
    entry = session.get(MailSettings, town.id) if town is not None else None
    return bool(entry and entry.enabled)


def town_sms_enabled(session: Session, user) -> bool:  # noqa: ANN001
    """Whether the town the user belongs to sends SMS alerts (false for a scope above the towns)."""
    town = _user_town(session, user)
    entry = session.get(SmsSettings, town.id) if town is not None else None
    return bool(entry and entry.enabled)


BOTH_NEW_AND_CLEAR = "填写了新的值又勾选了清除，请只选其一。"


def save_mail_settings(session: Session, town: GridNode, *, enabled: bool, host: str, port: int | None,
                       security: str, username: str, password: str, sender: str,
                       clear_password: bool = False) -> MailSettings:
    """An empty `password` keeps the saved one (the page never shows it back); `clear_password` removes it."""
    host, username, sender = host.strip(), username.strip(), sender.strip()
    problems = {}
    if host and not _HOST.match(host):
        problems["host"] = "服务器地址只能包含字母、数字、连字符和点，如 smtp.example.com。"
    elif enabled and not host:
        problems["host"] = "启用邮件发送时请填写服务器地址。"
    if port is None or not 1 <= port <= 65535:
        problems["port"] = "端口应在1至65535之间。"
    if security not in MAIL_SECURITY:
        problems["security"] = "请选择加密方式。"
    if sender and email_problem(sender):
        problems["sender"] = "发件地址格式不正确，如 xiaofang@example.com。"
    elif enabled and not sender:
        problems["sender"] = "启用邮件发送时请填写发件地址。"
    if clear_password and password:
        problems["password"] = BOTH_NEW_AND_CLEAR
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    entry = session.get(MailSettings, town.id) or MailSettings(town_id=town.id, password="")
    entry.enabled, entry.host, entry.port, entry.security = enabled, host, port, security
    entry.username, entry.sender = username, sender
    entry.password = password or ("" if clear_password else entry.password)
    session.add(entry)
    session.flush()
    return entry


def sms_settings(session: Session, town: GridNode) -> SmsSettings:
    """The town's SMS gateway; an unsaved, disabled one when it has set none."""
    return session.get(SmsSettings, town.id) or SmsSettings(
        town_id=town.id, enabled=False, method="POST", url="", template="", headers="", signature="", api_key="",
        success_text="")


def _web_address_problem(url: str, what: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{what}应以 http:// 或 https:// 开头，如 https://sms.example.com/send。"
    if any(c.isspace() for c in url):
        return f"{what}不能包含空格。"
    return None


def save_sms_settings(session: Session, town: GridNode, *, enabled: bool, method: str, url: str, template: str,
                      headers: str, signature: str, api_key: str, success_text: str,
                      clear_api_key: bool = False) -> SmsSettings:
    """An empty `api_key` keeps the saved one (the page never shows it back); `clear_api_key` removes it."""
    url, template, signature, success_text = url.strip(), template.strip(), signature.strip(), success_text.strip()
    headers = "\n".join(line.strip() for line in headers.splitlines() if line.strip())
    problems = {}
    if method not in SMS_METHODS:
        problems["method"] = "请选择请求方式。"
    if url:
        problem = _web_address_problem(url, "网关地址")
        if problem:
            problems["url"] = problem
    elif enabled:
        problems["url"] = "启用短信发送时请填写网关地址。"
    if enabled and "{phone}" not in url + template + headers:
        problems["template"] = "请在请求参数（或网关地址）中用 {phone} 标出手机号码的位置。"
    elif enabled and "{text}" not in url + template + headers:
        problems["template"] = "请在请求参数（或网关地址）中用 {text} 标出短信内容的位置。"
    elif method == "GET" and template.startswith(("{", "[")):
        problems["template"] = "GET 请求的参数应写成 phone={phone}&content={text} 的形式，不能是 JSON。"
    try:
        hooks.header_lines(headers)
    except ValueError as error:
        problems["headers"] = f"请求头“{error}”格式不正确，每行一个，如 Authorization: Bearer {{key}}。"
    if enabled and not signature:
        problems["signature"] = "启用短信发送时请填写短信签名（如：某某镇消防办）。"
    elif "【" in signature or "】" in signature:
        problems["signature"] = "短信签名不用加【】，只填文字。"
    if clear_api_key and api_key.strip():
        problems["api_key"] = BOTH_NEW_AND_CLEAR
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    entry = session.get(SmsSettings, town.id) or SmsSettings(town_id=town.id, api_key="")
    entry.enabled, entry.method, entry.url, entry.template = enabled, method, url, template
    entry.headers, entry.signature, entry.success_text = headers, signature, success_text
    entry.api_key = api_key.strip() or ("" if clear_api_key else entry.api_key)
    session.add(entry)
    session.flush()
    return entry


def robot_settings(session: Session, town: GridNode) -> RobotSettings:
    """The town's group robots; unsaved and off when it has set none."""
    return session.get(RobotSettings, town.id) or RobotSettings(
        town_id=town.id, wecom_enabled=False, wecom_url="", dingtalk_enabled=False, dingtalk_url="",
        dingtalk_secret="")


def save_robot_settings(session: Session, town: GridNode, *, wecom_enabled: bool, wecom_url: str,
                        dingtalk_enabled: bool, dingtalk_url: str, dingtalk_secret: str,
                        clear_dingtalk_secret: bool = False) -> RobotSettings:
    """Empty addresses and secret keep the saved ones (the page never shows them back in full);
    `clear_dingtalk_secret` removes the secret (the robot no longer signs)."""
    entry = session.get(RobotSettings, town.id) or RobotSettings(town_id=town.id, wecom_url="", dingtalk_url="",
                                                                 dingtalk_secret="")
    wecom_url, dingtalk_url, dingtalk_secret = wecom_url.strip(), dingtalk_url.strip(), dingtalk_secret.strip()
    problems = {}
    for name, url, on, saved_url, label in (("wecom_url", wecom_url, wecom_enabled, entry.wecom_url, "企业微信"),
                                            ("dingtalk_url", dingtalk_url, dingtalk_enabled, entry.dingtalk_url,
                                             "钉钉")):
        if url:
            problem = _web_address_problem(url, "Webhook地址")
            if problem:
                problems[name] = problem
        elif on and not saved_url:
            problems[name] = f"启用{label}群机器人时请填写Webhook地址。"
    if dingtalk_secret and not dingtalk_secret.startswith("SEC"):
        problems["dingtalk_secret"] = "钉钉加签密钥以 SEC 开头，请从机器人的安全设置中复制。"
    elif dingtalk_secret and clear_dingtalk_secret:
        problems["dingtalk_secret"] = BOTH_NEW_AND_CLEAR
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    entry.wecom_enabled, entry.dingtalk_enabled = wecom_enabled, dingtalk_enabled
    if wecom_url:
        entry.wecom_url = wecom_url
    if dingtalk_url:
        entry.dingtalk_url = dingtalk_url
    entry.dingtalk_secret = dingtalk_secret or ("" if clear_dingtalk_secret else entry.dingtalk_secret)
    session.add(entry)
    session.flush()
    return entry
