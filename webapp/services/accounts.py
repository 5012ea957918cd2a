"""User accounts: creation, roles, passwords, unlocking and ending sessions (login: services.login)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import GridNode, User, UserRole
from webapp.models.users import ROLES
from webapp.services.errors import InvalidInput
from webapp.services.input_rules import email_problem

_MOBILE = re.compile(r"^1\d{10}$")

PASSWORD_HASH_METHOD = "scrypt"

# -- the password policy: length, not a common password, not the username, not blank --------------------

MIN_PASSWORD_LENGTH = 8

# Passwords that top every published leak list (and their Chinese favourites); a guesser tries these first.
_COMMON_PASSWORD_TEXT = """
password password1 password12 password123 passw0rd p@ssw0rd p@ssword pa$$word 12345678 123456789 1234567890
87654321 11111111 00000000 88888888 66666666 12341234 11223344 12121212 123123123 1qaz2wsx 1q2w3e4r 1q2w3e4r5t
qwertyui qwerty12 qwerty123 qwertyuiop asdfghjk asdf1234 zxcvbnm1 zxcvbnm123 abcd1234 abc12345 abc123456
a1234567 a12345678 aa123456 iloveyou iloveyou1 woaini520 woaini1314 5201314520 1314520520 admin123 admin1234
administrator root1234 welcome1 welcome123 letmein1 sunshine princess football baseball superman dragon123
monkey123 trustno1 starwars whatever computer internet changeme changeme1 default1 test1234 testtest user1234
guest123 firegrid firegrid1 firegrid123 xiaofang 12345qwert qweasdzxc 147258369 123654789 159357456 741852963
987654321 1234qwer q1w2e3r4 zaq12wsx !qaz2wsx qazwsxedc 1qazxsw2 aaaaaaaa abcdefgh
"""
COMMON_PASSWORDS = frozenset(_COMMON_PASSWORD_TEXT.split())


def check_password(password: str, username: str = "", *, field: str = "password") -> None:
    """Refuse a password a guesser would find: short, common, the username, or blank. Messages in Chinese."""
    if not password.strip():
        raise InvalidInput("密码不能全为空格。", field=field)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少需要{MIN_PASSWORD_LENGTH}位。", field=field)
    lowered = password.strip().lower()
    if username and username.strip().lower() in lowered:
        raise InvalidInput("密码不能包含用户名。", field=field)
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        raise InvalidInput("该密码过于常见或简单，容易被猜中，请换一个。", field=field)


def random_password() -> str:
    """An initial password an administrator reads out once: 12 letters and digits without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def _check_roles(roles: list[str]) -> None:
    if not roles:
        raise InvalidInput("请至少选择一个角色。", field="roles")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput(f"未知角色：{'、'.join(unknown)}", field="roles")


def _hash(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def end_sessions(user: User) -> None:
    """Every session and remember-me cookie of this user stops working at its next request."""
    user.session_version = (user.session_version or 1) + 1


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    scope: GridNode,
    now: datetime,
    phone: str = "",
    email: str = "",
    email_alerts: bool = False,
    sms_alerts: bool = False,
    must_change_password: bool = False,
) -> User:
    """`must_change_password`: an initial password an administrator chose or read out (not the demo's)."""
    username = username.strip()
    if session.scalar(select(User.id).where(User.username == username)):
        raise InvalidInput(f"用户名“{username}”已被使用。", field="username")
    check_password(password, username)
    _check_roles(roles)
    email = email.strip()
    _check_email(email, email_alerts)
    _check_sms(phone, sms_alerts)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=_hash(password),
        scope=scope,
        phone=phone,
        email=email,
        email_alerts=email_alerts,
        sms_alerts=sms_alerts,
        created_at=now,
        role_rows=[UserRole(role=r) for r in roles],
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def _check_email(email: str, email_alerts: bool) -> None:
    problem = email_problem(email)
    if problem:
        raise InvalidInput(problem + "。", field="email")
    if email_alerts and not email:
        raise InvalidInput("请填写电子邮箱，或不选“接收邮件提醒”。", field="email")


def _check_sms(phone: str, sms_alerts: bool) -> None:
    if sms_alerts and not phone.strip():
        raise InvalidInput("请填写手机号码，或不选“接收短信提醒”。", field="phone")
    if sms_alerts and not _MOBILE.match(phone.strip()):
        raise InvalidInput("短信提醒需要11位手机号码（固定电话收不到短信）。", field="phone")


def set_alert_email(session: Session, user: User, *, email: str, email_alerts: bool) -> None:
    """A user's own choice of e-mail 消息提醒 (the address and whether to receive them)."""
    email = email.strip()
    _check_email(email, email_alerts)
    user.email, user.email_alerts = email, email_alerts
    session.flush()


def set_alert_channels(session: Session, user: User, *, email: str, email_alerts: bool, phone: str,
                       sms_alerts: bool) -> None:
    """A user's own choice of 消息提醒 channels: e-mail (address and on/off) and SMS (mobile number and on/off)."""
    phone = phone.strip()
    _check_sms(phone, sms_alerts)
    set_alert_email(session, user, email=email, email_alerts=email_alerts)
    user.phone, user.sms_alerts = phone, sms_alerts
    session.flush()


def update_user(
    session: Session, user: User, *, display_name: str, roles: list[str], scope: GridNode, phone: str, enabled: bool,
    email: str | None = None, email_alerts: bool | None = None, sms_alerts: bool | None = None,
) -> None:
    """A change of roles, scope or the enabled flag ends the user's sessions (they sign in again)."""
    _check_roles(roles)
    ends_sessions = set(roles) != user.roles or scope.id != user.scope_id or enabled != user.is_enabled
    user.display_name = display_name.strip() or user.username
    user.scope = scope
    user.phone = phone
    if email is not None and email_alerts is not None:
        _check_email(email.strip(), email_alerts)
        user.email, user.email_alerts = email.strip(), email_alerts
    if sms_alerts is not None:
        _check_sms(phone, sms_alerts)
        user.sms_alerts = sms_alerts
    user.is_enabled = enabled
    current = {row.role: row for row in user.role_rows}
    user.role_rows = [current.get(r) or UserRole(role=r) for r in roles]
    if ends_sessions:
        end_sessions(user)
    session.flush()


def reset_password(session: Session, user: User, password: str = "") -> str:
    """An administrator's reset: the given password or a random one (returned, shown once), to be
    changed at the next login; unlocks the account and ends its sessions."""
    password = password or random_password()
    check_password(password, user.username)
    user.password_hash = _hash(password)
    user.must_change_password = True
    unlock(user)
    end_sessions(user)
    session.flush()
    return password


def change_password(session: Session, user: User, *, old_password: str, new_password: str) -> None:
    """The user's own change: needs the old password; ends every other session (the caller renews its own)."""
    if not check_password_hash(user.password_hash, old_password):
        raise InvalidInput("原密码不正确。", field="old_password")
    check_password(new_password, user.username, field="new_password")
    if new_password == old_password:
        raise InvalidInput("新密码不能与原密码相同。", field="new_password")
    user.password_hash = _hash(new_password)
    user.must_change_password = False
    end_sessions(user)
    session.flush()


def unlock(user: User) -> None:
    """An administrator lifts a lock-out; the failure count starts again."""
    user.failed_logins = 0
    user.locked_until = None


def display_names(session: Session, usernames: list[str]) -> list[str]:
    """The display names of these accounts, in the given order (a username is an internal code)."""
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
    return [users[name].display_name if name in users else name for name in usernames]
