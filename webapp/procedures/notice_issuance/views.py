"""发文 pages: the register of issued numbers (发文登记簿) with Excel export, and the case summary
shown on the task and case pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.extensions import db
from webapp.models import ProcessInstance
from webapp.procedures.notice_issuance import notices
from webapp.services import accounts
from webapp.web.common import acting_user, roles_required, year_arg
from webapp.web.extension_points import NavItem
from webapp.web.responses import runtime, xlsx_download

bp = Blueprint("notices", __name__, url_prefix="/notices")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("notices.register", "发文登记", ("clerk", "office_head", "leader", "archivist")),
)
REGISTER_ROLES = ("clerk", "office_head", "leader", "archivist", "admin")


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
def register():
    year = _year()
    rows = notices.register_rows(db.session, year, acting_user().scope.path)
    return render_template("procedures/notice_issuance/register.html", year=year, rows=rows,
                           headers=notices.REGISTER_HEADERS)


@bp.get("/register.xlsx")
@roles_required(*REGISTER_ROLES)
def register_export():
    year = _year()
    rows = notices.register_rows(db.session, year, acting_user().scope.path)
    return xlsx_download(notices.register_workbook(year, rows), f"{year}年发文登记簿.xlsx")
