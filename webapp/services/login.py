"""Login with lock-out that parallel attempts cannot race, and throttling per client address.

Every attempt on an account first reserves one of its allowed failures with a single conditional
UPDATE … RETURNING, committed before the (slow) password hash is checked; only reserved attempts are
checked, so however many arrive at once, at most `max_failures` passwords are tried per lock period.
A right password clears the failures only when no other attempt was reserved while it was checked
(else it leaves the count, so two logins of one person at once both pass); the failure
that reaches the limit locks the account and ends its sessions (raises the session version), so a
login that slipped in during a burst of guesses does not outlive the lock. Failures per client
address live in a small table (`login_throttle`) that every app process shares.
Unknown usernames, wrong passwords and locked accounts get one message and the same hashing work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import case, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import LoginThrottle, User
from webapp.models.types import AwareDateTime
from webapp.services import accounts, audit


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # failed logins before an account is locked
    lock_minutes: int = 15
    address_max_failures: int = 20  # failed logins from one client address per window; 0 = no limit
    address_window_minutes: int = 15


class LoginRefused(Exception):
    """Why a login failed, in Chinese, without saying whether the username exists."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def refusal_message(policy: LoginPolicy) -> str:
    return (f"用户名或密码错误。连续{policy.max_failures}次错误后账户将锁定{policy.lock_minutes}分钟；"
            "如已锁定，请稍后再试或联系管理员解锁。")


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("no such account", method=method)


def _verify(password_hash: str | None, password: str) -> bool:
    """Check a hash; with no account, check a dummy one of the same method so the timing is the same."""
    if password_hash is None:
        check_password_hash(_dummy_hash(accounts.PASSWORD_HASH_METHOD), password)
        return False
    return check_password_hash(password_hash, password)


def authenticate(session: Session, username: str, password: str, *, address: str, now: datetime,
                 policy: LoginPolicy) -> User:
    """Return the user, or raise LoginRefused. Commits: each step must be seen by parallel attempts."""
    username = username.strip()
    if _address_throttled(session, address, now, policy):
        _verify(None, password)
        _record_failure(session, None, username, address, now, policy, "本地址失败次数过多，已暂停受理")
        raise LoginRefused(f"本机登录失败次数过多，请{policy.address_window_minutes}分钟后再试。")
    session.commit()  # a fresh transaction: the reservation below is its first statement
    reserved = session.execute(
        update(User)
        .where(User.username == username, User.failed_logins < policy.max_failures,
               or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.id, User.failed_logins, User.password_hash)
        .execution_options(synchronize_session=False)
    ).first()
    session.commit()
    if reserved is None:
        _verify(None, password)
        user = session.scalar(select(User).where(User.username == username))
        _record_failure(session, user, username, address, now, policy,
                        "账户已锁定" if user else "用户名不存在")
        raise LoginRefused(refusal_message(policy))
    user_id, attempt, password_hash = reserved
    if _verify(password_hash, password) and _confirm(session, user_id, attempt, now):
        user = session.get(User, user_id)
        if not user.is_enabled:
            raise LoginRefused("该账户已停用，请联系管理员。")
        return user
    user = session.get(User, user_id)
    _lock_when_due(session, user, now, policy)
    _record_failure(session, user, username, address, now, policy, "密码错误")
    raise LoginRefused(refusal_message(policy))


def _confirm(session: Session, user_id: int, attempt: int, now: datetime) -> bool:
    """A right password clears the account's failures when no other attempt was reserved while it was being
    checked; otherwise it leaves the count as it is (its own reservation stays counted: giving it back could
    give back a wrong guess's slot instead, after a parallel reset) — a parallel login of the same person (a
    double click, a phone and a PC) is not refused for it. Refused when a parallel failure locked the account
    meanwhile (the lock ends sessions; this login must not outlive it)."""
    confirmed = session.execute(
        update(User).where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=case((User.failed_logins == attempt, 0), else_=User.failed_logins), locked_until=None)
        .returning(User.id).execution_options(synchronize_session=False)
    ).first()
    session.commit()
    return confirmed is not None


def _lock_when_due(session: Session, user: User, now: datetime, policy: LoginPolicy) -> None:
    """The one failure that finds the limit reached locks the account and ends its sessions."""
    locked = session.execute(
        update(User).where(User.id == user.id, User.failed_logins >= policy.max_failures)
        .values(failed_logins=0, locked_until=now + timedelta(minutes=policy.lock_minutes),
                session_version=User.session_version + 1)
        .returning(User.id).execution_options(synchronize_session=False)
    ).first()
    if locked:
        audit.record(session, at=now, user=user, action="account_locked", object_type="user", object_id=user.id,
                     summary=f"连续{policy.max_failures}次密码错误，锁定{policy.lock_minutes}分钟")
    session.commit()
    session.refresh(user)


def _record_failure(session: Session, user: User | None, username: str, address: str, now: datetime,
                    policy: LoginPolicy, reason: str) -> None:
    _count_address_failure(session, address, now, timedelta(minutes=policy.address_window_minutes))
    audit.record(session, at=now, user=user, action="login_failed", object_type="user",
                 object_id=user.id if user else "", summary=f"{username[:100]}：{reason}",
                 remote_addr=address, username=username)
    session.commit()


def _address_throttled(session: Session, address: str, now: datetime, policy: LoginPolicy) -> bool:
    if not policy.address_max_failures:
        return False
    row = session.get(LoginThrottle, address)
    window = timedelta(minutes=policy.address_window_minutes)
    return bool(row and row.window_start > now - window and row.failures >= policy.address_max_failures)


def _count_address_failure(session: Session, address: str, now: datetime, window: timedelta) -> None:
    """One upsert: a failure in the current window adds one, the first after it starts a new window."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    expired = LoginThrottle.window_start <= now - window
    statement = insert(LoginThrottle).values(address=address[:64], window_start=now, failures=1)
    statement = statement.on_conflict_do_update(index_elements=[LoginThrottle.address], set_={
        "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
        "window_start": case((expired, literal(now, AwareDateTime())), else_=LoginThrottle.window_start),
    })
    session.execute(statement)
