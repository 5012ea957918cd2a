"""User accounts: creation, roles, password resets, and login with lock-out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import GridNode, User, UserRole
from webapp.models.users import ROLES
from webapp.services import audit
from webapp.services.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
PASSWORD_HASH_METHOD = "scrypt"


class LoginRefused(Exception):
    """Why a login failed, in Chinese, without saying whether the username exists."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少需要{MIN_PASSWORD_LENGTH}位。", field="password")


def _check_roles(roles: list[str]) -> None:
    if not roles:
        raise InvalidInput("请至少选择一个角色。", field="roles")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput(f"未知角色：{'、'.join(unknown)}", field="roles")


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
) -> User:
    username = username.strip()
    if session.scalar(select(User.id).where(User.username == username)):
        raise InvalidInput(f"用户名“{username}”已被使用。", field="username")
    _check_password(password)
    _check_roles(roles)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=generate_password_hash(password, method=PASSWORD_HASH_METHOD),
        scope=scope,
        phone=phone,
        created_at=now,
        role_rows=[UserRole(role=r) for r in roles],
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session, user: User, *, display_name: str, roles: list[str], scope: GridNode, phone: str, enabled: bool
) -> None:
    _check_roles(roles)
    user.display_name = display_name.strip() or user.username
    user.scope = scope
    user.phone = phone
    user.is_enabled = enabled
    current = {row.role: row for row in user.role_rows}
    user.role_rows = [current.get(r) or UserRole(role=r) for r in roles]
    session.flush()


def reset_password(session: Session, user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def authenticate(
    session: Session, username: str, password: str, *, now: datetime, max_failures: int, lock_minutes: int
) -> User:
    """Return the user, or raise LoginRefused; failures are counted and locking is audited."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise LoginRefused("用户名或密码错误。")
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(f"登录失败次数过多，账户已锁定，请约{minutes}分钟后再试，或联系管理员解锁。")
    if not user.is_enabled:
        raise LoginRefused("该账户已停用，请联系管理员。")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            audit.record(session, at=now, user=user, action="account_locked", object_type="user", object_id=user.id)
            raise LoginRefused(f"连续{max_failures}次密码错误，账户已锁定{lock_minutes}分钟，请稍后再试或联系管理员。")
        raise LoginRefused(f"用户名或密码错误（还可尝试{max_failures - user.failed_logins}次）。")
    user.failed_logins = 0
    user.locked_until = None
    return user


def display_names(session: Session, usernames: list[str]) -> list[str]:
    """The display names of these accounts, in the given order (a username is an internal code)."""
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
    return [users[name].display_name if name in users else name for name in usernames]
