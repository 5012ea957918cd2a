"""`firegrid demo --history`: each procedure plays this year's activity through the real services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.cases import registry as procedures
from webapp.cases.registry import DemoContext
from webapp.cases.runtime import CaseRuntime
from webapp.clock import Clock
from webapp.models import ProcessInstance, Unit


def play(session: Session, runtime: CaseRuntime, clock: Clock, today: datetime, *,
         check_layout: bool = False) -> list[str] | None:
    """Play every procedure's history (in demo_order); None when cases exist already. ``check_layout``:
    every document goes through render → PDF → verify → adjust as a town's would (slow)."""
    if session.scalar(select(ProcessInstance.id).limit(1)) is not None:
        return None
    # The demo's units were in the ledger before the year its history plays (loaded "now", they would not count
    # in January's coverage while being inspected in January).
    new_year = today.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    session.execute(update(Unit).where(Unit.created_at > new_year).values(created_at=new_year))
    played = []
    # A year is ~800 documents: a PDF and layout check for each would take LibreOffice half an hour. The
    # history's documents are rendered (and kept together) as usual, marked 未检查; new ones are checked.
    checking = runtime.documents.layout_check
    runtime.documents.layout_check = checking and check_layout
    try:
        for procedure in sorted(procedures.all_procedures(), key=lambda p: p.demo_order):
            if procedure.play_demo_history is None:
                continue
            context = DemoContext(session=session, services=runtime, clock=clock, year=today.year, today=today)
            procedure.play_demo_history(context)
            session.commit()
            played.append(procedure.title)
    finally:
        runtime.documents.layout_check = checking
    clock.set(None)
    return played
