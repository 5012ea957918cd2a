"""The counts every signed-in page shows: 待办 in the menu and 未读消息 in the header, read in one statement
once per request (the inbox and alert pages reuse them)."""

from __future__ import annotations

from flask import g
from sqlalchemy import bindparam, func, select

from webapp.cases import alerts, inbox
from webapp.extensions import db
from webapp.models import User, WorkTask

# Built once with bound parameters: building the two COUNT subqueries anew on every page cost more CPU than
# sending them (the same SQL as `inbox.inbox_count_query` and `alerts.unread_count_query`).
_BADGES = select(
    select(func.count(WorkTask.id)).join(WorkTask.instance)
    .where(*inbox.inbox_conditions(bindparam("roles", expanding=True), bindparam("scope_path"),
                                   bindparam("user_id")))
    .scalar_subquery(),
    alerts.unread_count_query(bindparam("user_id")).scalar_subquery(),
)


def _read(user: User) -> None:
    if "todo_count" not in g:
        todo, unread = db.session.execute(_BADGES, {"roles": sorted(user.roles), "scope_path": user.scope.path,
                                                    "user_id": user.id}).one()
        g.todo_count, g.unread_alerts = todo or 0, unread or 0


def todo_count(user: User) -> int:
    _read(user)
    return g.todo_count


def unread_count(user: User) -> int:
    _read(user)
    return g.unread_alerts
