"""The county overview (全县概览): per town in the user's scope the figures of every procedure."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from webapp.cases import overview
from webapp.extensions import db
from webapp.services import grid
from webapp.web.common import acting_user, now
from webapp.web.extension_points import NavItem
from webapp.web.responses import xlsx_download

bp = Blueprint("county", __name__, url_prefix="/county")
NAV = (
    NavItem("county.overview_page", "全县概览", overview.OVERVIEW_ROLES, order=5, visible=overview.may_see),
)


@bp.get("/")
@login_required
def overview_page():
    found = overview.county_overview(db.session, acting_user(), now())
    return render_template("county/overview.html", overview=found, now=now())


@bp.get("/overview.xlsx")
@login_required
def overview_xlsx():
    found = overview.county_overview(db.session, acting_user(), now())
    return xlsx_download(overview.overview_xlsx(found, now()), f"{found.region.name}全县概览.xlsx")


@bp.get("/overdue")
@login_required
def overdue():
    town = grid.get_node(db.session, request.args.get("town", type=int) or 0)
    tasks = overview.overdue_tasks(db.session, acting_user(), town, now())
    return render_template("county/overdue.html", town=town, tasks=tasks, now=now())
