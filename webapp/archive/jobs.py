"""Running an export: in a background job when the year is large, otherwise at once; retry and cancel.

The whole export is one job chunk (written to a temp dir, then zipped), so its claim holds for
hours rather than the jobs' default two minutes: no second worker starts the same export. The
chunk commits only at its end, so its progress goes to a small file beside the packages instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from webapp.archive import items
from webapp.archive.export import export_options, exports_dir, fail, get_export, run_export
from webapp.archive.models import ArchiveExport
from webapp.services import jobs
from webapp.services.errors import InvalidInput

JOB_KIND = "archive_export"
SYNC_LIMIT = 200  # items: a larger export goes to the background


@dataclass
class ExportProgress:
    label: str  # 排队中 | 生成中
    done: int
    total: int

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0


def _progress_file(data_dir: Path, export_id: int) -> Path:
    return exports_dir(data_dir) / f"{export_id:05d}.progress"


def _step(session: Session, job: Any, runtime: Any, now: datetime) -> bool:
    data_dir = Path(job.params["data_dir"])
    path = _progress_file(data_dir, job.params["export_id"])

    def report(done: int, total: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{done} {total}", encoding="ascii")

    try:
        run_export(session, runtime.documents, data_dir, job.params["export_id"], now, progress=report)
    finally:
        path.unlink(missing_ok=True)
    record = get_export(session, job.params["export_id"])
    job.done, job.phase = job.total, record.status
    job.result = {"export_id": record.id, "status": record.status, "message": record.message}
    return True


def _given_up(session: Session, job: Any, now: datetime) -> None:
    message = "后台生成多次出错，已停止（技术细节已记入系统日志），请重试。"
    fail(get_export(session, job.params["export_id"]), message, now)


JOB = jobs.JobKind(JOB_KIND, "归档包导出", _step, stale_after=timedelta(hours=3), on_failed=_given_up)


def _subject(record: ArchiveExport) -> str:
    return f"archive_export:{record.id}"


def item_count(session: Session, record: ArchiveExport) -> int:
    """How many items the export will write (a large one goes to the background)."""
    options = export_options(record)
    with items.planned(session, record.town, record.year, organ_codes=options.organ_codes,
                       retentions=options.retentions) as planned:
        return planned.count


def progress(session: Session, data_dir: Path, record: ArchiveExport) -> ExportProgress | None:
    """How far the background job building a running export is (None when no job builds it)."""
    job = jobs.open_job(session, _subject(record)) if record.status == "running" else None
    if job is None:
        return None
    path = _progress_file(data_dir, record.id)
    done, total = (int(n) for n in path.read_text(encoding="ascii").split()) if path.exists() else (0, job.total)
    return ExportProgress("排队中" if job.status == "pending" else "生成中", done, total)


def submit(session: Session, runtime: Any, *, data_dir: Path, record: ArchiveExport, now: datetime,
           sync_limit: int = SYNC_LIMIT) -> bool:
    """Run the export now, or queue it; True when it was queued. The caller commits."""
    count = item_count(session, record)
    if count > sync_limit:
        jobs.enqueue(session, kind=JOB_KIND, now=now, total=count, subject=_subject(record),
                     params={"export_id": record.id, "data_dir": str(data_dir)},
                     title=f"{record.town.name}{record.year}年度归档包导出")
        return True
    run_export(session, runtime.documents, data_dir, record.id, now)
    return False


def retry(session: Session, runtime: Any, *, data_dir: Path, record: ArchiveExport, now: datetime,
          sync_limit: int = SYNC_LIMIT) -> ArchiveExport:
    """Build a failed export again with the same filters (the caller commits)."""
    if record.status != "failed":
        raise InvalidInput("只有失败的归档包可以重试。")
    record.status, record.message, record.finished_at, record.created_at = "running", "", None, now
    session.flush()
    submit(session, runtime, data_dir=data_dir, record=record, now=now, sync_limit=sync_limit)
    return record


def cancel(session: Session, *, record: ArchiveExport, now: datetime) -> ArchiveExport:
    """Cancel a waiting or failed export; its background job stops (the caller commits)."""
    if record.status not in ("running", "failed"):
        raise InvalidInput("该归档包已生成或已取消，无需取消。")
    job = jobs.open_job(session, _subject(record))
    if job is not None:
        jobs.cancel(session, job, now)
    record.status, record.message, record.finished_at = "cancelled", "已取消", now
    session.flush()
    return record
