"""Read-only accounts (县级督导): they read what a leader reads and change nothing, enforced here once.

Two rules, both central so no view has to remember them:
- `reads_as`: a page open to the leader role is open, for reading (GET/HEAD), to the read-only roles too
  (roles_required and the menu ask it); the scope rules still decide which records they see.
- `refuse_changes`: any other request (POST, PUT, DELETE …) of a user who holds only read-only roles is
  refused with 403 and an audit entry, except signing in and out (the auth pages).
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from webapp.models import User
from webapp.services.errors import OutOfScope

READ_ONLY_ROLES = ("county",)
# The role whose reading pages the read-only roles may open.
READS_LIKE = "leader"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Blueprints a read-only user may post to: signing in and out, and their own password.
OPEN_BLUEPRINTS = ("auth",)


def is_read_only(user: User) -> bool:
    """Holds at least one role, and every role it holds is read-only."""
    roles = user.roles
    return bool(roles) and roles <= set(READ_ONLY_ROLES)


def reads_as(user: User, roles: tuple[str, ...]) -> bool:
    """May `user` read a page open to `roles`: by holding one, or by a read-only role where a leader reads."""
    return user.has_role(*roles) or (READS_LIKE in roles and user.has_role(*READ_ONLY_ROLES))


def refuse_changes() -> None:
    if request.method in SAFE_METHODS or not current_user.is_authenticated:
        return
    if request.blueprint in OPEN_BLUEPRINTS or request.endpoint == "static":
        return
    if is_read_only(current_user):
        raise OutOfScope("县级督导账号只能查看，不能办理、修改或删除。")


def install(app: Flask) -> None:
    app.before_request(refuse_changes)
