"""What the responsibility-letter procedure puts in a unit's file (一户一档): the unit's letters, and
their signing with the signed paper's scan."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.registry import UnitEvent
from webapp.clock import TZ
from webapp.models import Unit
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter

LETTER = "letters.letter"


def _issued(letter: ResponsibilityLetter) -> UnitEvent:
    campaign = letter.campaign
    document = letter.document
    when = (document.issued_at or document.created_at) if document is not None else letter.created_at
    void = f"；作废原因：{letter.void_reason}" if letter.status == "void" and letter.void_reason else ""
    return UnitEvent(
        when=when, kind="消防安全目标责任书",
        summary=f"{campaign.year}年度，甲方{campaign.party_a_name}，乙方{letter.party_b_name}"
                + (f"（第{letter.revision}版）" if letter.revision > 1 else "") + void,
        state=letter.status_label, endpoint=LETTER, args=(("letter_id", letter.id),),
        document_ids=(letter.document_id,) if letter.document_id else ())


def _signed(letter: ResponsibilityLetter) -> UnitEvent:
    when = letter.signed_at or datetime.combine(letter.signed_on, time(12), tzinfo=TZ)
    scan = letter.scan
    photos = (scan.sha256,) if scan is not None and scan.media_type.startswith("image/") else ()
    signatories = "、".join(s for s in (letter.signatory_a, letter.signatory_b) if s)
    return UnitEvent(
        when=when, kind="责任书签订",
        summary=f"{letter.campaign.year}年度责任书于{letter.signed_on.isoformat()}签订"
                + (f"，签字人：{signatories}" if signatories else ""),
        state="已签订", endpoint=LETTER, args=(("letter_id", letter.id),), photo_keys=photos)


def unit_events(session: Session, unit: Unit) -> list[UnitEvent]:
    """Each generated letter of the unit (a re-issue is an entry of its own) and each signing."""
    letters = session.scalars(select(ResponsibilityLetter).where(
        ResponsibilityLetter.unit_id == unit.id, ResponsibilityLetter.status != "pending"))
    found: list[UnitEvent] = []
    for letter in letters:
        found.append(_issued(letter))
        if letter.status == "signed" and letter.signed_on:
            found.append(_signed(letter))
    return found
