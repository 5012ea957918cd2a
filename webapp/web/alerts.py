"""消息提醒 pages: the list (read/unread), opening a notice (marks it read), mark all read, the daily digest,
the user's own 提醒方式 (e-mail, SMS), a 督办事项 and its 督办单;
and the header badge with the unread count on every page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.cases import alerts, supervision
from webapp.clock import TZ
from webapp.extensions import db
from webapp.forms.users import AlertChannelsForm, SupervisionForm
from webapp.models import WorkTask
from webapp.models.alerts import SUPERVISOR_ROLES
from webapp.services import accounts, audit, settings
from webapp.services.errors import InvalidInput
from webapp.web.badges import unread_count
from webapp.web.common import acting_user, client_address, form_status, now, page_arg, roles_required
from webapp.web.form_errors import saved
from webapp.web.responses import runtime

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.app_context_processor
def header_badge() -> dict:
    """The 消息 link beside the user's name in the header, on every page: not a menu entry, so the menu
    keeps its length on a phone; the template calls it only for a signed-in user."""
    return {"unread_alerts": lambda: unread_count(acting_user())}


@bp.get("/")
@login_required
def index():
    unread_only, page = request.args.get("show") == "unread", page_arg()
    rows, total = alerts.alerts_page(db.session, acting_user(), unread_only=unread_only, page=page)
    return render_template("alerts/list.html", rows=rows, total=total, page=page, unread_only=unread_only,
                           page_size=alerts.LIST_PAGE, unread=unread_count(acting_user()))


@bp.get("/<int:alert_id>")
@login_required
def open_alert(alert_id: int):
    """Opening a notice marks it read and goes to its task while the task is open, else to its case (or to
    the delivered document's receipt, whose recipients do not see the issuer's case); a leader's 督办 notice
    goes to the 督办事项, where the leader issues it."""
    alert = alerts.mark_read(db.session, acting_user(), alert_id, now())
    db.session.commit()
    if alert.receipt_id:
        return redirect(url_for("receipts.detail", receipt_id=alert.receipt_id))
    item = supervision.item_of_task(db.session, alert.work_task_id) if alert.dedupe_key and \
        alert.dedupe_key.startswith(alerts.SUPERVISE_KEY) else None
    if item is not None:
        return redirect(url_for("alerts.supervision_item", item_id=item.id))
    if alert.work_task_id and db.session.get(WorkTask, alert.work_task_id) is not None:
        return redirect(url_for("tasks.task", task_id=alert.work_task_id))
    if alert.instance_id:
        return redirect(url_for("cases.detail", instance_id=alert.instance_id))
    return redirect(url_for("alerts.index"))


@bp.post("/<int:alert_id>/read")
@login_required
def mark_read(alert_id: int):
    alerts.mark_read(db.session, acting_user(), alert_id, now())
    db.session.commit()
    return redirect(url_for("alerts.index", show=request.args.get("show", "")))


@bp.post("/read-all")
@login_required
def mark_all_read():
    count = alerts.mark_all_read(db.session, acting_user(), now())
    db.session.commit()
    flash(f"已将 {count} 条消息标为已读。", "success")
    return redirect(url_for("alerts.index"))


@bp.route("/channels", methods=["GET", "POST"])
@login_required
def channels():
    """提醒方式: the user's own e-mail address and mobile number for 消息提醒, and which of them to use."""
    user = acting_user()
    form = AlertChannelsForm(obj=user)

    def save() -> None:
        accounts.set_alert_channels(db.session, user, email=form.email.data or "",
                                    email_alerts=bool(form.email_alerts.data), phone=form.phone.data or "",
                                    sms_alerts=bool(form.sms_alerts.data))
        audit.record(db.session, at=now(), user=user, action="alert_channels_save", object_type="user",
                     object_id=user.id, summary=f"邮件提醒{'开启' if user.email_alerts else '关闭'} {user.email}，"
                                                f"短信提醒{'开启' if user.sms_alerts else '关闭'} {user.phone}",
                     remote_addr=client_address())

    done = saved(form, save, "提醒方式已保存。", url_for("alerts.channels"))
    return done or (render_template("alerts/channels.html", form=form,
                                    town_mail=settings.town_mail_enabled(db.session, user),
                                    town_sms=settings.town_sms_enabled(db.session, user)), form_status())


@bp.get("/digest")
@login_required
def digest():
    """每日摘要: one day's notices grouped by kind (today by default)."""
    try:
        day = date.fromisoformat(request.args["day"]) if request.args.get("day") else now().astimezone(TZ).date()
    except ValueError as error:
        raise InvalidInput("日期格式应为 2026-01-31。") from error
    groups = alerts.daily_digest(db.session, acting_user(), day)
    return render_template("alerts/digest.html", groups=groups, day=day)


@bp.route("/supervision/<int:item_id>", methods=["GET", "POST"])
@roles_required(*SUPERVISOR_ROLES)
def supervision_item(item_id: int):
    """督办事项: the overdue step and who holds it; a leader over its grid issues it (督办意见, 督办期限),
    which makes the 督办单 and tells the holders."""
    user = acting_user()
    item = supervision.item_for(db.session, user, item_id)
    task = db.session.get(WorkTask, item.work_task_id)
    form = SupervisionForm()
    if item.issued_at is None and item.closed_at is None and task is not None:
        done = saved(form, lambda: supervision.issue(
            db.session, runtime().documents, runtime().calendar(db.session), user=user, item_id=item.id,
            opinion=form.opinion.data or "", deadline=form.deadline.data, now=now()),
            "已督办，督办单已生成并通知承办人。", url_for("alerts.supervision_item", item_id=item.id))
        if done:
            return done
    elif request.method == "POST":
        flash("该事项已督办或已办结，不能再次督办。", "error")
    today = now().astimezone(TZ).date()
    overdue = supervision.overdue_workdays(runtime().calendar(db.session), item.task_due_at, today)
    holders = supervision.holder_names(db.session, task) if task is not None else item.holder_names
    return render_template("alerts/supervision.html", item=item, task=task, form=form, overdue=overdue,
                           holders=holders, today=today), form_status()
