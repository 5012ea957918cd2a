"""督办事项 (supervision items): an overdue step the leaders over its grid follow up.

The reminder sweep (alerts.sweep_due) opens one item per task overdue its town's number of working days and
closes the items whose step is done. A leader whose scope holds the item's grid issues it: a 督办意见 and a
督办期限 (its own deadline), recorded on the case, a 督办单 (supervision sheet) rendered from the record, and a
督办 notice to whoever holds the step. Two leaders issuing one item at once: one wins, the other is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from webapp.cases import alerts, registry
from webapp.clock import TZ
from webapp.models import CaseEvent, GridNode, Supervision, SupervisionRule, User, WorkTask
from webapp.models.alerts import DEFAULT_SUPERVISOR_ROLE, SUPERVISOR_ROLES
from webapp.services import audit, documents, grid
from webapp.services.documents import DocumentServices
from webapp.services.errors import InvalidInput, NotFound, OutOfScope

SHEET = "supervision_sheet"
MAX_OPINION = 500
SUPERVISED = "supervise"  # the case-event action (one of models.workflow.SIDE_ACTIONS)


def open_items(session: Session, user: User) -> list[Supervision]:
    """The items not yet closed for the user's roles whose step lies in the user's scope, the longest overdue
    first (工作台 → 督办事项)."""
    roles = [role for role in SUPERVISOR_ROLES if user.has_role(role)]
    if not roles:
        return []
    return list(session.scalars(select(Supervision).where(
        Supervision.scope_path.startswith(user.scope.path), Supervision.supervisor_role.in_(roles),
        Supervision.closed_at.is_(None)).order_by(Supervision.task_due_at, Supervision.id)))


def item_for(session: Session, user: User, item_id: int) -> Supervision:
    """One item for a user in its supervising role over its grid; anyone else is refused (403, logged by the
    caller)."""
    item = session.get(Supervision, item_id)
    if item is None:
        raise NotFound("没有这个督办事项。")
    if not user.has_role(item.supervisor_role) or not item.scope_path.startswith(user.scope.path):
        raise OutOfScope("该督办事项不在您的管辖范围内。")
    return item


def item_of_task(session: Session, work_task_id: int | None) -> Supervision | None:
    return session.scalar(select(Supervision).where(Supervision.work_task_id == work_task_id)) if work_task_id else None


def overdue_workdays(calendar, due: datetime, today: date) -> int:  # noqa: ANN001
    """Whole working days between the due date and today (neither counted), holidays and 调休 included."""
    first = due.astimezone(TZ).date() + timedelta(days=1)
    return sum(1 for offset in range(max(0, (today - first).days)) if calendar.is_workday(first + timedelta(offset)))


def holder_names(session: Session, task: WorkTask) -> str:
    """Who holds the step now: its assignee, or every user who may claim it (as the notices go)."""
    pairs = alerts.holders(WorkTask.id == task.id).subquery()
    names = session.scalars(select(User.display_name).join(pairs, pairs.c.user_id == User.id).order_by(User.id))
    return "、".join(dict.fromkeys(names))[:300]


def _problems(opinion: str, deadline: date | None, today: date) -> dict[str, str]:
    problems = {}
    if not opinion:
        problems["opinion"] = "请填写督办意见。"
    elif len(opinion) > MAX_OPINION:
        problems["opinion"] = f"督办意见不超过{MAX_OPINION}字。"
    if deadline is None:
        problems["deadline"] = "请选择督办期限。"
    elif deadline < today:
        problems["deadline"] = "督办期限不能早于今天。"
    return problems


def issue(session: Session, docs: DocumentServices, calendar, *, user: User, item_id: int, opinion: str,  # noqa: ANN001
          deadline: date | None, now: datetime) -> Supervision:
    """督办: claim the item, render the 督办单, note it on the case and tell the step's holders. Flushes;
    the caller commits (or rolls everything back on InvalidInput)."""
    item = item_for(session, user, item_id)
    opinion, today = opinion.strip(), now.astimezone(TZ).date()
    problems = _problems(opinion, deadline, today)
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    task = session.get(WorkTask, item.work_task_id)
    if item.closed_at is not None or task is None:
        raise InvalidInput("该环节已办理完毕，无需督办。")
    claimed = session.execute(update(Supervision).where(Supervision.id == item.id, Supervision.issued_at.is_(None))
                              .values(issued_at=now, issued_by_id=user.id, issued_by_name=user.display_name,
                                      opinion=opinion, deadline=deadline, holder_names=holder_names(session, task))
                              .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise InvalidInput("该事项已由其他领导督办，请刷新页面查看。")
    session.refresh(item)
    sheet = documents.create_record(
        session, docs, template_key=SHEET, context=sheet_context(session, calendar, item, task, today),
        title=f"督办单：{item.instance.title}", subject=documents.Subject(item.instance.grid, item.instance.unit,
                                                                        item.instance, task.step_key),
        user=user, now=now)
    item.document_id = sheet.id
    session.add(CaseEvent(instance_id=item.instance_id, at=now, user=user, actor_name=user.display_name,
                          action=SUPERVISED, step_key=task.step_key, step_title=task.title,
                          opinion=f"{opinion}（督办期限{deadline:%Y年%m月%d日}）", work_task_id=task.id,
                          document_ids=[sheet.id]))
    notice = alerts.Notice("supervision", "supervise_sheet:",
                           f"{user.display_name}督办：{opinion}（请于{deadline:%Y年%m月%d日}前办结）")
    alerts.announce(session, notice, WorkTask.id == task.id, now)
    audit.record(session, at=now, user=user, action="supervision_issue", object_type="case",
                 object_id=item.instance_id, summary=f"{task.title}（{item.instance.title}）督办期限{deadline}")
    session.flush()
    return item


def sheet_context(session: Session, calendar, item: Supervision, task: WorkTask, today: date) -> dict:  # noqa: ANN001
    instance = item.instance
    town = grid.town_of(instance.grid)
    return {
        "town": town.name if town else instance.grid.name, "case_title": instance.title, "step": task.title,
        "unit": instance.unit.name if instance.unit else "", "holders": item.holder_names or "（无人认领）",
        "due_on": item.task_due_at.astimezone(TZ).date(),
        "overdue_days": overdue_workdays(calendar, item.task_due_at, today), "opinion": item.opinion,
        "deadline": item.deadline, "leader": item.issued_by_name, "issued_on": today,
    }



# --- 督办对象: a town's per-step choice of who supervises and after how long ---

@dataclass(frozen=True)
class StepRule:
    """One step's row on the settings page: its procedure and title, and the town's choice (the defaults when
    it made none: the leaders, after the town's number of working days)."""

    procedure_key: str
    procedure_title: str
    step_key: str
    step_title: str
    role: str = DEFAULT_SUPERVISOR_ROLE
    after_workdays: int | None = None

    @property
    def field(self) -> str:
        return f"{self.procedure_key}.{self.step_key}"


def step_rules(session: Session, specs, town: GridNode) -> list[StepRule]:  # noqa: ANN001
    """Every step that can fall overdue (no waiting step), procedure by procedure, with the town's choice."""
    saved = {(r.procedure_key, r.step_key): r
             for r in session.scalars(select(SupervisionRule).where(SupervisionRule.town_id == town.id))}
    rows = []
    for procedure in registry.all_procedures():
        for step in specs.steps(procedure.key).values():
            if step.step_key in procedure.waiting_steps:
                continue
            rule = saved.get((procedure.key, step.step_key))
            rows.append(StepRule(procedure.key, procedure.title, step.step_key, step.title,
                                 rule.role if rule else DEFAULT_SUPERVISOR_ROLE,
                                 rule.after_workdays if rule else None))
    return rows


def save_step_rules(session: Session, specs, town: GridNode, choices: dict[str, tuple[str, str]]) -> int:  # noqa: ANN001
    """Save the town's choices ({"procedure.step": (role or "", working days or "")}); a step left at the
    defaults keeps no row. Every problem is reported at once, by field; returns how many steps differ."""
    problems, wanted = {}, []
    for row in step_rules(session, specs, town):
        role, days_text = choices.get(row.field, (row.role, ""))
        days_text = days_text.strip()
        if role not in SUPERVISOR_ROLES and role != "":
            problems[f"role-{row.field}"] = "请选择督办对象。"
        if days_text and not (days_text.isdigit() and 1 <= int(days_text) <= 30):
            problems[f"days-{row.field}"] = "逾期工作日数应在1至30之间，留空按本镇设置。"
        elif role != DEFAULT_SUPERVISOR_ROLE or days_text:
            wanted.append(SupervisionRule(town_id=town.id, procedure_key=row.procedure_key, step_key=row.step_key,
                                          role=role, after_workdays=int(days_text) if days_text else None))
    if problems:
        raise InvalidInput("；".join(dict.fromkeys(problems.values())), fields=problems)
    session.execute(delete(SupervisionRule).where(SupervisionRule.town_id == town.id))
    session.add_all(wanted)
    session.flush()
    return len(wanted)
