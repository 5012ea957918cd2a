"""Archive export: 2,000 items against a plain zip + SHA-256 of the same files, and peak memory
(tracemalloc) of an export of 200 items against one of 2,000.

    python bench/archive.py [--count 2000] [--small 200] [--pdf] [--profile 25]

Documents are made through the real services (documents.issue / create_record, prepared-template
renderer); PDF/A is off by default. With --pdf the background job makes and stores every issued
document's PDF/A first (as it does right after issuing, outside the timing), so the export only packs it.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.archive.export import ExportOptions, export_year  # noqa: E402
from webapp.archive.models import ArchiveItem, ArchiveItemDocument  # noqa: E402
from webapp.clock import TZ  # noqa: E402
from webapp.demo import organisation as demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Document, GridNode, User  # noqa: E402
from webapp.services import documents, jobs  # noqa: E402
from webapp.services.documents import Subject  # noqa: E402

SCAN = b"\xff\xd8\xff\xe0" + b"scan" * 20_000 + b"\xff\xd9"  # an 80 kB "signed scan"


def make_documents(session, docs, year: int, count: int) -> None:  # noqa: ANN001
    """Half numbered notices, half inspection records with a scan, one template each, varying data."""
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    notice, record = docs.library.spec("notice").sample, docs.library.spec("inspection_record").sample
    start = datetime(year, 1, 5, 9, tzinfo=TZ)
    step = min(150, 350 * 24 * 60 // count)  # minutes apart: all of them inside the year, however many
    for index in range(count):
        now = start + timedelta(minutes=step * index)
        if index % 2:
            context = {**record, "record_no": f"JC-{year}-{index:05d}"}
            made = documents.create_record(session, docs, template_key="inspection_record", context=context,
                                           title=f"消防安全检查记录{index}", subject=Subject(town), user=clerk, now=now)
            documents.attach(session, docs, made, content=SCAN + index.to_bytes(4, "big"), name="签字页.jpg",
                             media_type="image/jpeg", role="scan", now=now)
        else:
            documents.issue(session, docs, template_key="notice", context={**notice, "title": f"关于检查的通知{index}"},
                            title=f"关于检查的通知{index}", prefix_key="town_notice", subject=Subject(town),
                            user=clerk, now=now)
        if index % 200 == 199:
            session.commit()
    session.commit()


def plain_zip(session, docs, year: int, out: Path) -> None:  # noqa: ANN001
    """The floor: the same stored files, each hashed and zipped, nothing else."""
    stmt = select(Document).where(Document.status == "issued")
    with zipfile.ZipFile(out, "w") as archive:
        for document in session.scalars(stmt):
            if document.issued_at.year != year:
                continue
            for sha in [document.file_sha256, *(a.file_sha256 for a in document.attachments)]:
                path = docs.store.path(sha)
                hashlib.sha256(path.read_bytes()).hexdigest()
                archive.write(path, f"{document.id}/{sha}")


def timed_export(session, docs, year: int, out: Path, pdf: bool, profile: int = 0) -> float:  # noqa: ANN001
    """Seconds for one export; with `profile`, also print that many of cProfile's costliest functions."""
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    export_year(session, docs, town=town, year=year, out=out, now=datetime(year, 12, 31, tzinfo=TZ),
                options=ExportOptions(pdf=pdf))
    session.commit()
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
    return elapsed


def peak_export(session, docs, year: int, out: Path, pdf: bool) -> int:  # noqa: ANN001
    tracemalloc.start()
    timed_export(session, docs, year, out, pdf)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def forget_codes(session) -> None:  # noqa: ANN001
    session.execute(delete(ArchiveItemDocument))
    session.execute(delete(ArchiveItem))
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--pdf", action="store_true", help="also convert every document to PDF/A")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="profile the timed export (cProfile) and print its N costliest functions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="firegrid-bench-") as work:
        work_dir = Path(work)
        # No layout check while making the documents (a LibreOffice run per notice, nothing the export reads)
        app = create_app({"DATA_DIR": work_dir, "SECRET_KEY": "bench", "CHECK_WORKFLOWS": False,
                          "LAYOUT_CHECK": False, "PDF_AFTER_ISSUE": args.pdf,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work_dir / 'bench.db'}"})
        with app.app_context():
            upgrade()  # the product's schema, as `firegrid init` makes it
            session, docs = db.session, app.extensions["firegrid.runtime"].documents
            demo.load_demo(session, now=datetime(2024, 1, 1, tzinfo=TZ))
            session.commit()
            started = time.perf_counter()
            make_documents(session, docs, 2024, args.small)
            make_documents(session, docs, 2026, args.count)
            print(f"made {args.small + args.count} documents in {time.perf_counter() - started:.1f} s")
            if args.pdf:
                started = time.perf_counter()
                jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="bench",
                                  clock=lambda: datetime.now(TZ))
                print(f"background job stored their PDF/A in {time.perf_counter() - started:.1f} s")

            export_s = timed_export(session, docs, 2026, work_dir / "archive.zip", args.pdf, args.profile)
            started = time.perf_counter()
            plain_zip(session, docs, 2026, work_dir / "plain.zip")
            plain_s = time.perf_counter() - started
            print(f"export of {args.count} items: {export_s:.2f} s ({export_s / args.count * 1000:.1f} ms/item, "
                  f"PDF/A {'on' if args.pdf else 'off'}); plain zip + sha256: {plain_s:.2f} s; "
                  f"ratio {export_s / plain_s:.1f}x; package {(work_dir / 'archive.zip').stat().st_size / 1e6:.1f} MB")

            forget_codes(session)
            small = peak_export(session, docs, 2024, work_dir / "small.zip", args.pdf)
            rss_before = peak_rss_mb()
            large = peak_export(session, docs, 2026, work_dir / "large.zip", args.pdf)
            print(f"peak Python memory (tracemalloc): {args.small} items {small / 1e6:.1f} MB, "
                  f"{args.count} items {large / 1e6:.1f} MB (ratio {large / small:.2f} for "
                  f"{args.count / args.small:.0f}x the items); peak RSS {rss_before:.0f} MB before the large export, "
                  f"{peak_rss_mb():.0f} MB after")


if __name__ == "__main__":
    main()
