"""The inspection demo history plays through the services and leaves a realistic picture (speed: bench/)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from webapp.cases import registry, special_campaigns
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.models import Document, ProcessInstance, SpecialCampaign, WorkTask
from webapp.models.grid import NINE_SMALL_CATEGORIES
from webapp.procedures.inspection import setup as inspection_setup
from webapp.procedures.inspection.models import Inspection, Interview, RectificationPlan, ReferralReceiver


@pytest.mark.slow
def test_history_from_january_to_today(app, session, demo):
    today = datetime(2026, 6, 15, 10, 0, tzinfo=TZ)
    clock = app.extensions["firegrid.clock"]
    registry.get("inspection").play_demo_history(DemoContext(
        session=session, services=app.extensions["firegrid.runtime"], clock=clock, year=2026, today=today))
    session.commit()
    assert clock.now() == today
    inspections = session.scalars(select(Inspection)).all()
    assert len(inspections) == 6 * demo.units  # one inspection day per month, every unit
    statuses = {h.status for i in inspections for h in i.hazards}
    assert {"rectified", "closed", "open"} <= statuses
    assert session.scalar(select(Document).where(Document.template_key == "referral_letter")) is not None
    # issue 21: some units get an extension on a plan, some are called to 约谈 first; each makes its form
    assert session.scalar(select(RectificationPlan).where(RectificationPlan.status == "approved")).document_id
    assert session.scalar(select(Interview).where(Interview.held_on.is_not(None))).document_id
    open_steps = {t.step_key for t in session.scalars(select(WorkTask))}
    assert open_steps and session.scalar(select(ProcessInstance).where(ProcessInstance.status == "completed"))
    # the spring 专项行动 counts exactly the March and April inspections of the 九小场所
    campaign = session.scalar(select(SpecialCampaign))
    spring = [i for i in inspections if i.inspected_at.month in (3, 4) and i.unit.category in NINE_SMALL_CATEGORIES]
    assert spring and {i.id for i in inspections if i.special_campaign_id == campaign.id} == {i.id for i in spring}
    counted = {f.label: f.value for f in special_campaigns.figures(session, campaign)}
    assert counted["检查次数"] == str(len(spring))
    # every tagged inspection checked the campaign's own three items; a failed one cites the campaign's basis
    items = special_campaigns.item_figures(session, campaign)
    assert [f.checked for f in items] == [len(spring)] * 3 and sum(f.failed for f in items) > 0
    failed = [h for i in spring for h in i.hazards if h.item_name in {f.name for f in items}]
    assert len(failed) == sum(f.failed for f in items)
    assert {h.legal_basis for h in failed} <= {f.legal_basis for f in items} and all(h.legal_basis for h in failed)


def test_defaults_are_created_once(session, small_town):
    inspection_setup.load_defaults(session)
    inspection_setup.load_defaults(session)
    names = [i.name for i in inspection_setup.all_items(session, small_town.town)]
    assert len(names) == len(set(names)) and "安全出口和疏散通道" in names
    found = inspection_setup.receivers(session, small_town.town)
    assert found["police"].name == "松林派出所" and found["fire"].name == "示例区消防救援大队松林消防救援站"
    assert found["police"].feedback_days == 15
    assert len(session.scalars(select(ReferralReceiver)).all()) == 2  # made once, from the committee
