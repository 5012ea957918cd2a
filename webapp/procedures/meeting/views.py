"""Meeting pages: the yearly plan (held vs due), the decisions dashboard, and the completion report."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.extensions import db
from webapp.models import ProcessInstance
from webapp.procedures.meeting import decisions as meeting_decisions
from webapp.procedures.meeting import meetings
from webapp.procedures.meeting import notice as meeting_notice
from webapp.procedures.meeting.forms import CompletionReportForm, SeriesForm
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, chosen_row, chosen_town, form_status, now, roles_required, year_arg
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import saved, show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import stored_file_response

bp = Blueprint("meetings", __name__)
MEETING_ROLES = ("clerk", "office_head", "leader")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("meetings.plan", "会议", MEETING_ROLES),
    NavItem("meetings.decisions", "议定事项", MEETING_ROLES),
)


@bp.app_context_processor
def meeting_helpers() -> dict:
    """`meeting_case(instance)` for templates/procedures/meeting/context.html."""

    def meeting_case(instance: ProcessInstance) -> dict:
        meeting = meetings.meeting_of(db.session, instance)
        earlier = meeting_decisions.open_before(db.session, meeting) if meeting else []
        notice = meeting_notice.notice_of(db.session, instance) if meeting else None
        return {"meeting": meeting, "open_before": earlier, "today": now().date(), "notice": notice}

    return {"meeting_case": meeting_case}


@bp.get("/meetings/plan")
@login_required
def plan():
    today = now().date()
    year = year_arg()
    town, towns = chosen_town()
    town_series = meetings.series_of_town(db.session, town)
    sittings = meetings.meetings_by_series(db.session, town_series, year)
    rows = [(series, meetings.yearly_plan(db.session, series, year, today, sittings[series.id]))
            for series in town_series]
    return render_template("meetings/plan.html", rows=rows, year=year, today=today, town=town, towns=towns)


@bp.route("/meetings/series", methods=["GET", "POST"])
@roles_required("admin")
def series():
    """会议系列: which recurring meetings the town holds, how often, and who issues their 纪要."""
    town, towns = chosen_town()
    rows = meetings.series_of_town(db.session, town)
    chosen = chosen_row(rows, "series_id")
    form = SeriesForm(obj=chosen)
    done = chosen and saved(form, lambda: meetings.save_series(
        db.session, town, chosen.id, name=form.name.data, interval_months=form.interval_months.data,
        issuer=form.issuer.data, notice_prefix_key=form.notice_prefix_key.data),
        "会议系列已保存。", url_for("meetings.series", town=town.id))
    return done or (render_template("meetings/series.html", form=form, chosen=chosen, rows=rows, town=town,
                                    towns=towns, intervals=meetings.INTERVALS, organs=meetings.NOTICE_ORGANS),
                    form_status())


@bp.get("/meetings/decisions")
@login_required
def decisions():
    user, today = acting_user(), now().date()
    items = meeting_decisions.visible_decisions(db.session, user)
    if request.args.get("show") == "overdue":
        items = [d for d in items if d.is_overdue(today)]
    elif request.args.get("show") == "mine":
        items = [d for d in items if meeting_decisions.is_responsible(user, d)]
    return render_template("meetings/decisions.html", items=items, today=today, show=request.args.get("show", ""),
                           summary=meeting_decisions.summarize(items, today),
                           responsible=lambda d: meeting_decisions.is_responsible(user, d))


@bp.route("/meetings/decisions/<int:decision_id>/report", methods=["GET", "POST"])
@login_required
def report(decision_id: int):
    decision = meeting_decisions.decision_for(db.session, acting_user(), decision_id, report=True)
    form = CompletionReportForm()
    if form.validate_on_submit():
        try:
            meeting_decisions.report_completion(
                db.session, user=acting_user(), decision_id=decision_id, text=form.text.data or "",
                attachment=_stored_attachment(form), now=now())
            db.session.commit()
            flash(f"“{decision.title}”已报告完成。", "success")
            return redirect(url_for("meetings.decisions"))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.attachment)
    return render_template("meetings/report.html", form=form, decision=decision, today=now().date()), form_status()


def _stored_attachment(form: CompletionReportForm) -> dict | None:
    upload = form.attachment.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return store_posted(upload)


@bp.get("/meetings/decisions/<int:decision_id>/file")
@login_required
def completion_file(decision_id: int):
    decision = meeting_decisions.decision_for(db.session, acting_user(), decision_id)
    if not decision.completion_file:
        abort(404)
    return stored_file_response(decision.completion_file["file"], decision.completion_file["name"])
