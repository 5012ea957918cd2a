"""The counts every signed-in page shows: 待办 in the menu and 未读消息 in the header, read in one statement
once per request (the inbox and alert pages reuse them)."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from webapp.cases import alerts, inbox
from webapp.extensions import db
from webapp.models import User


def _read(user: User) -> None:
    if "todo_count" not in g:
        todo, unread = db.session.execute(select(inbox.inbox_count_query(user).scalar_subquery(),
                                                 alerts.unread_count_query(user).scalar_subquery())).one()
        g.todo_count, g.unread_alerts = todo or 0, unread or 0


def todo_count(user: User) -> int:
    _read(user)
    return g.todo_count


def unread_count(user: User) -> int:
    _read(user)
    return g.unread_alerts
