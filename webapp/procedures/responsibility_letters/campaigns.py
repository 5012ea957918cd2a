"""Responsibility-letter campaigns: who the counterparties are, the approved text, the letter plan.

Services take plain arguments and a session and flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.documents.manifest import TemplateLibrary
from webapp.models import CommitteeMember, GridNode, ProcessInstance, Unit
from webapp.models.grid import NINE_SMALL_CATEGORIES
from webapp.procedures.responsibility_letters.models import LetterCampaign, ResponsibilityLetter
from webapp.services.errors import InvalidInput, found
from webapp.services.grid import organ_name

TEMPLATE_KEY = "responsibility_letter"
KINDS = ("village", "department", "key_unit", "small_venue", "other_unit")
LIST_FIELDS = ("targets", "assessment")


@dataclass(frozen=True)
class Counterparty:
    key: str  # unique within a campaign: "unit:12", "village:4", "member:3"
    kind: str
    name: str
    responsible_person: str
    phone: str
    grid: GridNode
    unit: Unit | None = None


def unit_kind(category: str) -> str:
    """重点单位 → key_unit; a 九小场所 category → small_venue; anything else → other_unit."""
    if category == "key_unit":
        return "key_unit"
    return "small_venue" if category in NINE_SMALL_CATEGORIES else "other_unit"


def _grid_head(node: GridNode) -> tuple[str, str]:
    post = next((p for p in node.posts if p.post == "grid_head"), None)
    return (post.person_name, post.phone) if post else ("", "")


def _villages_and_departments(session: Session, town: GridNode) -> list[Counterparty]:
    villages = [n for n in town.children if n.level == "village"]
    parties = [Counterparty(f"village:{v.id}", "village", organ_name(v), *_grid_head(v), grid=v) for v in villages]
    village_organs = {organ_name(v) for v in villages}
    members = session.scalars(select(CommitteeMember).where(CommitteeMember.town_id == town.id)
                              .order_by(CommitteeMember.sort_order, CommitteeMember.id))
    parties += [Counterparty(f"member:{m.id}", "department", m.organ, m.contact_person, m.phone, grid=town)
                for m in members if m.committee_role != "head" and m.organ not in village_organs]
    return parties


def _units(session: Session, node: GridNode, categories: list[str]) -> list[Counterparty]:
    stmt = (select(Unit).join(Unit.grid).where(GridNode.path.startswith(node.path))
            .order_by(GridNode.path, Unit.id))
    if categories:
        stmt = stmt.where(Unit.category.in_(categories))
    return [Counterparty(f"unit:{u.id}", unit_kind(u.category), u.name, u.responsible_person,
                         u.responsible_phone, grid=u.grid, unit=u) for u in session.scalars(stmt)]


def counterparties(session: Session, node: GridNode, counterparty_set: str,
                   categories: list[str]) -> list[Counterparty]:
    if counterparty_set == "villages_departments":
        if node.level != "town":
            raise InvalidInput("“各村（社区）和镇直部门”只能由镇（街道）作为甲方签订。")
        return _villages_and_departments(session, node)
    if counterparty_set == "units":
        return _units(session, node, categories)
    raise InvalidInput("请选择签订对象。")


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def default_text(library: TemplateLibrary, year: int) -> dict:
    """The manifest's sample text and per-kind duty clauses, for a new campaign's draft."""
    spec = library.spec(TEMPLATE_KEY)
    return {
        "preamble": spec.sample["preamble"], "targets": list(spec.sample["targets"]),
        "assessment": list(spec.sample["assessment"]),
        "duties": {kind: list(spec.defaults["duty_clauses"][kind]) for kind in KINDS},
        "term": {"start": date(year, 1, 1).isoformat(), "end": date(year, 12, 31).isoformat()},
        "copies": spec.copies, "copies_note": spec.sample["copies_note"],
    }


def text_from_data(library: TemplateLibrary, data: dict) -> dict:
    """The campaign text from the draft step's task data (clauses one per line)."""
    year = int(data["year"])
    text = default_text(library, year)
    text["preamble"] = str(data.get("preamble") or text["preamble"]).strip()
    for name in LIST_FIELDS:
        text[name] = _lines(data.get(name)) or text[name]
    for kind in KINDS:
        text["duties"][kind] = _lines(data.get(f"duties_{kind}")) or text["duties"][kind]
    text["term"] = {"start": str(data.get("term_start") or text["term"]["start"])[:10],
                    "end": str(data.get("term_end") or text["term"]["end"])[:10]}
    if text["term"]["end"] < text["term"]["start"]:
        raise InvalidInput("责任期限的截止日期不能早于开始日期。", field="term_end")
    text["copies_note"] = str(data.get("copies_note") or text["copies_note"]).strip()
    return text


