"""The generic job module: chunks, claims, takeover of a stale claim, a lost claim, failures."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm.exc import StaleDataError

from webapp.clock import TZ
from webapp.extensions import db
from webapp.models.jobs import Job
from webapp.services import jobs

T0 = datetime(2026, 5, 6, 9, 0, tzinfo=TZ)


def _count_step(session, job, services, now) -> bool:  # noqa: ANN001
    if job.params.get("fail"):
        raise RuntimeError("boom")
    job.done += 1
    return job.done >= job.total


@pytest.fixture(autouse=True)
def counting_kind():
    jobs.register_kind(jobs.JobKind("test.count", "计数", _count_step))
    yield
    jobs._KINDS.pop("test.count", None)  # noqa: SLF001


def test_chunks_until_done(session):
    job = jobs.enqueue(session, kind="test.count", now=T0, total=3)
    session.commit()
    assert jobs.run_due_jobs(session, None, worker="a", clock=lambda: T0) == 3
    assert not jobs.run_pending(session, None, worker="a", now=T0)
    session.refresh(job)
    assert (job.status, job.done, job.percent, job.claimed_by) == ("done", 3, 100, None)



def test_run_limited_to_kinds_leaves_the_others_queued(session):
    jobs.register_kind(jobs.JobKind("test.other", "其他", _count_step))
    try:
        other = jobs.enqueue(session, kind="test.other", now=T0, total=1)  # older: first in line
        mine = jobs.enqueue(session, kind="test.count", now=T0, total=2)
        session.commit()
        assert jobs.run_due_jobs(session, None, worker="a", clock=lambda: T0, kinds=["test.count"]) == 2
        session.refresh(other), session.refresh(mine)
        assert (mine.status, other.status, other.done, other.claimed_by) == ("done", "pending", 0, None)
        assert jobs.run_due_jobs(session, None, worker="a", clock=lambda: T0) == 1
    finally:
        jobs._KINDS.pop("test.other", None)  # noqa: SLF001

def test_fresh_claim_is_respected_and_stale_claim_taken_over(session):
    job = jobs.enqueue(session, kind="test.count", now=T0, total=5)
    session.commit()
    assert jobs.run_pending(session, None, worker="a", now=T0)
    assert not jobs.run_pending(session, None, worker="b", now=T0 + timedelta(seconds=30))
    assert jobs.run_pending(session, None, worker="b", now=T0 + jobs.STALE_AFTER + timedelta(seconds=1))
    session.refresh(job)
    assert job.claimed_by == "b" and job.done == 2


def test_worker_that_lost_its_claim_writes_nothing(session):
    job = jobs.enqueue(session, kind="test.count", now=T0, total=5)
    session.commit()
    mine = jobs.claim(session, worker="a", now=T0)
    mine.done += 1  # a's chunk, not yet committed …
    with db.engine.begin() as other:  # … while b takes the job over in its own transaction
        other.execute(Job.__table__.update().where(Job.id == job.id).values(claimed_by="b", version=Job.version + 1))
    with pytest.raises(StaleDataError):
        session.commit()
    session.rollback()
    session.refresh(job)
    assert job.done == 0 and job.claimed_by == "b"


def test_failing_chunk_retries_then_fails(session, caplog):
    job = jobs.enqueue(session, kind="test.count", now=T0, total=2, params={"fail": True})
    session.commit()
    assert jobs.run_pending(session, None, worker="a", now=T0)
    session.refresh(job)
    assert job.status == "running" and job.claimed_by is None and job.attempts == 1
    assert job.error == "处理失败（第1次），系统将自动重试。"
    for _ in range(jobs.MAX_ATTEMPTS - 1):
        assert jobs.run_pending(session, None, worker="a", now=T0)
    session.refresh(job)
    assert job.status == "failed" and job.attempts == jobs.MAX_ATTEMPTS
    assert job.error == "处理失败，已停止，请联系管理员。"  # the user sees Chinese; the raw error is logged
    assert "boom" in caplog.text and "Traceback" in caplog.text
    assert not jobs.run_pending(session, None, worker="a", now=T0)


def test_unknown_kind_is_refused(session):
    with pytest.raises(jobs.NotFound):
        jobs.enqueue(session, kind="nope", now=T0)


def test_a_long_running_kind_keeps_its_claim_past_the_default_window(app, session):
    """The archive export is one long chunk: a second worker must not start it after two minutes."""
    from datetime import timedelta

    from webapp.services import jobs

    now = app.extensions["firegrid.clock"].now()
    job = jobs.enqueue(session, kind="archive_export", now=now, params={})
    job.claimed_by, job.heartbeat_at, job.status = "host-a:1:1", now, "running"
    session.commit()
    assert jobs.claim(session, worker="host-b:2:2", now=now + timedelta(minutes=30)) is None
    taken = jobs.claim(session, worker="host-b:2:2", now=now + timedelta(hours=4))
    assert taken is not None and taken.claimed_by == "host-b:2:2"
