"""A 1,000-unit campaign runs as a background job: progress over HTTP, a killed worker, a resume."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.docx_checks import check_pdf_text
from tests.web.test_letters_http import at, draft_data, open_campaign, run_jobs, task_id
from webapp.models import Document, GridNode, ProcessInstance, Unit
from webapp.models.jobs import Job
from webapp.procedures.responsibility_letters import batch as letters_batch
from webapp.procedures.responsibility_letters.campaigns import get_campaign, organ_name
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter
from webapp.services import jobs


def _add_units(session, count: int) -> None:
    areas = list(session.scalars(select(GridNode).where(GridNode.level == "area")))
    categories = ["small_shop", "key_unit", "street_shop", "small_hotel", "rental_housing"]
    session.execute(Unit.__table__.delete())
    session.add_all([Unit(grid=areas[i % len(areas)], name=f"批量单位{i:04d}", category=categories[i % 5],
                          responsible_person=f"责任人{i}", responsible_phone="13900000000",
                          created_at=at("2026-01-01T08:00")) for i in range(count)])
    session.commit()


@pytest.mark.slow
def test_thousand_letters_in_background_survive_a_killed_worker(app, session, sign_in, small_town):
    clock = app.extensions["firegrid.clock"]
    start = at("2026-03-02T10:00")
    clock.set(start)
    _add_units(session, 1000)
    clerk, leader = sign_in("clerk"), sign_in("leader")
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
    assert job is not None and job.id == job_id and job.claimed_by == "w1" and job.status == "running"
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


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_small_campaign_prints_a_combined_pdf_with_every_character(app, session, sign_in, small_town, tmp_path):
    app.extensions["firegrid.clock"].set(at("2026-03-02T10:00"))
    _add_units(session, 4)
    clerk, leader = sign_in("clerk"), sign_in("leader")
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    assert clerk.post("/procedures/responsibility_letters/start",
                      {"year": 2026, "grid_id": town.id, "counterparty_set": "units", "print_pdf": "y"}
                      ).status_code == 302
    instance = session.scalar(select(ProcessInstance).order_by(ProcessInstance.id.desc()))
    draft = draft_data(app, 2026, organ_name(town))
    assert clerk.post(f"/tasks/{task_id(session, instance.id, 'draft')}", draft).status_code == 302
    approve = task_id(session, instance.id, "approve")
    assert leader.post(f"/tasks/{approve}", {"decision": "approve", "opinion": "同意"}).status_code == 302
    run_jobs(app, session)
    session.expire_all()
    campaign = get_campaign(session, session.scalar(select(ResponsibilityLetter.campaign_id).limit(1)))
    assert campaign.print_pdf and campaign.combined_pdf_sha256, campaign.combined_note
    combined_docx = clerk.get(f"/letters/campaigns/{campaign.id}/combined.docx")
    combined_pdf = clerk.get(f"/letters/campaigns/{campaign.id}/combined.pdf")
    assert combined_docx.status_code == combined_pdf.status_code == 200
    pages = PdfReader(io.BytesIO(combined_pdf.data)).pages
    text = "".join(page.extract_text() for page in pages).replace(" ", "")
    for index in range(4):
        assert f"乙方：批量单位{index:04d}" in text
    check_pdf_text(combined_docx.data, combined_pdf.data, tmp_path, name="combined-letters")
