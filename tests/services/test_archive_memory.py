"""Issue 24, item 1: an archive export holds nothing per item. The items are planned in a temporary store and
read back a batch at a time, so the memory an export of 400 items holds is that of an export of 100."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from tests.services.test_archive_export import at, catalogue_codes
from webapp.archive.export import BATCH, ExportOptions, export_year
from webapp.models import Document, GridNode, User
from webapp.services import documents
from webapp.services.documents import Subject

SMALL, LARGE = BATCH, 4 * BATCH  # whole batches: each export's last batch holds as many items


def _year_of_records(session, docs, year: int, count: int) -> None:  # noqa: ANN001
    """`count` inspection records of `year`: one made through the services, the others its copies (same file,
    their own titles and dates), inserted as rows: hundreds of items in a moment."""
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    first = documents.create_record(session, docs, template_key="inspection_record",
                                    context=docs.library.spec("inspection_record").sample, title=f"检查记录{year}-0",
                                    subject=Subject(town), user=clerk, now=at(f"{year}-01-02T09:00"))
    columns = {c.key: getattr(first, c.key) for c in Document.__table__.columns if c.key != "id"}
    session.execute(insert(Document), [
        {**columns, "title": f"检查记录{year}-{index}", "issued_at": first.issued_at + timedelta(hours=index)}
        for index in range(1, count)])
    session.commit()


def _export(session, docs, year: int, out: Path) -> tuple[int, int]:  # noqa: ANN001
    """(bytes held when the last batch is written, peak bytes) of one export, beyond what was held before it."""
    held: list[int] = []

    def after_batch(_done: int, _total: int) -> None:
        gc.collect()  # what is still referenced, not what the collector has not reached yet
        held.append(tracemalloc.get_traced_memory()[0])

    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        export_year(session, docs, town=town, year=year, out=out, now=at(f"{year}-12-31T16:00"),
                    options=ExportOptions(pdf=False), progress=after_batch)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    session.commit()
    return held[-1] - before, peak - before


def test_an_export_of_four_times_the_items_holds_no_more(session, small_town, app, tmp_path):
    docs = app.extensions["firegrid.runtime"].documents
    _year_of_records(session, docs, 2024, SMALL)
    _year_of_records(session, docs, 2025, SMALL)
    _year_of_records(session, docs, 2026, LARGE)
    _export(session, docs, 2024, tmp_path / "warm.zip")  # imports, compiled statements, the templates' caches
    small_held, small_peak = _export(session, docs, 2025, tmp_path / "small.zip")
    large_held, large_peak = _export(session, docs, 2026, tmp_path / "large.zip")
    per_item = (large_held - small_held) / (LARGE - SMALL)
    # bytes an item: ~0 (±60 on either database: the batch's driver buffers, the catalogue's pending rows); before,
    # the plans, 档号 and id sets held ~670
    assert per_item < 200, (small_held, large_held)
    assert large_peak < 1.2 * small_peak, (small_peak, large_peak)
    codes = catalogue_codes(tmp_path / "large.zip")
    assert codes == [f"Z001-WS·2026-D10-BGS-{serial:04d}" for serial in range(1, LARGE + 1)]
