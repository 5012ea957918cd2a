"""The measured items of the year-end evaluation, computed from the app's own records.

Each metric returns a `Measure`: the value (a rate 0–1 or a count), the numbers behind it and the
records it counted, so the drill-down page shows exactly what the score was made from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CalendarDay, CommitteeMember, GridNode
from webapp.procedures.evaluation.models import FireIncident, PublicityEvent
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.inspection.plans import units_under
from webapp.procedures.meeting.meetings import attending_units
from webapp.procedures.meeting.models import Meeting, MeetingDecision
from webapp.procedures.patrol.patrols import patrols_under
from webapp.procedures.responsibility_letters.campaigns import organ_name
from webapp.procedures.responsibility_letters.models import LetterCampaign, ResponsibilityLetter
from webapp.workdays import WorkdayCalendar

REINSPECTION_WORKDAYS = 3  # 复查 within 3 working days after the rectification deadline


@dataclass
class Target:
    """An evaluated body: a village (its grid node) or a department (a committee member at the town)."""

    key: str
    kind: str  # village | department
    name: str
    grid: GridNode
    member: CommitteeMember | None = None


@dataclass
class Record:
    day: date | None
    subject: str
    detail: str
    counted: bool  # counts towards the numerator (signed, inspected, on time, attended …)


@dataclass
class Measure:
    value: float
    numerator: float
    denominator: int | None  # None for counts
    text: str
    records: list[Record] = field(default_factory=list)


def villages_and_departments(session: Session, town: GridNode) -> list[Target]:
    """The bodies the town evaluates, as in the responsibility-letter campaigns (villages, then departments)."""
    members = list(session.scalars(select(CommitteeMember).where(CommitteeMember.town_id == town.id)
                                   .order_by(CommitteeMember.sort_order, CommitteeMember.id)))
    by_organ = {m.organ: m for m in members}
    villages = [n for n in town.children if n.level == "village"]
    targets = [Target(f"village:{v.id}", "village", v.name, v, by_organ.get(organ_name(v))) for v in villages]
    village_organs = {organ_name(v) for v in villages}
    targets += [Target(f"member:{m.id}", "department", m.organ, town, m) for m in members
                if m.committee_role != "head" and m.organ not in village_organs]
    return targets


def _rate(records: list[Record], empty_value: float, empty_text: str) -> Measure:
    done, total = sum(1 for r in records if r.counted), len(records)
    if not total:
        return Measure(empty_value, 0, 0, empty_text, records)
    rate = done / total
    return Measure(rate, done, total, f"{done}/{total}（{rate * 100:.1f}%）".replace(".0%", "%"), records)


def _count(records: list[Record], noun: str) -> Measure:
    n = sum(1 for r in records if r.counted)
    return Measure(float(n), n, None, f"{n}{noun}", records)


def _in_year(day: date | None, year: int, cutoff: date) -> bool:
    return day is not None and day.year == year and day <= cutoff


def signing_rate(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    stmt = (select(ResponsibilityLetter).join(LetterCampaign)
            .where(LetterCampaign.year == year, ResponsibilityLetter.status != "void")
            .order_by(ResponsibilityLetter.grid_path, ResponsibilityLetter.id))
    if target.kind == "village":
        stmt = stmt.where(ResponsibilityLetter.grid_path.startswith(target.grid.path))
    else:
        stmt = stmt.where(ResponsibilityLetter.counterparty_key == target.key)
    records = [Record(letter.signed_on, letter.party_b_name, f"{letter.campaign.party_a_name} · {letter.status_label}",
                      letter.status == "signed" and (letter.signed_on is None or letter.signed_on <= cutoff))
               for letter in session.scalars(stmt)]
    return _rate(records, 0.0, "无应签责任书")


def _inspections(session: Session, grid: GridNode, year: int, cutoff: date) -> list[Inspection]:
    stmt = (select(Inspection).join(GridNode, Inspection.grid_id == GridNode.id)
            .where(GridNode.path.startswith(grid.path)).order_by(Inspection.inspected_at))
    return [i for i in session.scalars(stmt) if _in_year(i.inspected_at.date(), year, cutoff)]


def inspection_coverage(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    inspections = _inspections(session, target.grid, year, cutoff)
    records = []
    for unit in units_under(session, target.grid):
        days = [i.inspected_at.date() for i in inspections if i.unit_id == unit.id]
        detail = f"全年检查{len(days)}次" if days else "全年未检查"
        records.append(Record(max(days) if days else None, unit.name, detail, bool(days)))
    return _rate(records, 1.0, "辖区无单位、场所")


def patrols(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    """Patrols (巡查) of the village's units by its grid workers in the year up to the cutoff."""
    found = patrols_under(session, target.grid, date(year, 1, 1), cutoff)
    records = [Record(p.patrolled_at.date(), p.unit.name, f"{p.patroller_name}巡查，"
                      + ("未发现问题" if p.no_problem else f"发现隐患{len(p.hazards)}处"), True) for p in found]
    return _count(records, "次")


def _calendar(session: Session) -> WorkdayCalendar:
    rows = session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
    return WorkdayCalendar({day: is_workday for day, is_workday in rows})


