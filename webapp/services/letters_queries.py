"""Read side of the letter pages: campaigns and letters a user may see."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..models import GridNode, User
from ..models.letters import LETTER_STATUSES, LetterCampaign, ResponsibilityLetter
from .errors import OutOfScope
from .letters_campaigns import get_campaign


def visible_campaign(session: Session, user: User, campaign_id: int) -> LetterCampaign:
    """A campaign whose party A lies in the user's scope, or whose grid contains the user's scope."""
    campaign = get_campaign(session, campaign_id)
    if not (user.scope.contains(campaign.grid) or campaign.grid.contains(user.scope)):
        raise OutOfScope("该签订活动不在您的管辖范围内。")
    return campaign


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
