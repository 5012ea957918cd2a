"""Running an export: in a background job when the year is large, otherwise at once.

The whole export is one job chunk (written to a temp dir, then zipped), so its claim holds for
hours rather than the jobs' default two minutes: no second worker starts the same export.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..models.archive import ArchiveExport
from . import jobs
from .archive_export import get_export, run_export

JOB_KIND = "archive_export"
SYNC_LIMIT = 200  # items: a larger export goes to the background


def _step(session: Session, job: Any, runtime: Any, now: datetime) -> bool:
    run_export(session, runtime.documents, Path(job.params["data_dir"]), job.params["export_id"], now)
    record = get_export(session, job.params["export_id"])
    job.done, job.phase = job.total, record.status
    job.result = {"export_id": record.id, "status": record.status, "message": record.message}
    return True


jobs.register_kind(jobs.JobKind(JOB_KIND, "归档包导出", _step, stale_after=timedelta(hours=3)))


def submit(session: Session, runtime: Any, *, data_dir: Path, record: ArchiveExport, item_count: int,
           now: datetime, sync_limit: int = SYNC_LIMIT) -> bool:
    """Run the export now, or queue it; True when it was queued. The caller commits."""
    if item_count > sync_limit:
        jobs.enqueue(session, kind=JOB_KIND, now=now, total=item_count, subject=f"archive_export:{record.id}",
                     params={"export_id": record.id, "data_dir": str(data_dir)},
                     title=f"{record.year}年度归档包导出")
        return True
    run_export(session, runtime.documents, data_dir, record.id, now)
    return False
