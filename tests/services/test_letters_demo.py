"""Demo history: this year's campaigns, town↔villages fully signed, village↔units partly signed (speed: bench/)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from webapp.cases import registry
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.procedures.responsibility_letters.models import LetterCampaign, ResponsibilityLetter


@pytest.mark.slow
def test_demo_history_plays_campaigns(app, session, demo):
    clock = app.extensions["firegrid.clock"]
    today = datetime(2026, 6, 15, 16, 0, tzinfo=TZ)
    procedure = registry.get("responsibility_letters")
    assert procedure.demo_order == 10
    procedure.play_demo_history(DemoContext(session, app.extensions["firegrid.runtime"], clock, 2026, today))
    session.commit()
    campaigns = session.scalars(select(LetterCampaign).order_by(LetterCampaign.id)).all()
    assert len(campaigns) == 4
    town, *villages = campaigns
    assert town.status == "closed" and town.instance.status == "completed"
    assert all(not c.print_pdf and c.combined_docx_sha256 and c.status == "signing" for c in villages)
    for campaign in villages:
        statuses = [letter.status for letter in session.scalars(
            select(ResponsibilityLetter).where(ResponsibilityLetter.campaign_id == campaign.id))]
        assert 0 < statuses.count("issued") < statuses.count("signed")
    assert clock.now() == today
