"""消息提醒 pages: the list (read/unread), opening a notice (marks it read), mark all read, the daily digest;
and the header badge with the unread count on every page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.cases import notifications
from webapp.clock import TZ
from webapp.extensions import db
from webapp.models import User, WorkTask
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, now, page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def unread_count(user: User) -> int:
    """Counted once per request (the menu badge, and the list page beside it)."""
    if "unread_notifications" not in g:
        g.unread_notifications = notifications.unread_count(db.session, user)
    return g.unread_notifications


@bp.app_context_processor
def header_badge() -> dict:
    """The 消息 link beside the user's name in the header, on every page: not a menu entry, so the menu
    keeps its length on a phone; the template calls it only for a signed-in user."""
    return {"unread_notifications": lambda: unread_count(acting_user())}


@bp.get("/")
@login_required
def index():
    unread_only, page = request.args.get("show") == "unread", page_arg()
    rows, total = notifications.notifications_page(db.session, acting_user(), unread_only=unread_only, page=page)
    return render_template("notifications/list.html", rows=rows, total=total, page=page, unread_only=unread_only,
                           page_size=notifications.LIST_PAGE, unread=unread_count(acting_user()))


@bp.get("/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Opening a notice marks it read and goes to its task while the task is open, else to its case."""
    notification = notifications.mark_read(db.session, acting_user(), notification_id, now())
    db.session.commit()
    if notification.work_task_id and db.session.get(WorkTask, notification.work_task_id) is not None:
        return redirect(url_for("tasks.task", task_id=notification.work_task_id))
    if notification.instance_id:
        return redirect(url_for("cases.detail", instance_id=notification.instance_id))
    return redirect(url_for("notifications.index"))


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notifications.mark_read(db.session, acting_user(), notification_id, now())
    db.session.commit()
    return redirect(url_for("notifications.index", show=request.args.get("show", "")))


@bp.post("/read-all")
@login_required
def mark_all_read():
    count = notifications.mark_all_read(db.session, acting_user(), now())
    db.session.commit()
    flash(f"已将 {count} 条消息标为已读。", "success")
    return redirect(url_for("notifications.index"))


@bp.get("/digest")
@login_required
def digest():
    """每日摘要: one day's notices grouped by kind (today by default)."""
    try:
        day = date.fromisoformat(request.args["day"]) if request.args.get("day") else now().astimezone(TZ).date()
    except ValueError as error:
        raise InvalidInput("日期格式应为 2026-01-31。") from error
    groups = notifications.daily_digest(db.session, acting_user(), day)
    return render_template("notifications/digest.html", groups=groups, day=day)
