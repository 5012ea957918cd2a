"""`firegrid tick` run alone, as cron runs it: every job kind is known without the web layer in use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from tests.services.test_archive_export import build_year
from tests.web.test_letters_http import at, open_campaign
from webapp.archive import jobs as archive_jobs
from webapp.archive.export import ExportOptions, get_export, start_export
from webapp.models import GridNode
from webapp.models.jobs import Job
from webapp.procedures.responsibility_letters import batch as letters_batch
from webapp.procedures.responsibility_letters.campaigns import get_campaign

REPO = Path(__file__).resolve().parents[1]


def _tick(app, moment: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    """`python -m webapp.cli tick` in a fresh process on the tests' database and data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREGRID_")}
    env.update(PYTHONPATH=str(REPO), FIREGRID_SECRET_KEY="tick-test",
               FIREGRID_DATA_DIR=str(app.config["DATA_DIR"]),
               FIREGRID_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    return subprocess.run([sys.executable, "-m", "webapp.cli", "tick", "--now", moment], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_tick_alone_runs_an_archive_export_and_a_letter_batch(app, session, login_as):  # noqa: ANN001
    app.extensions["firegrid.clock"].set(at("2026-03-02T10:00"))
    clerk, leader = login_as("clerk"), login_as("leader")
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    campaign = open_campaign(app, session, clerk, leader, grid=town)
    build_year(session, app)
    record = start_export(session, town=town, year=2026, options=ExportOptions(pdf=False), user=None,
                          now=at("2026-12-31T16:00"))
    queued = archive_jobs.submit(session, app.extensions["firegrid.runtime"], data_dir=app.config["DATA_DIR"],
                                 record=record, now=at("2026-12-31T16:00"), sync_limit=0)
    session.commit()
    assert queued
    kinds = {job.kind: job.id for job in session.scalars(select(Job))}
    assert set(kinds) == {letters_batch.JOB_KIND, archive_jobs.JOB_KIND}, kinds

    result = _tick(app, "2026-12-31T16:05")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "后台任务" in result.stdout

    session.expire_all()
    finished = {job.kind: (job.status, job.error) for job in session.scalars(select(Job))}
    # the letters the batch issued queue the PDF/A job too (the tick's environment keeps the default)
    assert set(finished) - set(kinds) <= {"document_pdf"}
    assert finished == {kind: ("done", "") for kind in finished}, result.stderr[-3000:]
    export = get_export(session, record.id)
    assert export.status == "done" and export.item_count > 0, export.message
    assert (Path(app.config["DATA_DIR"]) / "archive-exports" / export.filename).is_file()
    assert get_campaign(session, campaign.id).combined_docx_sha256
