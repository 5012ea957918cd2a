"""Decision follow-up (议定事项督办): who sees and reports which decision, overdue flags, completion.

Rule mapping a responsible unit to users (by scope):
- a village (村/社区) decision belongs to the users whose scope lies in that village's subtree;
- a committee member unit's decision (派出所, 安监站 …; kept at the town node) belongs to the
  town-scoped clerks, who report for the departments (the committee office does the paperwork).
Everyone sees on the dashboard the decisions whose node lies inside their own scope, so town users
oversee all of them and a village user sees only the village's; only the responsible users report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, selectinload

from webapp.cases.registry import DueItem
from webapp.models import GridNode, User
from webapp.procedures.meeting.models import Meeting, MeetingDecision
from webapp.services.errors import InvalidInput, NotFound, OutOfScope

REPORT_ROLES = ("clerk", "inspector", "leader")


def is_responsible(user: User, decision: MeetingDecision) -> bool:
    return responsible_for_node(user, decision.grid)


def responsible_for_node(user: User, node: GridNode) -> bool:
    """A village's decisions: its users; a committee unit's (kept at the town node): the town's clerks."""
    if node.level == "village":
        return node.contains(user.scope) and user.has_role(*REPORT_ROLES)
    return user.scope_id == node.id and user.has_role("clerk")


def due_items(session: Session, town: GridNode, until: date) -> list[DueItem]:
    """The town's open decisions due on or before `until`, each for the users who report it (the sweep tells
    them 即将到期, then 已逾期)."""
    open_ones = list(session.scalars(
        select(MeetingDecision).join(GridNode, MeetingDecision.grid_id == GridNode.id)
        .where(MeetingDecision.status == "open", MeetingDecision.deadline <= until, GridNode.path.startswith(town.path))
        .options(selectinload(MeetingDecision.grid), selectinload(MeetingDecision.meeting))))
    if not open_ones:
        return []
    users = list(session.scalars(select(User).join(GridNode, User.scope_id == GridNode.id)
                                 .where(User.is_enabled.is_(True), GridNode.path.startswith(town.path))))
    return [DueItem(key=f"decision:{d.id}", title=f"议定事项：{d.title}（{d.owner_name}）", due=d.deadline,
                    recipient_ids=tuple(u.id for u in users if responsible_for_node(u, d.grid)),
                    # the meeting case is the town's: only a committee unit's clerks may open it
                    instance_id=d.meeting.instance_id if d.grid.level == "town" else None) for d in open_ones]


def visible_decisions(session: Session, user: User) -> list[MeetingDecision]:
    # with the grid (who reports on each) and the meeting and its series (the list shows them), not one query each
    stmt = (select(MeetingDecision).join(GridNode, MeetingDecision.grid_id == GridNode.id)
            .where(GridNode.path.startswith(user.scope.path))
            .order_by(MeetingDecision.deadline, MeetingDecision.id)
            .options(contains_eager(MeetingDecision.grid),
                     selectinload(MeetingDecision.meeting).joinedload(Meeting.series)))
    return list(session.scalars(stmt))


def decision_for(session: Session, user: User, decision_id: int, *, report: bool = False) -> MeetingDecision:
    """The decision if the user may see it (or, with report=True, report on it); else OutOfScope."""
    decision = session.get(MeetingDecision, decision_id)
    if decision is None:
        raise NotFound("议定事项不存在。")
    if not user.scope.contains(decision.grid) and not is_responsible(user, decision):
        raise OutOfScope("该议定事项不在您的管辖范围内。")
    if report and not is_responsible(user, decision):
        raise OutOfScope(f"该议定事项由“{decision.owner_name}”办理，您无权报告完成情况。")
    return decision


def report_completion(session: Session, *, user: User, decision_id: int, text: str, attachment: dict | None,
                      now: datetime) -> MeetingDecision:
    """报告完成情况: the responsible unit's user closes the item with a text and an optional file."""
    decision = decision_for(session, user, decision_id, report=True)
    if decision.status == "done":
        raise InvalidInput("该议定事项已报告完成。")
    if not text.strip():
        raise InvalidInput("请填写完成情况。")
    decision.status, decision.completion_text = "done", text.strip()
    decision.completion_file, decision.completed_at, decision.completed_by = attachment, now, user
    session.flush()
    return decision


@dataclass
class DecisionSummary:
    total: int
    done: int
    open: int
    overdue: int


def summarize(decisions: list[MeetingDecision], today: date) -> DecisionSummary:
    done = sum(1 for d in decisions if d.status == "done")
    overdue = sum(1 for d in decisions if d.is_overdue(today))
    return DecisionSummary(len(decisions), done, len(decisions) - done, overdue)


def open_before(session: Session, meeting: Meeting) -> list[MeetingDecision]:
    """Open decisions of the series' earlier meetings: what the next meeting must hear about."""
    stmt = (select(MeetingDecision).join(Meeting)
            .where(Meeting.series_id == meeting.series_id, Meeting.id != meeting.id,
                   Meeting.held_on <= meeting.held_on, MeetingDecision.status == "open")
            .order_by(MeetingDecision.deadline, MeetingDecision.id))
    return list(session.scalars(stmt))


def open_of_series(session: Session, series_id: int) -> list[MeetingDecision]:
    stmt = (select(MeetingDecision).join(Meeting)
            .where(Meeting.series_id == series_id, MeetingDecision.status == "open")
            .order_by(MeetingDecision.deadline, MeetingDecision.id))
    return list(session.scalars(stmt))
