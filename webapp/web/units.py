
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.cases import unit_file
from webapp.documents import unit_file as unit_file_layout
from webapp.documents import unit_labels
from webapp.extensions import db
from webapp.forms.units import UnitForm, UnitImportForm, UnitSearchForm
from webapp.services import audit, grid, unit_ledger, units
from webapp.services.errors import InvalidInput
from webapp.web import unit_codes
from webapp.web.common import acting_user, client_address, form_status, now, page_arg, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.responses import (
    DOCX,
    PdfNotAvailable,
    download_response,
    pdf_response,
    runtime,
    stored_file_response,
    xlsx_download,
)

bp = Blueprint("units", __name__, url_prefix="/units")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("units.index", "单位", ("admin", "clerk", "inspector", "leader"), order=75),
)
def _grid_choices(levels: tuple[str, ...]) -> list[tuple[int, str]]:
    nodes = grid.nodes_in_scope(db.session, acting_user())
    return [(n.id, n.display_path()) for n in nodes if n.level in levels]


def _search_from_args() -> tuple[UnitSearchForm, object]:
    form = UnitSearchForm(request.args)
    form.grid.choices = [("", "全部网格"), *_grid_choices(("village", "area"))]
    form.validate()
    node = grid.get_node(db.session, form.grid.data) if form.grid.data else None
    query = units.search_query(acting_user(), text=form.q.data or "", category=form.category.data or "", grid=node)
    return form, query


@bp.get("/")
@login_required
def index():
    form, query = _search_from_args()
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["UNITS_PER_PAGE"], error_out=False)
    return render_template("units/list.html", form=form, page=page)


@bp.get("/<int:unit_id>")
@login_required
def detail(unit_id: int):
    unit = units.get_unit(db.session, acting_user(), unit_id)
    url = unit_codes.unit_url(unit)
    file = unit_file.entries(db.session, unit, scope=acting_user().scope)
    return render_template("units/detail.html", unit=unit, code_url=url, qr_svg=unit_labels.qr_svg(url),
                           public_url_set=bool(current_app.config.get("PUBLIC_URL")), file=file[::-1],
                           pdf_available=runtime().documents.pdf.available())


def _photo_of(unit_id: int, sha256: str):  # noqa: ANN202
    """A photo the unit's file shows (nothing else is served here), with the unit, scope-checked."""
    unit = units.get_unit(db.session, acting_user(), unit_id)
    if sha256 not in unit_file.photo_keys(unit_file.entries(db.session, unit, scope=acting_user().scope)):
        abort(404)
    return unit


@bp.get("/<int:unit_id>/photos/<sha256>")
@login_required
def photo(unit_id: int, sha256: str):
    unit = _photo_of(unit_id, sha256)
    return stored_file_response(sha256, f"{unit.name}现场照片")


@bp.get("/<int:unit_id>/photos/<sha256>/thumbnail.jpg")
@login_required
def thumbnail(unit_id: int, sha256: str):
    """A small copy for the page (not audited: the original behind it is, when opened)."""
    _photo_of(unit_id, sha256)
    response = Response(unit_file_layout.thumbnail(runtime().documents.store.read(sha256)), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"  # the key is the content's hash
    return response


@bp.get("/<int:unit_id>/file.docx")
@login_required
def file_docx(unit_id: int):
    """一户一档 summary form (the entries' documents are not in it; the PDF appends them)."""
    unit = units.get_unit(db.session, acting_user(), unit_id)
    content = unit_file.summary_docx(db.session, runtime().documents, unit, scope=acting_user().scope,
                                     today=now().date())
    return download_response(content, f"{unit.name}一户一档.docx", DOCX)


@bp.get("/<int:unit_id>/file.pdf")
@login_required
def file_pdf(unit_id: int):
    """一户一档 as one PDF; without LibreOffice a page says so and offers the DOCX."""
    unit = units.get_unit(db.session, acting_user(), unit_id)
    try:
        return pdf_response(lambda: unit_file.export_pdf(db.session, runtime().documents, unit,
                                                         scope=acting_user().scope, today=now().date()),
                            f"{unit.name}一户一档.pdf")
    except PdfNotAvailable as error:  # a page of its own that offers the DOCX
        return render_template("units/file_no_pdf.html", unit=unit, message=str(error)), 503


def _fields_from(form: UnitForm) -> units.UnitFields:
    node = grid.get_node(db.session, form.grid_id.data)
    grid.ensure_in_scope(acting_user(), node)
    return units.UnitFields(
        name=form.name.data, category=form.category.data, grid=node, address=form.address.data or "",
        responsible_person=form.responsible_person.data or "", responsible_phone=form.responsible_phone.data or "",
        manager=form.manager.data or "", manager_phone=form.manager_phone.data or "",
        floor_area=float(form.floor_area.data) if form.floor_area.data is not None else None,
        staff_count=form.staff_count.data, latitude=form.latitude.data, longitude=form.longitude.data,
    )


def _save(form: UnitForm, unit=None):
    """Shared by create and edit: validate, save, audit, commit; or re-render with errors."""
    form.grid_id.choices = _grid_choices(("village", "area"))
    if form.validate_on_submit():
        try:
            saved = units.save_unit(db.session, _fields_from(form), now=now(), unit=unit)
            audit.record(db.session, at=now(), user=acting_user(), action="unit_save", object_type="unit",
                         object_id=saved.id, summary=saved.name, remote_addr=client_address())
            db.session.commit()
            flash(f"已保存“{saved.name}”。", "success")
            return redirect(url_for("units.detail", unit_id=saved.id))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.name)
    return render_template("units/form.html", form=form, unit=unit), form_status()


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin", "clerk")
def create():
    return _save(UnitForm())


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@roles_required("admin", "clerk")
def edit(unit_id: int):
    unit = units.get_unit(db.session, acting_user(), unit_id)
    return _save(UnitForm(obj=unit), unit)


@bp.get("/export.xlsx")
@login_required
def export():
    _, query = _search_from_args()
    return xlsx_download(unit_ledger.export_units(list(db.session.scalars(query))), "单位台账.xlsx")


@bp.get("/template.xlsx")
@login_required
def blank_template():
    return xlsx_download(unit_ledger.blank_template(), "单位台账导入模板.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@roles_required("admin")
def import_ledger():
    form, problems = UnitImportForm(), []
    if form.validate_on_submit():
        try:
            result = unit_ledger.import_units(db.session, acting_user().scope, form.file.data.stream, now=now())
            audit.record(db.session, at=now(), user=acting_user(), action="unit_import", object_type="unit",
                         summary=result.summary(), remote_addr=client_address())
            db.session.commit()
            flash(f"导入成功：{result.summary()}。", "success")
            return redirect(url_for("units.index"))
        except InvalidInput as error:
            show_invalid(form, error)
            problems = error.problems
    return render_template("units/import.html", form=form, problems=problems), form_status()
