"""The items of a town's year in a temporary SQLite database while an export (or the archive page) goes through
them: however many items a year holds, the process keeps one batch of them at a time.

The year's documents go in as they are read, oldest first (the reading order is their `seq`); SQL groups them
into items, puts the items in catalogue order and hands them back a batch at a time. It also answers the export's
checks that would otherwise keep a set of every item: repeated 档号, and which documents the package holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from webapp.archive.codes import RETENTION_ORDER
from webapp.clock import TZ

_EPOCH, _MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
_LOAD_CHUNK = 500  # documents inserted with one statement
_IDS_AT_ONCE = 500  # ids in one IN (...): far under SQLite's limit on bound values, old versions' 999 too

_SCHEMA = """
CREATE TABLE document (
    seq INTEGER PRIMARY KEY,  -- reading order: issued, then id
    id INTEGER NOT NULL UNIQUE,
    instance_id INTEGER,
    template_key TEXT NOT NULL,
    title TEXT NOT NULL,
    number TEXT NOT NULL,
    organ TEXT NOT NULL,  -- 责任者
    issued_us INTEGER NOT NULL,  -- issued at, microseconds since 1970 (UTC): compares as the datetimes do
    -- the class and code of the item this document would be the main one of: the stored ones, else the rules'
    retention TEXT NOT NULL,
    organ_code TEXT NOT NULL,
    retention_rank INTEGER NOT NULL,
    item_id INTEGER,
    archive_code TEXT NOT NULL,
    serial INTEGER NOT NULL,
    main INTEGER,  -- seq of the document whose item this one would join (its case's group's main document)
    item INTEGER  -- seq of its item's main document: its own when it is an item's main one
);
CREATE INDEX document_case ON document (instance_id, template_key, seq);
CREATE TABLE item_group (position INTEGER NOT NULL, main_key TEXT NOT NULL, member_key TEXT NOT NULL);
CREATE TABLE chosen (position INTEGER PRIMARY KEY, seq INTEGER NOT NULL UNIQUE);  -- the items, catalogue order
CREATE TABLE filed (code TEXT NOT NULL);
"""

# The first group (in the settings' order) naming the document's template after its first key, whose main
# template the case has (the last such document read) and which is not the document itself.
_FIND_MAINS = """
UPDATE document SET main = (
    SELECT main.seq FROM item_group g JOIN document main
        ON main.instance_id = document.instance_id AND main.template_key = g.main_key
    WHERE g.member_key = document.template_key AND main.seq != document.seq
      AND main.seq = (SELECT max(last.seq) FROM document last
                      WHERE last.instance_id = document.instance_id AND last.template_key = g.main_key)
    ORDER BY g.position LIMIT 1)
WHERE instance_id IS NOT NULL
"""
# A document joins its main document's item when that main was read before it and is an item itself (it can be
# a member of another group, when groups chain): decided from the earliest documents on, a round per link.
_OWN_ITEMS = "UPDATE document SET item = seq WHERE main IS NULL OR main > seq"
_NEXT_LINK = """
UPDATE document SET item = CASE (SELECT main.item FROM document main WHERE main.seq = document.main)
                           WHEN document.main THEN document.main ELSE document.seq END
WHERE item IS NULL AND (SELECT main.item FROM document main WHERE main.seq = document.main) IS NOT NULL
"""
# Catalogue order: retention class, 机构 code, the 件号 of an item filed before (new ones after them), then the
# date it was issued
_CHOOSE = """
INSERT INTO chosen (position, seq)
SELECT row_number() OVER (ORDER BY retention_rank, organ_code, coalesce(nullif(serial, 0), 1000000), issued_us,
                          seq), seq
FROM document WHERE item = seq {where}
"""
_BATCH = """
SELECT d.seq = c.seq, d.id, d.title, d.number, d.organ, d.issued_us, d.retention, d.organ_code, d.archive_code,
       d.item_id, d.serial
