"""收文 pages: the year's 收文登记簿 (received documents with their 传阅 state)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.cases import follow_ups, special_campaigns
from webapp.extensions import db
from webapp.models import ProcessInstance
from webapp.procedures.incoming import incoming
from webapp.procedures.incoming.models import IncomingDocument
from webapp.services import grid
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, now, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import flash_invalid
from webapp.web.responses import runtime

bp = Blueprint("incoming", __name__, url_prefix="/incoming")
LIST_ROLES = ("clerk", "office_head", "leader")
# The town's office work: not in a village clerk's menu (which is full with the village's own work).
NAV = (NavItem("incoming.index", "收文", LIST_ROLES, order=47,
               visible=lambda user: user.scope.level not in ("village", "area")),)


@bp.app_context_processor
def incoming_helpers() -> dict:
    def incoming_case(instance):  # noqa: ANN001, ANN202
        return db.session.query(IncomingDocument).filter_by(instance_id=instance.id).one_or_none()

    def incoming_follow_ups(instance: ProcessInstance, found: IncomingDocument) -> dict:
        """由此发起的办理, and what the 承办 person may still start (while 承办 is open)."""
        user = acting_user()
        open_to_start = found.handler_id == user.id and found.handled_at is None and instance.status == "running"
        may_set_up = open_to_start and user.has_role("admin", "clerk") and user.scope.level == "town"
        return {"started": follow_ups.started_from(db.session, instance),
                "campaigns": special_campaigns.set_up_from(db.session, instance.id),
                "choices": follow_ups.choices(user) if open_to_start else [],
                "campaign_url": url_for("special_campaigns.edit", **incoming.campaign_prefill(found))
                if may_set_up else None}

    return {"incoming_case": incoming_case, "incoming_follow_ups": incoming_follow_ups}


@bp.post("/<int:instance_id>/follow-up/<key>")
@login_required
def follow_up(instance_id: int, key: str):
    """承办: start a 发文, a meeting … prefilled from the received document; opens the new case."""
    instance = grid.get_in_scope(db.session, acting_user(), ProcessInstance, instance_id, "案件不存在。")
    try:
        started = incoming.start_follow_up(db.session, runtime(), instance=instance, key=key, user=acting_user(),
                                           now=now())
        db.session.commit()
    except InvalidInput as error:
        flash_invalid(error)
        return redirect(url_for("cases.detail", instance_id=instance_id))
    return redirect(url_for("cases.detail", instance_id=started.id))


@bp.get("/")
@roles_required(*LIST_ROLES)
def index():
    """收文登记簿: the year's received documents in the user's scope, newest first."""
    year = request.args.get("year", type=int) or now().year
    if not 2000 <= year <= 2100:
        year = now().year
    found = incoming.in_scope(db.session, acting_user(), year)
    return render_template("incoming/index.html", documents=found, year=year,
                           can_register=acting_user().has_role("clerk"))
