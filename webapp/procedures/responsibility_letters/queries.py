"""Read side of the letter pages: campaigns and letters a user may see."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from webapp.models import GridNode, User
from webapp.models.jobs import Job
from webapp.procedures.responsibility_letters.campaigns import get_campaign
from webapp.procedures.responsibility_letters.models import LETTER_STATUSES, LetterCampaign, ResponsibilityLetter
from webapp.services.errors import NotFound, OutOfScope


def visible_campaign(session: Session, user: User, campaign_id: int) -> LetterCampaign:
    """A campaign whose party A lies in the user's scope, or whose grid contains the user's scope."""
    campaign = get_campaign(session, campaign_id)
    if not (user.scope.contains(campaign.grid) or campaign.grid.contains(user.scope)):
        raise OutOfScope("该签订活动不在您的管辖范围内。")
    return campaign


def owned_campaign(session: Session, user: User, campaign_id: int) -> LetterCampaign:
    """A campaign of the user's own level or below: its combined file holds every counterparty's letter,
    so users below party A (who see only their own letters) may not have it."""
    campaign = get_campaign(session, campaign_id)
    if not user.scope.contains(campaign.grid):
        raise OutOfScope("合订打印文件只能由签订活动甲方所在层级的用户查看和生成。")
    return campaign


def campaign_of_job(session: Session, user: User, job: Job) -> LetterCampaign:
    """The campaign a generation job works for, if the user may see it; other jobs are not shown here."""
    kind, _, campaign_id = (job.subject or "").partition(":")
    if kind != "letter_campaign" or not campaign_id.isdigit():
        raise NotFound("后台任务不存在。")
    return visible_campaign(session, user, int(campaign_id))


def campaigns_for(session: Session, user: User) -> list[LetterCampaign]:
    stmt = (select(LetterCampaign).join(LetterCampaign.grid)
            .where(or_(GridNode.path.startswith(user.scope.path),
                       GridNode.id.in_([int(i) for i in user.scope.path.strip("/").split("/") if i])))
            .order_by(LetterCampaign.year.desc(), LetterCampaign.id.desc()))
    return list(session.scalars(stmt))


def letters_query(user: User, campaign: LetterCampaign, *, status: str = "", text: str = "") -> Select:
    """Current letters of the campaign inside the user's scope; voided ones only when asked for."""
    stmt = select(ResponsibilityLetter).where(ResponsibilityLetter.campaign_id == campaign.id,
                                              ResponsibilityLetter.grid_path.startswith(user.scope.path))
    if status in LETTER_STATUSES:
        stmt = stmt.where(ResponsibilityLetter.status == status)
    else:
        stmt = stmt.where(ResponsibilityLetter.status != "void")
    if text:
        stmt = stmt.where(ResponsibilityLetter.party_b_name.contains(text))
    return stmt.order_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.id)