def hazards_on_time(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    """Hazards with a rectification deadline due by the cutoff; on time = the re-inspection, held within
    its legal window (3 working days after the hazard's own deadline on the notice), found them rectified."""
    records, calendar = [], _calendar(session)
    for inspection in _inspections(session, target.grid, year, cutoff):
        for hazard in inspection.hazards:
            deadline = hazard.deadline or inspection.deadline
            if hazard.status == "corrected_on_spot" or deadline is None or deadline > cutoff:
                continue
            window = calendar.add_workdays(deadline, REINSPECTION_WORKDAYS)
            on_time = hazard.status == "rectified" and hazard.rectified_on is not None \
                and hazard.rectified_on <= window
            state = "按期整改" if on_time else ("逾期整改" if hazard.status == "rectified" else hazard.status_label)
            records.append(Record(deadline, f"{inspection.unit.name}：{hazard.description}",
                                  f"整改期限{deadline}，{state}", on_time))
    return _rate(records, 1.0, "无到期整改的隐患")


def referrals_handled(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    stmt = (select(Inspection).join(GridNode, Inspection.grid_id == GridNode.id)
            .where(GridNode.path.startswith(target.grid.path), Inspection.referred_on.is_not(None))
            .order_by(Inspection.referred_on))
    records = [Record(i.referred_on, i.unit.name,
                      f"移交{i.referral_receiver}，" + (f"{i.feedback_on}已反馈" if i.feedback_on else "尚未反馈"),
                      i.feedback_on is not None and i.feedback_on <= cutoff)
               for i in session.scalars(stmt) if _in_year(i.referred_on, year, cutoff)]
    return _rate(records, 1.0, "无移交的隐患")


def meetings_attended(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    """Meetings held in the year to which the body's committee member was invited; attended = in 出席."""
    organ = target.member.organ if target.member else ""
    stmt = (select(Meeting).where(Meeting.held_on >= date(year, 1, 1), Meeting.held_on <= cutoff)
            .order_by(Meeting.held_on))
    records = [Record(m.held_on, f"{m.series.name}（{m.held_on}）",
                      "出席" if organ in attending_units(m) else "缺席", organ in attending_units(m))
               for m in session.scalars(stmt) if organ and organ in (m.invited or []) and m.attendees]
    return _rate(records, 1.0, "无应出席的会议")


def decisions_done(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    stmt = select(MeetingDecision).where(MeetingDecision.deadline >= date(year, 1, 1),
                                         MeetingDecision.deadline <= cutoff)
    if target.kind == "village":
        stmt = stmt.where(MeetingDecision.grid_id == target.grid.id, MeetingDecision.member_id.is_(None))
    else:
        stmt = stmt.where(MeetingDecision.member_id == (target.member.id if target.member else -1))
    records = []
    for decision in session.scalars(stmt.order_by(MeetingDecision.deadline, MeetingDecision.id)):
        done_on = decision.completed_at.date() if decision.completed_at else None
        on_time = decision.status == "done" and done_on is not None and done_on <= decision.deadline
        detail = f"时限{decision.deadline}，" + (f"{done_on}完成" if done_on else "未完成")
        records.append(Record(decision.deadline, decision.title, detail, on_time))
    return _rate(records, 1.0, "无到期的议定事项")


def publicity_events(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    stmt = select(PublicityEvent).where(PublicityEvent.held_on >= date(year, 1, 1), PublicityEvent.held_on <= cutoff)
    if target.kind == "village":
        stmt = stmt.join(GridNode, PublicityEvent.grid_id == GridNode.id).where(
            GridNode.path.startswith(target.grid.path))
    else:
        stmt = stmt.where(PublicityEvent.member_id == (target.member.id if target.member else -1))
    records = [Record(e.held_on, e.title, f"{e.kind_label} · {e.five_into} · {e.attendance}人", True)
               for e in session.scalars(stmt.order_by(PublicityEvent.held_on))]
    return _count(records, "次")


def _fires(session: Session, target: Target, year: int, cutoff: date) -> list[FireIncident]:
    stmt = (select(FireIncident).join(GridNode, FireIncident.grid_id == GridNode.id)
            .where(GridNode.path.startswith(target.grid.path), FireIncident.occurred_on >= date(year, 1, 1),
                   FireIncident.occurred_on <= cutoff).order_by(FireIncident.occurred_on))
    return list(session.scalars(stmt))


def _fire_record(fire: FireIncident, counted: bool) -> Record:
    return Record(fire.occurred_on, fire.place, f"死亡{fire.deaths}人，受伤{fire.injuries}人，损失{fire.loss:g}万元",
                  counted)


def fire_incidents(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    return _count([_fire_record(f, True) for f in _fires(session, target, year, cutoff)], "起")


def fire_deaths(session: Session, target: Target, year: int, cutoff: date) -> Measure:
    fires = _fires(session, target, year, cutoff)
    deaths = sum(f.deaths for f in fires)
    return Measure(float(deaths), deaths, None, f"死亡{deaths}人", [_fire_record(f, f.deaths > 0) for f in fires])


COMPUTE: dict[str, Callable[[Session, Target, int, date], Measure]] = {
    "signing_rate": signing_rate, "inspection_coverage": inspection_coverage, "hazards_on_time": hazards_on_time,
    "referrals_handled": referrals_handled, "meetings_attended": meetings_attended,
    "decisions_done": decisions_done, "publicity_events": publicity_events, "fire_incidents": fire_incidents,
    "fire_deaths": fire_deaths, "patrols": patrols,
}


def measure(session: Session, metric: str, target: Target, year: int, cutoff: date) -> Measure:
    return COMPUTE[metric](session, target, year, cutoff)
