from flask import Blueprint, render_template
from flask_login import login_required

from webapp.cases import actions as cases
from webapp.cases import coverage, inbox, registry, supervision, workbench
from webapp.clock import TZ
from webapp.extensions import db
from webapp.web.badges import todo_count
from webapp.web.common import acting_user, now
from webapp.web.responses import runtime

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """工作台: 待办 with 逾期/即将到期, the procedures this user starts, the latest documents in scope."""
    user = acting_user()
    calendar = runtime().calendar(db.session)
    window = inbox.DueWindow.starting(now(), calendar)
    reminders = coverage.plan_reminders(db.session, user, now().date(), calendar)
    return render_template(
        "home/index.html", user=user, todo=todo_count(user), due=inbox.due_counts(db.session, user, window),
        startable=cases.startable_procedures(user), documents=workbench.recent_documents(db.session, user),
        reminders=reminders, plan_pages=registry.visit_plans_endpoints(),
        supervisions=supervision.open_items(db.session, user), today=now().astimezone(TZ).date(),
    )
