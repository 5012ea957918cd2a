"""统计报表: the dashboard of a grid node for a month, quarter or year (chart, table, ranking), the records behind
each number, Excel of every table, the 月调度/季通报 DOCX and PDF, and the admin's Excel layouts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from webapp.extensions import db
from webapp.models import GridNode
from webapp.reports import charts, figures, layouts, periods
from webapp.reports.forms import LayoutForm
from webapp.reports.report_docx import report_docx, title_of
from webapp.services import audit, grid
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, client_address, form_status, now, roles_required
from webapp.web.converters import db_int
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.responses import DOCX, download_response, pdf_response, runtime, xlsx_download

bp = Blueprint("reports", __name__, url_prefix="/reports")

READERS = ("clerk", "office_head", "leader", "admin", "county")
# A village clerk's menu is at its length limit: they open their village's figures from the URL or a leader's link.
NAV = (NavItem("reports.dashboard", "统计报表", ("leader", "office_head", "county", "clerk"), order=45,
               visible=lambda user: user.scope.level in ("town", "region") or not user.has_role("clerk")),
       NavItem("reports.layout_list", "统计表样式", ("admin",), order=89))


def _chosen() -> tuple[GridNode, periods.Period]:
    """?grid= (the user's scope by default; elsewhere 403, logged) and ?period= (this month by default)."""
    user = acting_user()
    wanted = request.args.get("grid", type=db_int)
    node = grid.get_node(db.session, wanted) if wanted else user.scope
    grid.ensure_in_scope(user, node)
    return node, periods.parse(request.args.get("period") or periods.month_of(now().date()).key)


def _table() -> figures.Table:
    node, period = _chosen()
    return figures.build(db.session, acting_user(), node, period, request.args.get("rank", ""))


@bp.get("/")
@roles_required(*READERS)
def dashboard():
    table = _table()
    trend = figures.trend(db.session, acting_user(), table.node, table.period)
    return render_template("reports/dashboard.html", table=table, chart=charts.echarts_option(table), trend=trend,
                           trend_chart=charts.trend_option(table, trend),
                           layouts=layouts.layouts_of(db.session, acting_user()))


@bp.get("/table.xlsx")
@roles_required(*READERS)
def table_xlsx():
    table = _table()
    return xlsx_download(figures.table_xlsx(table), f"{table.node.name}{table.period.label}消防工作统计.xlsx")


@bp.get("/trend.xlsx")
@roles_required(*READERS)
def trend_xlsx():
    table = _table()
    trend = figures.trend(db.session, acting_user(), table.node, table.period)
    return xlsx_download(figures.trend_xlsx(table, trend), f"{table.node.name}{table.period.label}分期统计.xlsx")


@bp.get("/records")
@roles_required(*READERS)
def records():
    node, period = _chosen()
    measure, found = figures.records(db.session, acting_user(), node, period, request.args.get("measure", ""))
    return render_template("reports/records.html", node=node, period=period, measure=measure, records=found)


@bp.get("/records.xlsx")
@roles_required(*READERS)
def records_xlsx():
    node, period = _chosen()
    measure, found = figures.records(db.session, acting_user(), node, period, request.args.get("measure", ""))
    return xlsx_download(figures.records_xlsx(node, period, measure, found),
                         f"{node.name}{period.label}{measure.label}明细.xlsx")


@bp.get("/report.<ext>")
@roles_required(*READERS)
def report(ext: str):
    """The 月调度 (a month) or 季通报 (a quarter) of the node as DOCX, or as PDF when LibreOffice is installed."""
    if ext not in ("docx", "pdf"):
        raise InvalidInput("只能下载 DOCX 或 PDF。")
    table = _table()
    content = report_docx(table, now().date())
    if ext == "pdf":
        return pdf_response(lambda: runtime().documents.pdf.convert(content), title_of(table))
    return download_response(content, title_of(table), DOCX)


@bp.route("/layouts", methods=["GET", "POST"])
@roles_required("admin")
def layout_list():
    user = acting_user()
    form = LayoutForm()
    if form.is_submitted():
        given = layouts.LayoutInput(form.name.data or "", form.first_heading.data or "", form.mapping.data or "")
        try:
            if form.validate():
                layout = layouts.add_layout(db.session, user, given, now())
                _audit("report_layout_add", layout.id, layout.name)
                flash(f"已保存统计表样式“{layout.name}”。", "success")
                return redirect(url_for("reports.layout_list"))
            layouts.parse_mapping(given.mapping)  # its problems beside the form's own
        except InvalidInput as error:
            show_invalid(form, error)
    return render_template("reports/layouts.html", form=form, layouts=layouts.layouts_of(db.session, user),
                           columns=figures.columns(), text_of=layouts.mapping_text), form_status()


@bp.post("/layouts/<int:layout_id>/delete")
@roles_required("admin")
def layout_delete(layout_id: int):
    layout = layouts.get_layout(db.session, acting_user(), layout_id)
    name = layout.name
    layouts.delete_layout(db.session, acting_user(), layout)
    _audit("report_layout_delete", layout_id, name)
    flash(f"已删除统计表样式“{name}”。", "success")
    return redirect(url_for("reports.layout_list"))


@bp.get("/layouts/<int:layout_id>.xlsx")
@roles_required(*READERS)
def layout_xlsx(layout_id: int):
    layout = layouts.get_layout(db.session, acting_user(), layout_id)
    table = _table()
    name = f"{layout.name}（{table.node.name}{table.period.label}）.xlsx"
    return xlsx_download(layouts.layout_xlsx(layout, table), name)


def _audit(action: str, layout_id: int, name: str) -> None:
    audit.record(db.session, at=now(), user=acting_user(), action=action, object_type="report_layout",
                 object_id=layout_id, summary=name, remote_addr=client_address())
    db.session.commit()
