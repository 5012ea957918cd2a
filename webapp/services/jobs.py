"""Generic DB-backed background jobs: a kind registry, claims with heartbeats, one chunk per call.

A kind's `step(session, job, services, now)` does one bounded chunk of work, updates
`job.done`/`job.total`/`job.phase`, and returns True when the job is finished. The chunk, the
progress and the heartbeat are committed together, so a worker killed mid-chunk loses only
that chunk's uncommitted work; after `stale_after` another worker takes the job over.

Drivers: `run_due_jobs`, called by `firegrid tick` and by the background loop of `firegrid serve`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from webapp.models.jobs import Job
from webapp.services.errors import NotFound, found

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 3

JobStep = Callable[[Session, Job, Any, datetime], bool]


@dataclass(frozen=True)
class JobKind:
    key: str
    title: str  # Chinese, e.g. "责任书批量生成"
    step: JobStep
    # How long a claim holds without a heartbeat; a kind whose single chunk runs long says so here.
    stale_after: timedelta = STALE_AFTER
    # Called (in the failure's own transaction) when the job gives up, so the kind's record shows it.
    on_failed: Callable[[Session, Job, datetime], None] | None = None


_KINDS: dict[str, JobKind] = {}


def register_kind(kind: JobKind) -> JobKind:
    _KINDS[kind.key] = kind
    return kind


def worker_id() -> str:
    """host:pid:thread — unique per running worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


RETRY_LATER = "(retry later)"  # a job queued to wait: claimable once its kind's stale time has passed


def enqueue(session: Session, *, kind: str, now: datetime, params: dict | None = None, total: int = 0,
            subject: str = "", title: str = "", later: bool = False) -> Job:
    """Queue a job; `later`: not before its kind's stale time (a retry after a failure gets some time)."""
    if kind not in _KINDS:
        raise NotFound(f"未知的后台任务类型：{kind}")
    job = Job(kind=kind, params=params or {}, total=total, subject=subject, created_at=now,
              title=title or _KINDS[kind].title, status="pending", done=0, attempts=0)
    if later:  # as if a worker had just taken it: free once its heartbeat is stale
        job.claimed_by, job.heartbeat_at = RETRY_LATER, now
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job:
    return found(session.get(Job, job_id), "后台任务不存在。")


def cancel(session: Session, job: Job, now: datetime) -> None:
    """Stop an open job; a worker running its chunk now loses its claim (version check) at commit."""
    if job.status in ("pending", "running"):
        job.status, job.claimed_by, job.finished_at = "cancelled", None, now
        session.flush()


def open_job(session: Session, subject: str) -> Job | None:
    """The newest pending or running job about `subject` (e.g. "archive_export:7")."""
    return session.scalar(select(Job).where(Job.subject == subject, Job.status.in_(("pending", "running")))
                          .order_by(Job.id.desc()).limit(1))


def _claimable(worker: str, now: datetime, stale_after: timedelta | None, kinds: Collection[str] | None):
    abandoned = [and_(Job.kind == kind.key, Job.heartbeat_at < now - (stale_after or kind.stale_after))
                 for kind in _KINDS.values()]
    of_kind = () if kinds is None else (Job.kind.in_(list(kinds)),)
    return (Job.status.in_(("pending", "running")),
            or_(Job.claimed_by.is_(None), Job.claimed_by == worker, *abandoned), *of_kind)


def claim(session: Session, *, worker: str, now: datetime, stale_after: timedelta | None = None,
          kinds: Collection[str] | None = None) -> Job | None:
    """Take the oldest open job (of `kinds`, default any) that is free, ours, or abandoned; committed at once."""
    stmt = select(Job).where(*_claimable(worker, now, stale_after, kinds)).order_by(Job.id).limit(1)
    job = session.scalar(stmt.execution_options(populate_existing=True))
    if job is None:
        return None
    if job.claimed_by not in (None, worker, RETRY_LATER):
        log.warning("job %s: taking over from %s (heartbeat %s)", job.id, job.claimed_by, job.heartbeat_at)
    job.claimed_by, job.heartbeat_at, job.status = worker, now, "running"
    try:
        session.commit()
    except StaleDataError:
        session.rollback()  # another worker claimed it between our read and our write
        return None
    return job


def run_pending(session: Session, services: Any, *, worker: str, now: datetime,
                stale_after: timedelta | None = None, kinds: Collection[str] | None = None) -> bool:
    """Claim a job (of `kinds`, default any) and run one chunk of it; False when there was nothing to do."""
    job = claim(session, worker=worker, now=now, stale_after=stale_after, kinds=kinds)
    if job is None:
        return False
    kind = _KINDS.get(job.kind)
    try:
        if kind is None:
            raise RuntimeError(f"unknown job kind {job.kind!r}")
        finished = kind.step(session, job, services, now)
        job.heartbeat_at, job.attempts, job.error = now, 0, ""
        if finished:
            job.status, job.claimed_by, job.finished_at = "done", None, now
        session.commit()
    except StaleDataError:
        session.rollback()  # our claim was taken over: the new owner redoes this chunk
        log.warning("job %s: claim lost by %s; chunk discarded", job.id, worker)
    except Exception as error:
        session.rollback()
        _record_failure(session, job.id, error, now)
    return True


def _record_failure(session: Session, job_id: int, error: Exception, now: datetime) -> None:
    """Count the attempt; the user sees a Chinese note in job.error, the raw error goes to the log."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        return
    log.error("job %s (%s) chunk failed (attempt %d)", job.id, job.kind, job.attempts + 1, exc_info=error)
    job.attempts += 1
    job.claimed_by = None
    if job.attempts >= MAX_ATTEMPTS:
        job.status, job.finished_at = "failed", now
        job.error = "处理失败，已停止，请联系管理员。"
        kind = _KINDS.get(job.kind)
        if kind is not None and kind.on_failed is not None:
            try:
                with session.begin_nested():
                    kind.on_failed(session, job, now)
            except Exception:  # the failure is still recorded; what the kind wanted to add is in the log
                log.exception("job %s (%s): on_failed failed", job.id, job.kind)
    else:
        job.error = f"处理失败（第{job.attempts}次），系统将自动重试。"
    session.commit()


def run_due_jobs(session: Session, services: Any, *, worker: str, clock: Callable[[], datetime],
                 max_chunks: int = 10_000, deadline_seconds: float | None = None,
                 kinds: Collection[str] | None = None) -> int:
    """Run chunks until no job (of `kinds`, default any) is left (or the budget is used); returns the number
    of chunks run."""
    started = clock()
    chunks = 0
    while chunks < max_chunks:
        if deadline_seconds is not None and (clock() - started).total_seconds() > deadline_seconds:
            break
        if not run_pending(session, services, worker=worker, now=clock(), kinds=kinds):
            break
        chunks += 1
    return chunks
