"""The county overview (全县概览): per town in the user's scope the figures of every procedure; and the
county admin's list of towns with the form that adds the next one (then its organisation workbook)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.cases import overview, registry, setup
from webapp.extensions import db
from webapp.forms.setup import AddTownForm
from webapp.models import GridNode, User
from webapp.services import audit, grid
from webapp.services.errors import InvalidInput, OutOfScope
from webapp.web.common import acting_user, client_address, form_status, now, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.responses import xlsx_download

bp = Blueprint("county", __name__, url_prefix="/county")


def adds_towns(user: User) -> bool:
    """An admin scoped at the region (区/县) adds towns; a town's admin cannot."""
    return user.has_role("admin") and user.scope.level == "region"


NAV = (
    NavItem("county.overview_page", "全县概览", overview.OVERVIEW_ROLES, order=5, visible=overview.may_see),
    NavItem("county.towns", "镇（街道）", ("admin",), order=88, visible=adds_towns),
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


# --- the county's towns: list them, add the next one -----------------------------------------------------

def _require_county_admin() -> User:
    user = acting_user()
    if not adds_towns(user):
        raise OutOfScope("新增镇（街道）仅限管辖范围为区（县）的系统管理员。")
    return user


@bp.route("/towns", methods=["GET", "POST"])
@roles_required("admin")
def towns():
    user = _require_county_admin()
    form = AddTownForm.for_prefixes([(use.key, use.description) for use in registry.number_uses()])()
    if form.is_submitted():
        valid = form.validate()  # lengths and the confirmation; the service checks what is required
        given = _town_setup(user.scope, form)
        try:
            if not valid:
                setup.check(db.session, given, admin_required=False)  # its problems beside the form's own
            else:
                return _added(user, setup.set_up_town(db.session, given, now=now(), admin_required=False))
        except InvalidInput as error:
            show_invalid(form, error)
    towns = overview.towns_in_scope(db.session, user)
    return render_template("county/towns.html", form=form, region=user.scope, towns=towns,
                           counts=overview.town_sizes(db.session, towns)), form_status()


def _town_setup(region: GridNode, form: AddTownForm) -> setup.TownSetup:
    return setup.TownSetup(region=region.name, town=form.town.data or "", admin_username=form.username.data or "",
                           admin_password=form.password.data or "", admin_name=form.display_name.data or "",
                           government=form.government.data or "", committee=form.committee.data or "",
                           prefixes=form.prefixes())


def _added(user: User, done: setup.SetUpTown):
    audit.record(db.session, at=now(), user=user, action="town_add", object_type="grid_node",
                 object_id=done.town.id, summary=done.town.name, remote_addr=client_address())
    db.session.commit()
    admin = f"，管理员 {done.admin.username} 可以登录" if done.admin else ""
    flash(f"已新增{done.town.name}{admin}。下一步：导入{done.town.name}的组织架构工作簿（网格、单位、人员和账号）。",
          "success")
    return redirect(url_for("county.towns"))
