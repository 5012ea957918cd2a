"""发文 pages: the register of issued numbers (发文登记簿) with Excel export, the live draft preview,
and the case summary shown on the task and case pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from ..extensions import db
from ..forms.notices import NoticeDraftForm
from ..forms.task_data import form_to_data
from ..models import ProcessInstance
from ..services import accounts, cases, documents, notices
from .common import acting_user, now, roles_required, year_arg
from .documents import download_response
from .extension_points import NavItem, add_nav_item
from .units import xlsx_download

bp = Blueprint("notices", __name__, url_prefix="/notices")
add_nav_item(NavItem("notices.register", "发文登记", ("clerk", "office_head", "leader", "archivist")))
REGISTER_ROLES = ("clerk", "office_head", "leader", "archivist", "admin")


def runtime():  # noqa: ANN201
    return current_app.extensions["firegrid.runtime"]


@bp.app_context_processor
def notice_helpers() -> dict:
    def notice_case(instance: ProcessInstance) -> dict:
        """The case data and its distribution record, for procedures/notice_issuance/context.html."""
        engine = runtime().engine(db.session)
        data = notices.case_data(engine, instance)
        document = notices.issued_document(db.session, instance)
        return {"data": data, "template": notices.template_key(data), "document": document,
                "distribution": notices.distribution_of(db.session, document),
                "co_signers": accounts.display_names(db.session, data.get("co_signers") or [])}

    return {"notice_case": notice_case}


def _year() -> int:
    return year_arg()


@bp.get("/register")
@roles_required(*REGISTER_ROLES)
def register():  # noqa: ANN201
    year = _year()
    rows = notices.register_rows(db.session, year, acting_user().scope.path)
    return render_template("procedures/notice_issuance/register.html", year=year, rows=rows,
                           headers=notices.REGISTER_HEADERS)


@bp.get("/register.xlsx")
@roles_required(*REGISTER_ROLES)
def register_export():  # noqa: ANN201
    year = _year()
    rows = notices.register_rows(db.session, year, acting_user().scope.path)
    return xlsx_download(notices.register_workbook(year, rows), f"{year}年发文登记簿.xlsx")


@bp.post("/tasks/<int:task_id>/preview.docx")
@login_required
def live_preview(task_id: int):  # noqa: ANN201
    """The draft as typed (not saved, no number): the task's data with the posted form laid over it."""
    task = cases.task_for_user(db.session, acting_user(), task_id)
    form = NoticeDraftForm()
    form.setup(db.session, acting_user(), task.instance)
    posted = form_to_data(form, lambda upload: {"file": "", "name": upload.filename or "附件", "type": ""})
    data = notices.preview_data(cases.task_data(db.session, runtime(), task), posted)
    key = notices.template_key(data)
    content = runtime().documents.renderer.render(key, notices.document_context(db.session, data, today=now().date()))
    return download_response(content, documents.safe_filename(f"预览_{data.get('title') or '公文'}") + ".docx",
                             documents.DOCX)
