"""Coverage (覆盖率、漏查): a grid node's month — rate per child grid and planned group, the units not visited, the
units missed N months running — with drill-down to a child grid and each table as Excel."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from webapp.cases import coverage
from webapp.extensions import db
from webapp.models import GridNode
from webapp.services import grid
from webapp.services.errors import InvalidInput, NotFound
from webapp.web.common import acting_user, now
from webapp.web.converters import db_int
from webapp.web.extension_points import NavItem
from webapp.web.responses import xlsx_download

bp = Blueprint("coverage", __name__, url_prefix="/coverage")

# A village clerk's menu is at its length limit: they reach the page from 检查计划 and the 上旬 reminder.
NAV = (
    NavItem("coverage.page", "走访覆盖", ("clerk", "inspector", "leader", "office_head"), order=42,
            visible=lambda user: user.scope.level == "town" or not user.has_role("clerk")),
)
TABLES = {"grids": "分网格", "groups": "分检查组", "units": "本月未走访单位", "visited": "本月已走访单位",
          "missed": "连续未走访单位"}


def _arguments() -> tuple[GridNode, str, int]:
    """?grid= (the user's scope by default; another branch is refused, 403 and logged), ?month=, ?months=."""
    user = acting_user()
    wanted = request.args.get("grid", type=db_int)
    node = grid.get_node(db.session, wanted) if wanted else user.scope
    grid.ensure_in_scope(user, node)
    month = coverage.parse_month(request.args.get("month") or coverage.month_of(now().date()))
    months = request.args.get("months", coverage.DEFAULT_MONTHS, type=db_int)
    if not 1 <= months <= coverage.MAX_MONTHS:
        raise InvalidInput(f"连续未走访月数应在1至{coverage.MAX_MONTHS}之间。")
    return node, month, months


@bp.get("/")
@login_required
def page():
    node, month, months = _arguments()
    found = coverage.month_coverage(db.session, node, month)
    missed = coverage.missed_months(db.session, node, month, months)
    return render_template("coverage/page.html", found=found, missed=missed, months=months,
                           previous=coverage.shift_month(month, -1), following=coverage.shift_month(month, 1))


@bp.get("/<table>.xlsx")
@login_required
def export(table: str):
    if table not in TABLES:
        raise NotFound("没有这张表。")
    node, month, months = _arguments()
    name = f"{node.name}{month}走访覆盖{TABLES[table]}"
    heading = f"{node.display_path()} {month} 走访覆盖情况（{TABLES[table]}）"
    if table == "missed":
        heading = f"{node.display_path()} 截至{month}连续{months}个月未走访的单位"
        content = coverage.units_xlsx(TABLES[table], coverage.missed_months(db.session, node, month, months), heading)
        return xlsx_download(content, f"{name}（{months}个月）.xlsx")
    found = coverage.month_coverage(db.session, node, month)
    if table in ("units", "visited"):
        content = coverage.units_xlsx(TABLES[table], found.not_visited if table == "units" else found.visited, heading)
    else:
        rows = [*found.by_grid, found.total] if table == "grids" else found.by_group
        content = coverage.rows_xlsx(TABLES[table], rows, heading)
    return xlsx_download(content, f"{name}.xlsx")
