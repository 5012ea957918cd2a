"""The organisation workbook page (admin): download the template or the current organisation, upload it back."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webapp.cases import org_workbook
from webapp.extensions import db
from webapp.forms.organisation import OrgImportForm
from webapp.models import GridNode
from webapp.services import audit, grid
from webapp.services.errors import InvalidInput, NotFound
from webapp.web.common import (
    acting_user,
    client_address,
    form_status,
    now,
    require_town_scope,
    roles_required,
    town_scoped,
)
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.responses import xlsx_download

bp = Blueprint("organisation", __name__, url_prefix="/admin/organisation")
NAV = (NavItem("organisation.index", "组织架构", ("admin",), order=89, visible=town_scoped),)


def _town() -> tuple[GridNode, list[GridNode]]:
    """The town the workbook is for (`town=` id, for a county admin), and every town in the admin's scope."""
    require_town_scope("组织架构工作簿")
    user = acting_user()
    towns = [t for t in grid.towns(db.session) if user.scope.contains(t)]
    if not towns:
        raise NotFound("管辖范围内还没有镇（街道）。")
    wanted = request.values.get("town", type=int)
    return next((t for t in towns if t.id == wanted), towns[0]), towns


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def index():
    town, towns = _town()
    form, problems = OrgImportForm(), []
    if form.validate_on_submit():
        try:
            result = org_workbook.import_workbook(db.session, town, form.file.data.stream, now=now())
        except InvalidInput as error:
            problems = getattr(error, "rows", [])
            show_invalid(form, error, beside=None if problems else form.file)  # rolls the whole import back
        else:
            audit.record(db.session, at=now(), user=acting_user(), action="org_import", object_type="grid_node",
                         object_id=town.id, summary=result.summary(), remote_addr=client_address())
            db.session.commit()
            response = render_template("admin/organisation_result.html", town=town, result=result)
            # the new accounts' initial passwords are on this page: shown once, kept by no cache
            return response, 200, {"Cache-Control": "no-store"}
    return render_template("admin/organisation.html", form=form, problems=problems, town=town,
                           towns=towns), form_status()


@bp.get("/template.xlsx")
@roles_required("admin")
def template():
    return xlsx_download(org_workbook.blank_template(), "组织架构导入模板.xlsx")


@bp.get("/export.xlsx")
@roles_required("admin")
def export():
    town, _ = _town()
    return xlsx_download(org_workbook.export_workbook(db.session, town), f"{town.name}组织架构.xlsx")
