from flask import Blueprint, render_template
from flask_login import login_required

from ..extensions import db
from ..services import grid, units
from .common import acting_user

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():  # noqa: ANN201
    user = acting_user()
    unit_count = units.count(db.session, units.search_query(user))
    nodes = grid.nodes_in_scope(db.session, user)
    return render_template("home/index.html", user=user, unit_count=unit_count, node_count=len(nodes))