FROM chosen c JOIN document d ON d.item = c.seq
WHERE c.position > ? AND c.position <= ? ORDER BY c.position, d.seq
"""


@dataclass(slots=True)
class ItemPlan:
    """One item to file: its documents (main first), class and, once assigned, its code."""

    document_ids: list[int]
    title: str
    number: str
    organ: str
    issued_at: datetime
    retention: str
    organ_code: str
    archive_code: str = ""
    item_id: int | None = None
    serial: int = 0
    organs: list[str] = field(default_factory=list)  # each document's 责任者, as document_ids (organ: the main's)


@dataclass(frozen=True, slots=True)
class PlannedDocument:
    """A fileable document as read, with the class and code of the item it would be the main one of."""

    id: int
    instance_id: int | None
    template_key: str
    title: str
    number: str
    organ: str
    issued_at: datetime
    retention: str
    organ_code: str
    item_id: int | None = None  # the stored item it is the main document of, with that item's code
    archive_code: str = ""
    serial: int = 0


class ItemStore:
    """A year's documents grouped into items in a temporary SQLite database (`path`; "" makes SQLite keep a
    private temporary file, removed when it closes). Fill it, `group`, `choose`, then read `batches`."""

    def __init__(self, path: Path | str = "") -> None:
        self._db = sqlite3.connect(path, isolation_level=None)  # each statement its own transaction
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
        self.count = 0  # items chosen

    def __enter__(self) -> ItemStore:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._db.close()

    def add(self, documents: Iterable[PlannedDocument]) -> None:
        """Documents in reading order (issued, then id): the order that decides which item a document joins."""
        rows = []
        for seq, doc in enumerate(documents, start=1):
            rows.append((seq, doc.id, doc.instance_id, doc.template_key, doc.title, doc.number, doc.organ,
                         (doc.issued_at - _EPOCH) // _MICROSECOND, doc.retention, doc.organ_code,
                         RETENTION_ORDER.get(doc.retention, 9), doc.item_id, doc.archive_code, doc.serial))
            if len(rows) == _LOAD_CHUNK:
                self._insert(rows)
                rows = []
        self._insert(rows)

    def _insert(self, rows: list[tuple]) -> None:
        self._db.executemany("INSERT INTO document (seq, id, instance_id, template_key, title, number, organ,"
                             " issued_us, retention, organ_code, retention_rank, item_id, archive_code, serial)"
                             f" VALUES ({', '.join('?' * 14)})", rows)

    def group(self, item_groups: list[list[str]]) -> None:
        """Documents of one case whose templates form a group are one item, the group's first key the main one."""
        self._db.executemany("INSERT INTO item_group VALUES (?, ?, ?)",
                             [(position, group[0], key) for position, group in enumerate(item_groups)
                              for key in group[1:]])
        self._db.execute(_FIND_MAINS)
        self._db.execute(_OWN_ITEMS)
        while self._db.execute(_NEXT_LINK).rowcount:
            pass
        self._db.execute("CREATE INDEX document_item ON document (item, seq)")

    def choose(self, organ_codes: Iterable[str] = (), retentions: Iterable[str] = ()) -> int:
        """The items of these 机构 codes and retention classes (none named: all), numbered in catalogue order."""
        where, values = "", []
        for column, chosen in (("organ_code", sorted(organ_codes)), ("retention", sorted(retentions))):
            if chosen:
                where += f" AND {column} IN ({', '.join('?' * len(chosen))})"
                values += chosen
        self._db.execute(_CHOOSE.format(where=where), values)
        self.count = self._db.execute("SELECT count(*) FROM chosen").fetchone()[0]
        return self.count

    def batches(self, size: int) -> Iterator[list[ItemPlan]]:
        """The chosen items, `size` at a time, in catalogue order."""
        for start in range(0, self.count, size):
            plans: list[ItemPlan] = []
            for main, *row in self._db.execute(_BATCH, (start, start + size)):
                if main:
                    plans.append(_plan(*row))
                else:
                    plans[-1].document_ids.append(row[0])
                    plans[-1].organs.append(row[3])
            yield plans

    def organs(self) -> list[str]:
        """The 责任者 of the chosen items, sorted."""
        return [organ for organ, in self._db.execute(
            "SELECT DISTINCT d.organ FROM chosen c JOIN document d ON d.seq = c.seq ORDER BY d.organ")]

    def exported(self, ids: Sequence[int]) -> set[int]:
        """Which of these documents the chosen items hold."""
        held: set[int] = set()
        for start in range(0, len(ids), _IDS_AT_ONCE):
            part = list(ids[start:start + _IDS_AT_ONCE])
            held.update(i for i, in self._db.execute(
                "SELECT d.id FROM document d JOIN chosen c ON c.seq = d.item"
                f" WHERE d.id IN ({', '.join('?' * len(part))})", part))
        return held

    def file(self, codes: list[str]) -> None:
        """Keep the 档号 of written items, for `repeated_codes`."""
        self._db.executemany("INSERT INTO filed (code) VALUES (?)", [(code,) for code in codes])

    def repeated_codes(self) -> list[tuple[str, int]]:
        """Each 档号 kept more than once, with how many times, in the order first kept."""
        return self._db.execute("SELECT code, count(*) FROM filed GROUP BY code HAVING count(*) > 1"
                                " ORDER BY min(rowid)").fetchall()


def _plan(document_id: int, title: str, number: str, organ: str, issued_us: int, retention: str, organ_code: str,
          archive_code: str, item_id: int | None, serial: int) -> ItemPlan:
    return ItemPlan([document_id], title, number, organ, (_EPOCH + issued_us * _MICROSECOND).astimezone(TZ),
                    retention, organ_code, archive_code, item_id, serial, [organ])
