"""A 1,000-unit campaign runs as a background job: progress over HTTP, a killed worker, a resume."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.web.test_letters_http import at, open_campaign
from webapp.models import Document, GridNode, Unit
from webapp.models.jobs import Job
from webapp.models.letters import ResponsibilityLetter
from webapp.services import jobs, letters_batch
from webapp.services.letters_campaigns import get_campaign


def _add_units(session, count: int) -> None:
    areas = list(session.scalars(select(GridNode).where(GridNode.level == "area")))
    categories = ["small_shop", "key_unit", "street_shop", "small_hotel", "rental_housing"]
    session.execute(Unit.__table__.delete())
    session.add_all([Unit(grid=areas[i % len(areas)], name=f"批量单位{i:04d}", category=categories[i % 5],
                          responsible_person=f"责任人{i}", responsible_phone="13900000000",
                          created_at=at("2026-01-01T08:00")) for i in range(count)])
    session.commit()


def test_thousand_letters_in_background_survive_a_killed_worker(app, session, login_as):
    clock = app.extensions["firegrid.clock"]
    start = at("2026-03-02T10:00")
    clock.set(start)
    _add_units(session, 1000)
    clerk, leader = login_as("clerk"), login_as("leader")
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    campaign = open_campaign(app, session, clerk, leader, grid=town)
    runtime = app.extensions["firegrid.runtime"]
    job_id = campaign.job_id

    for _ in range(8):  # eight chunks by a first worker, as `firegrid tick` would run them
        assert jobs.run_pending(session, runtime, worker="w1", now=start)
    progress = clerk.get(f"/letters/jobs/{job_id}/progress").get_json()
    assert progress["status"] == "running" and progress["done"] == 200 and progress["total"] == 1000
    assert 0 < progress["percent"] < 100

    # w1 is killed in the middle of its ninth chunk: the claim is committed, the chunk is not.
    job = jobs.claim(session, worker="w1", now=start + timedelta(seconds=5))
    letters_batch.generate_chunk(session, runtime.documents, get_campaign(session, campaign.id), start, size=10)
    session.rollback()

    assert not jobs.run_pending(session, runtime, worker="w2", now=start + timedelta(seconds=30))  # claim still fresh
    takeover = start + jobs.STALE_AFTER + timedelta(seconds=10)
    clock.set(takeover)
    chunks = jobs.run_due_jobs(session, runtime, worker="w2", clock=clock.now)
    assert chunks >= 32
    session.expire_all()
    job = session.get(Job, job_id)
    assert job.status == "done" and job.done == job.total == 1000 and job.claimed_by is None

    letters = session.scalars(select(ResponsibilityLetter).where(ResponsibilityLetter.campaign_id == campaign.id)).all()
    assert len(letters) == 1000 and len({letter.counterparty_key for letter in letters}) == 1000
    assert len({letter.document_id for letter in letters}) == 1000 and all(letter.document_id for letter in letters)
    assert session.scalar(select(func.count(Document.id))) == 1000
    assert get_campaign(session, campaign.id).combined_docx_sha256
    assert clerk.get(f"/letters/jobs/{job_id}/progress").get_json()["percent"] == 100
