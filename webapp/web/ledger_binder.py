"""台账汇编 pages: choose a year and the categories, queue the binder, follow its progress, download the PDF."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from wtforms import SelectField, ValidationError

from webapp.cases import ledger_binder
from webapp.documents.pdf import PdfUnavailable
from webapp.extensions import db
from webapp.forms.common import CheckboxList, ChineseForm
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, form_status, now, record_action, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.responses import PDF, PdfNotAvailable, download_response, runtime

bp = Blueprint("ledger_binder", __name__, url_prefix="/binder")
ROLES = ("clerk", "office_head", "leader", "archivist", "admin")
NAV = (NavItem("ledger_binder.index", "台账汇编", ("clerk", "archivist"), order=86,
               visible=lambda user: user.scope.level == "town"),)
YEARS_BACK = 5


class BinderForm(ChineseForm):
    year = SelectField("年度", coerce=int, validate_choice=False)
    sections = CheckboxList("汇编类别", choices=[(s, s) for s in ledger_binder.SECTIONS],
                            default=list(ledger_binder.SECTIONS), validate_choice=False)

    def validate_year(self, field) -> None:  # noqa: ANN001
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError("请选择年度。")

    def validate_sections(self, field) -> None:  # noqa: ANN001
        if not field.data or set(field.data) - set(ledger_binder.SECTIONS):
            raise ValidationError("请至少选择一个汇编类别。")


def _form() -> BinderForm:
    form = BinderForm()
    this_year = now().year
    form.year.choices = [(y, f"{y}年") for y in range(this_year, this_year - YEARS_BACK, -1)]
    if not form.is_submitted():
        form.year.data = this_year
    return form


@bp.route("/", methods=["GET", "POST"])
@roles_required(*ROLES)
def index():
    form, docs = _form(), runtime().documents
    if form.validate_on_submit():
        try:
            job = ledger_binder.queue(db.session, docs, user=acting_user(), year=form.year.data,
                                      chosen=form.sections.data, now=now())
        except PdfUnavailable as error:
            raise PdfNotAvailable(str(error)) from error
        except InvalidInput as error:
            show_invalid(form, error)
        else:
            record_action(action="ledger_binder_start", object_type="ledger_binder", object_id=job.id,
                          summary=job.title)
            db.session.commit()
            return redirect(url_for("ledger_binder.job", job_id=job.id))
    return render_template("ledger_binder/index.html", form=form, pdf_available=docs.pdf.available(),
                           jobs=ledger_binder.town_jobs(db.session, acting_user()),
                           progress=ledger_binder.progress), form_status()


@bp.get("/jobs/<int:job_id>")
@roles_required(*ROLES)
def job(job_id: int):
    found = ledger_binder.get_job(db.session, acting_user(), job_id)
    return render_template("ledger_binder/job.html", job=found, progress=ledger_binder.progress(found))


@bp.get("/jobs/<int:job_id>/binder.pdf")
@roles_required(*ROLES)
def download(job_id: int):
    found = ledger_binder.get_job(db.session, acting_user(), job_id)
    content, filename = ledger_binder.result_pdf(runtime().documents, found)
    return download_response(content, filename, PDF)