def letter_context(campaign: LetterCampaign, party: ResponsibilityLetter | Counterparty) -> dict:
    """The template context of one letter: its own parties and the clauses of its kind."""
    text = campaign.text
    name = party.party_b_name if isinstance(party, ResponsibilityLetter) else party.name
    return {
        "year": campaign.year,
        "party_a": {"name": campaign.party_a_name, "signatory": campaign.party_a_signatory},
        "party_b": {"name": name, "kind": party.kind, "signatory": party.responsible_person},
        "preamble": text["preamble"], "targets": text["targets"], "duties": text["duties"][party.kind],
        "assessment": text["assessment"], "term": text["term"], "copies": text["copies"],
        "copies_note": text["copies_note"], "sign_date": None,
    }


def campaign_for_instance(session: Session, instance_id: int) -> LetterCampaign | None:
    return session.scalar(select(LetterCampaign).where(LetterCampaign.instance_id == instance_id))


def get_campaign(session: Session, campaign_id: int) -> LetterCampaign:
    return found(session.get(LetterCampaign, campaign_id), "责任书签订活动不存在。")


def save_draft(session: Session, library: TemplateLibrary, instance: ProcessInstance, data: dict,
               now: datetime) -> LetterCampaign:
    """Create or update the campaign from the draft step (拟定文本)."""
    campaign = campaign_for_instance(session, instance.id)
    if campaign is None:
        campaign = LetterCampaign(instance=instance, grid=instance.grid, created_at=now, status="drafting")
        session.add(campaign)
    campaign.year = int(data["year"])
    campaign.party_a_name = str(data.get("party_a_name") or organ_name(instance.grid)).strip()
    campaign.party_a_signatory = str(data.get("party_a_signatory") or "").strip()
    campaign.counterparty_set = str(data.get("counterparty_set") or "units")
    campaign.categories = list(data.get("categories") or [])
    campaign.print_pdf = bool(data.get("print_pdf", True))
    campaign.text = text_from_data(library, data)
    session.flush()
    return campaign


def plan_letters(session: Session, campaign: LetterCampaign, now: datetime) -> int:
    """One pending letter row per counterparty (unique per campaign); rows that exist are kept."""
    parties = counterparties(session, campaign.grid, campaign.counterparty_set, campaign.categories)
    if not parties:
        raise InvalidInput("按所选范围没有找到任何签订对象，请修改签订范围。")
    existing = set(session.scalars(select(ResponsibilityLetter.counterparty_key)
                                   .where(ResponsibilityLetter.campaign_id == campaign.id)))
    session.add_all([
        ResponsibilityLetter(
            campaign_id=campaign.id, counterparty_key=p.key, revision=1, kind=p.kind, party_b_name=p.name,
            responsible_person=p.responsible_person, phone=p.phone, grid_id=p.grid.id, grid_path=p.grid.path,
            unit_id=p.unit.id if p.unit else None, status="pending", created_at=now,
        ) for p in parties if p.key not in existing
    ])
    session.flush()
    return count_letters(session, campaign.id)


def count_letters(session: Session, campaign_id: int, status: str | None = None) -> int:
    stmt = select(func.count(ResponsibilityLetter.id)).where(ResponsibilityLetter.campaign_id == campaign_id)
    stmt = stmt.where(ResponsibilityLetter.status == status) if status else stmt.where(
        ResponsibilityLetter.status != "void")
    return session.scalar(stmt) or 0


def close(session: Session, campaign: LetterCampaign, *, note: str, now: datetime) -> None:
    """End the campaign; the letters still unsigned are listed with it."""
    unsigned = session.scalars(select(ResponsibilityLetter).where(
        ResponsibilityLetter.campaign_id == campaign.id, ResponsibilityLetter.status.in_(("pending", "issued")))
        .order_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.id))
    campaign.unsigned_at_close = [{"name": u.party_b_name, "person": u.responsible_person, "phone": u.phone}
                                  for u in unsigned]
    campaign.status, campaign.closed_at, campaign.closed_note = "closed", now, note.strip()
    session.flush()
