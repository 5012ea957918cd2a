"""Background jobs (后台任务): long batches split into chunks, each committed on its own.

A worker claims a job (claimed_by + heartbeat_at); a claim whose heartbeat is older than the
stale limit is taken over by another worker, so a crashed process never leaves a job stuck.
The version column makes a worker that lost its claim fail at commit instead of writing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import AwareDateTime

JOB_STATUSES = {"pending": "排队中", "running": "进行中", "done": "已完成", "failed": "失败", "cancelled": "已取消"}


class Job(db.Model):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)  # a key of services.jobs' kind registry
    title: Mapped[str] = mapped_column(String(200), default="")  # shown to users, Chinese
    subject: Mapped[str] = mapped_column(String(100), default="", index=True)  # e.g. "letter_campaign:7"
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    phase: Mapped[str] = mapped_column(String(30), default="")  # the kind's own stage name
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    attempts: Mapped[int] = mapped_column(default=0)  # consecutive failed chunks
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_job_status_id", "status", "id"),)

    @property
    def status_label(self) -> str:
        return JOB_STATUSES.get(self.status, self.status)

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
