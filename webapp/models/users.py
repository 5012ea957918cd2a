"""User accounts: one or more roles, and a scope node whose subtree is all they see."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode
from webapp.models.types import AwareDateTime

ROLES = {
    "clerk": "文书",
    "inspector": "网格员/检查员",
    "office_head": "办公室负责人（核稿）",
    "leader": "领导",
    "archivist": "档案员",
    "admin": "系统管理员",
    "auditor": "审计员",
    "county": "县级督导（只读）",
    # A receiving department's login (派出所, 安监站 …): only the referrals sent to its department.
    "receiver": "接收部门",
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    scope_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    phone: Mapped[str] = mapped_column(String(30), default="")
    # 消息提醒 by e-mail: the address, and whether the user wants them (off until chosen).
    email: Mapped[str] = mapped_column(String(120), default="", server_default="")
    email_alerts: Mapped[bool] = mapped_column(default=False, server_default=false())
    sms_alerts: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_enabled: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Part of every session and remember-me cookie; raised to end them all (logout, password change,
    # role or scope change, deactivation, lock-out).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # An initial or reset password must be replaced at the next login (demo accounts keep theirs).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    scope: Mapped[GridNode] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", order_by="UserRole.role", lazy="selectin"
    )

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [ROLES[r] for r in ROLES if r in self.roles]

    @property
    def choice_label(self) -> str:
        """How a list of people names this user: display name and grid (namesakes happen)."""
        return f"{self.display_name}（{self.scope.name}）"

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: the id and the session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class LoginThrottle(db.Model):
    """Failed logins per client address in the current window (shared by every app process)."""

    __tablename__ = "login_throttle"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(AwareDateTime())
    failures: Mapped[int] = mapped_column()
