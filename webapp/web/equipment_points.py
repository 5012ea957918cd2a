"""器材存放点 pages: the register of a town's equipment points, its Excel table and the printed list.

Admins and clerks keep it, each within their scope: a village clerk sees and edits the points on their
village's grids, a town clerk the whole town's.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from webapp.extensions import db
from webapp.forms.equipment_points import EquipmentPointForm
from webapp.models.equipment import EquipmentPoint
from webapp.registers import equipment_points
from webapp.services import grid
from webapp.web.common import acting_user, form_status, now, record_action, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import saved
from webapp.web.responses import DOCX, docx_as_pdf, download_response, xlsx_download

bp = Blueprint("equipment_points", __name__, url_prefix="/equipment-points")
ROLES = ("admin", "clerk")
# In the menu of town-level accounts; a village clerk's menu is at its length limit, so they open the
# register from the unit list.
NAV = (NavItem("equipment_points.index", "器材存放点", ROLES, order=78,
               visible=lambda user: user.scope.level in ("town", "region")),)


def _title() -> str:
    scope = acting_user().scope
    return f"{scope.name}消防器材存放点一览表"


@bp.get("/")
@roles_required(*ROLES)
def index():
    points = equipment_points.points_in_scope(db.session, acting_user())
    return render_template("equipment_points/list.html", points=points, title=_title())


def _form(point: EquipmentPoint | None) -> EquipmentPointForm:
    form = EquipmentPointForm(obj=point)
    form.grid_id.choices = [(n.id, n.display_path() if n.level != "town" else f"{n.name}（全镇）")
                            for n in grid.nodes_in_scope(db.session, acting_user())
                            if n.level in ("town", "village", "area")]
    return form


def _fields(form: EquipmentPointForm) -> equipment_points.PointFields:
    return equipment_points.PointFields(
        name=form.name.data or "", grid=grid.get_node(db.session, form.grid_id.data), address=form.address.data or "",
        equipment=form.equipment.data or "", keeper=form.keeper.data or "", keeper_phone=form.keeper_phone.data or "",
        last_checked_on=form.last_checked_on.data)


@bp.route("/new", methods=["GET", "POST"], defaults={"point_id": None})
@bp.route("/<int:point_id>", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit(point_id: int | None):
    point = equipment_points.get_point(db.session, acting_user(), point_id) if point_id else None
    form = _form(point)

    def save() -> None:
        found = equipment_points.save_point(db.session, acting_user(), point_id, _fields(form), today=now().date())
        record_action(action="equipment_point_save", object_type="equipment_point", object_id=found.id,
                      summary=found.name)

    done = saved(form, save, "器材存放点已保存。", url_for("equipment_points.index"))
    if done:
        return done
    return render_template("equipment_points/edit.html", form=form, point=point), form_status()


@bp.post("/<int:point_id>/delete")
@roles_required(*ROLES)
def delete(point_id: int):
    name = equipment_points.delete_point(db.session, acting_user(), point_id)
    record_action(action="equipment_point_delete", object_type="equipment_point", object_id=point_id, summary=name)
    db.session.commit()
    flash(f"器材存放点“{name}”已删除。", "success")
    return redirect(url_for("equipment_points.index"))


@bp.get("/export.xlsx")
@roles_required(*ROLES)
def export():
    points = equipment_points.points_in_scope(db.session, acting_user())
    return xlsx_download(equipment_points.export_xlsx(points, _title()), f"{_title()}.xlsx")


def _list_docx() -> bytes:
    points = equipment_points.points_in_scope(db.session, acting_user())
    return equipment_points.list_docx(points, title=_title(), today=now().date())


@bp.get("/list.docx")
@roles_required(*ROLES)
def list_docx():
    return download_response(_list_docx(), f"{_title()}.docx", DOCX)


@bp.get("/list.pdf")
@roles_required(*ROLES)
def list_pdf():
    return docx_as_pdf(_list_docx(), _title())
