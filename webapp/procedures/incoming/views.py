"""收文 pages: the year's 收文登记簿 (received documents with their 传阅 state)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webapp.extensions import db
from webapp.procedures.incoming import incoming
from webapp.procedures.incoming.models import IncomingDocument
from webapp.web.common import acting_user, now, roles_required
from webapp.web.extension_points import NavItem

bp = Blueprint("incoming", __name__, url_prefix="/incoming")
LIST_ROLES = ("clerk", "office_head", "leader")
# The town's office work: not in a village clerk's menu (which is full with the village's own work).
NAV = (NavItem("incoming.index", "收文", LIST_ROLES, order=47,
               visible=lambda user: user.scope.level not in ("village", "area")),)


@bp.app_context_processor
def incoming_helpers() -> dict:
    def incoming_case(instance):  # noqa: ANN001, ANN202
        return db.session.query(IncomingDocument).filter_by(instance_id=instance.id).one_or_none()

    return {"incoming_case": incoming_case}


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
