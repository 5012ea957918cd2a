"""Document numbers (文号): gap-free per town, prefix and year, allocated inside the issuing transaction.

Grammars: wenhao 某府发〔2026〕7号, di 某消整〔2026〕第0007号, qi 第7期 (minutes series).
The counter row is incremented with one UPDATE … RETURNING: the row stays locked until the
transaction ends, so concurrent issuers queue, and a rollback gives the number back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from webapp.models import IssuedNumber, NumberSequence
from webapp.services.errors import InvalidInput, found

GRAMMARS = ("wenhao", "di", "qi")


def format_number(prefix: str, year: int, serial: int, grammar: str) -> str:
    if grammar == "wenhao":
        return f"{prefix}〔{year}〕{serial}号"
    if grammar == "di":
        return f"{prefix}〔{year}〕第{serial:04d}号"
    if grammar == "qi":
        return f"第{serial}期"
    raise InvalidInput(f"未知的编号格式：{grammar}")


def _ensure_sequence(session: Session, town_id: int, prefix: str, year: int) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(NumberSequence).values(town_id=town_id, prefix=prefix, year=year, last_serial=0)
                    .on_conflict_do_nothing(index_elements=["town_id", "prefix", "year"]))


def allocate(session: Session, *, town_id: int, prefix: str, year: int, grammar: str, now: datetime,
             document_id: int | None = None) -> IssuedNumber:
    """The next number of (town, prefix, year), recorded in the number ledger."""
    if grammar not in GRAMMARS:
        raise InvalidInput(f"未知的编号格式：{grammar}")
    _ensure_sequence(session, town_id, prefix, year)
    serial = session.execute(
        update(NumberSequence)
        .where(NumberSequence.town_id == town_id, NumberSequence.prefix == prefix, NumberSequence.year == year)
        .values(last_serial=NumberSequence.last_serial + 1)
        .returning(NumberSequence.last_serial)
    ).scalar_one()
    issued = IssuedNumber(town_id=town_id, prefix=prefix, year=year, serial=serial, document_id=document_id,
                          allocated_at=now, number=format_number(prefix, year, serial, grammar))
    session.add(issued)
    session.flush()
    return issued


def ledger(session: Session, town_id: int, year: int) -> list[IssuedNumber]:
    """文号台账: every number of the town in the year, by prefix and serial, voided ones included."""
    stmt = (select(IssuedNumber).options(joinedload(IssuedNumber.document))
            .where(IssuedNumber.town_id == town_id, IssuedNumber.year == year)
            .order_by(IssuedNumber.prefix, IssuedNumber.serial))
    return list(session.scalars(stmt))


def get_number(session: Session, number_id: int) -> IssuedNumber:
    return found(session.get(IssuedNumber, number_id), "没有这个文号。")


def void(session: Session, issued: IssuedNumber, reason: str) -> None:
    """作废: the number stays in the ledger, marked void with the reason; it is never reused."""
    if not reason.strip():
        raise InvalidInput("作废文号必须填写原因。")
    issued.status, issued.void_reason = "void", reason.strip()
    session.flush()
