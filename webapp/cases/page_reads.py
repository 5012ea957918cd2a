"""Reads that several parts of one page need (a unit's page lists its patrols in the patrol section and again
in the 一户一档 timeline): the first part's read is kept on the session and the others reuse it.

Kept only while nothing is written: a flush, a bulk UPDATE/DELETE/INSERT or the end of the transaction
forgets every kept read, and a session holding unflushed changes does not keep or reuse one. So a part never
sees rows older than what its own request wrote, and another process's changes show up on the next request
(a new transaction) as before."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")
KEY = "firegrid_page_reads"
KEPT = 16  # reads kept per session: a page needs a few


def shared_read(session: Session, key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, or what it returned earlier in this transaction for the same key (treat it as read-only)."""
    if session.new or session.dirty or session.deleted:
        return read()
    kept = session.info.setdefault(KEY, {})
    if key not in kept:
        if len(kept) >= KEPT:  # a batch (every unit of a town in one transaction) keeps only the latest
            del kept[next(iter(kept))]
        kept[key] = read()
    return kept[key]


def has_shared_read(session: Session, key: Hashable) -> bool:
    """Whether `shared_read` would reuse a read for this key (a part that needs less may then take it)."""
    return not (session.new or session.dirty or session.deleted) and key in session.info.get(KEY, {})


def forget(session: Session) -> None:
    session.info.pop(KEY, None)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context) -> None:  # noqa: ANN001
    forget(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        forget(state.session)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is None:
        forget(session)
