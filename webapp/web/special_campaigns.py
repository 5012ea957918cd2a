"""专项行动 pages: the town's campaigns, the admin's create/edit form, each campaign's figures and its
closing report (总结报告, DOCX)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from webapp.cases import special_campaigns
from webapp.extensions import db
from webapp.forms.special_campaigns import SpecialCampaignForm
from webapp.models import GridNode, SpecialCampaign
from webapp.services import grid
from webapp.web.common import acting_user, form_status, now, record_action, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import saved
from webapp.web.responses import DOCX, download_response, runtime

bp = Blueprint("special_campaigns", __name__, url_prefix="/campaigns")
VIEW_ROLES = ("admin", "clerk", "leader", "office_head", "inspector")
EDIT_ROLES = ("admin", "clerk")
NAV = (NavItem("special_campaigns.index", "专项行动", ("admin", "clerk", "leader"), order=44,
               visible=lambda user: user.scope.level in ("town", "region")),)


@bp.get("/")
@roles_required(*VIEW_ROLES)
def index():
    found = special_campaigns.of_town(db.session, acting_user())
    return render_template("special_campaigns/list.html", campaigns=found, today=now().date(),
                           may_edit=acting_user().scope.level == "town" and _may_edit(acting_user().scope))


def _may_edit(town: GridNode) -> bool:
    """Admins and clerks of the town itself (a village's read the town's campaigns)."""
    user = acting_user()
    return user.has_role(*EDIT_ROLES) and user.scope.contains(town)


def _form(campaign: SpecialCampaign | None) -> SpecialCampaignForm:
    town = special_campaigns.town_to_change(acting_user(), campaign)  # a village user: 403, logged
    form = SpecialCampaignForm(obj=campaign)
    form.setup([n for n in grid.nodes_in_scope(db.session, acting_user()) if town.contains(n)])
    if campaign is not None and not form.is_submitted():
        form.checklist.data = "\n".join(special_campaigns.item_line(item) for item in campaign.items)
    elif campaign is None and not form.is_submitted():
        form.prefill_from(request.args)
    return form


@bp.route("/new", methods=["GET", "POST"], defaults={"campaign_id": None})
@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def edit(campaign_id: int | None):
    campaign = special_campaigns.get(db.session, acting_user(), campaign_id) if campaign_id else None
    form = _form(campaign)

    def save() -> None:
        found = special_campaigns.save(db.session, user=acting_user(), values=form.values(), now=now(),
                                       campaign=campaign)
        record_action(action="special_campaign_save", object_type="special_campaign", object_id=found.id,
                      summary=found.name)

    done = saved(form, save, "专项行动已保存。", url_for("special_campaigns.index"))
    return done or (render_template("special_campaigns/edit.html", form=form, campaign=campaign), form_status())


@bp.get("/<int:campaign_id>")
@roles_required(*VIEW_ROLES)
def detail(campaign_id: int):
    campaign = special_campaigns.get(db.session, acting_user(), campaign_id)
    return render_template("special_campaigns/detail.html", campaign=campaign,
                           areas=special_campaigns.areas(db.session, campaign),
                           figures=special_campaigns.figures(db.session, campaign),
                           items=special_campaigns.item_figures(db.session, campaign),
                           may_edit=_may_edit(campaign.town))


@bp.get("/<int:campaign_id>/report.docx")
@roles_required(*VIEW_ROLES)
def report(campaign_id: int):
    campaign = special_campaigns.get(db.session, acting_user(), campaign_id)
    content = special_campaigns.closing_report(db.session, runtime().documents, campaign, today=now().date())
    return download_response(content, f"{campaign.name}总结报告.docx", DOCX)
