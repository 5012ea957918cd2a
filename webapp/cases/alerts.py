"""消息提醒: who hears of an open task, and the notices for new, sent-back, due-soon and overdue tasks.

New and sent-back tasks are announced in the transaction that opens them (actions._save), so a notice
exists exactly when its task does. 即将到期 and 已逾期 come from `sweep`, which `firegrid tick` and the
serve loop run. Every notice is made by one INSERT … SELECT over the task projection (set-based, however
many tasks), guarded by a per-recipient dedupe key with ON CONFLICT DO NOTHING: a second sweep, or a
second process sweeping at the same moment, adds nothing.

Channels: the row is the in-app delivery. `deliver` hands the new rows' ids to every callable in
CHANNELS; an e-mail, SMS or webhook channel plugs in there and must only queue a background job
(services.jobs), never send inline, so a slow or failing channel cannot block the action or lose the
in-app notice. 督办 (supervision) is a notice of its own kind to the leaders over an overdue task's grid,
made by the same sweep once the task is a town's number of working days overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.cases import deliveries, duties, registry
from webapp.clock import TZ
from webapp.models import (
    Alert,
    GridNode,
    ProcessInstance,
    ReminderSettings,
    Supervision,
    SupervisionRule,
    User,
    UserRole,
    WorkTask,
)
from webapp.models.alerts import (
    ALERT_KINDS,
    DEFAULT_DUE_SOON_WORKDAYS,
    DEFAULT_SUPERVISE_AFTER_WORKDAYS,
    DEFAULT_SUPERVISOR_ROLE,
)
from webapp.services.errors import NotFound, OutOfScope

Channel = Callable[[Session, Sequence[int]], None]
SUPERVISE_KEY = "supervise:"  # the dedupe prefix of the leaders' 督办 notice (the holders' is "supervise_sheet:")


def _in_app(session: Session, alert_ids: Sequence[int]) -> None:
    """The alert row is the in-app message: the badge and the list read it. Nothing to send."""


# Every channel a new alert goes through. Each outside channel only queues deliveries for the ids (e-mail,
# the SMS gateway and 企业微信/钉钉 group robots: cases.deliveries); see the module docstring.
CHANNELS: list[Channel] = [_in_app, deliveries.queue_email, deliveries.queue_sms, deliveries.queue_robots,
                           deliveries.defer_quiet_hours]  # last: it reschedules what the others queued


def deliver(session: Session, alert_ids: Sequence[int]) -> None:
    if alert_ids:
        for channel in CHANNELS:
            channel(session, alert_ids)


def holders(task_condition: ColumnElement[bool]) -> CompoundSelect:
    """(task id, user id) of who holds each matching task: its assignee, or else every enabled user who
    may claim it — the step's role and a scope above the task's, exactly as the inbox decides."""
    assigned = (select(WorkTask.id.label("task_id"), User.id.label("user_id"))
                .join(User, User.id == WorkTask.assignee_id)
                .where(task_condition, User.is_enabled.is_(True)))
    claimants = (select(WorkTask.id.label("task_id"), User.id.label("user_id"))
                 .join(UserRole, UserRole.role == WorkTask.role)
                 .join(User, User.id == UserRole.user_id)
                 .join(GridNode, GridNode.id == User.scope_id)
                 .where(task_condition, WorkTask.assignee_id.is_(None), User.is_enabled.is_(True),
                        WorkTask.scope_path.startswith(GridNode.path)))
    return union_all(assigned, claimants)


def leaders_over(task_condition: ColumnElement[bool], role: str = DEFAULT_SUPERVISOR_ROLE) -> Select:
    """(task id, user id) of the enabled users in `role` (分管领导 by default) whose scope holds each matching
    task's grid, except one who holds the task himself (he has had its 已逾期 notice)."""
    # Everyone in the role over the task may claim it when it is unassigned and its step is that role's
    # (each branch decides on a NULL assignee, so NOT holds is never NULL)
    holds = or_(and_(WorkTask.assignee_id.is_not(None), WorkTask.assignee_id == User.id),
                and_(WorkTask.assignee_id.is_(None), WorkTask.role == role))
    return (select(WorkTask.id.label("task_id"), User.id.label("user_id"))
            .select_from(UserRole)
            .join(User, User.id == UserRole.user_id)
            .join(GridNode, GridNode.id == User.scope_id)
            .join(WorkTask, WorkTask.scope_path.startswith(GridNode.path))
            .where(UserRole.role == role, task_condition, User.is_enabled.is_(True), ~holds))


@dataclass(frozen=True)
class Notice:
    """What one kind of notice says; `key` prefixes the task id into the dedupe key."""

    kind: str
    key: str
    body: str = ""


def announce(session: Session, notice: Notice, task_condition: ColumnElement[bool], now: datetime, *,
             exclude_user_id: int | None = None, exclude_pairs: Sequence[tuple[int, int]] = (),
             recipients: Callable[[ColumnElement[bool]], Select | CompoundSelect] = holders) -> list[int]:
    """One notice per recipient (by default the holders) of each matching task, in one INSERT … SELECT;
    returns the new rows' ids (none for a recipient who already has this key)."""
    pairs = recipients(task_condition).subquery()
    key = literal(notice.key) + cast(pairs.c.task_id, String)
    title = func.substr(WorkTask.title + literal("：") + ProcessInstance.title, 1, 300)
    already = exists().where(Alert.recipient_id == pairs.c.user_id, Alert.dedupe_key == key)
    rows = (select(pairs.c.user_id, literal(notice.kind), title, literal(notice.body), WorkTask.instance_id,
                   WorkTask.id, literal(now, Alert.created_at.type), key)
            .select_from(pairs)
            .join(WorkTask, WorkTask.id == pairs.c.task_id)
            .join(ProcessInstance, ProcessInstance.id == WorkTask.instance_id)
            .where(~already, true()))
    if exclude_user_id is not None:
        rows = rows.where(pairs.c.user_id != exclude_user_id)
    for task_id, user_id in exclude_pairs:  # (task, user) that may not do it, e.g. a drafter's own 签发
        rows = rows.where(~and_(pairs.c.task_id == task_id, pairs.c.user_id == user_id))
    columns = ["recipient_id", "kind", "title", "body", "instance_id", "work_task_id", "created_at", "dedupe_key"]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(Alert.__table__).from_select(columns, rows)
            .on_conflict_do_nothing().returning(Alert.__table__.c.id))
    ids = list(session.scalars(stmt))
    deliver(session, ids)
    return ids


def tasks_opened(session: Session, tasks: Sequence[WorkTask], now: datetime, *, actor: User | None = None,
                 sent_back_reason: str | None = None) -> list[int]:
    """新待办 (or 退回, with its reason) for the holders of tasks a step just opened; the acting user is
    not told of a task they opened for themselves (their own 撤回, the first step of their own case)."""
    ids = [task.id for task in tasks if not task.waiting]
    if not ids:
        return []
    if sent_back_reason is not None:
        who = actor.display_name if actor else "系统"
        notice = Notice("send_back", "open:", f"{who}退回：{sent_back_reason}")
    else:
        notice = Notice("new_task", "open:")
    return announce(session, notice, WorkTask.id.in_(ids), now, exclude_user_id=actor.id if actor else None,
                    exclude_pairs=duties.excluded_pairs(session, [t for t in tasks if not t.waiting]))


def _open_tasks() -> ColumnElement[bool]:
    return and_(WorkTask.waiting.is_(False), WorkTask.due_at.is_not(None))


def sweep_due(session: Session, calendar, now: datetime) -> int:
    """即将到期 (each town's number of working days before the due date, holidays and 调休 counted),
    已逾期 and 督办 notices for every open task; returns how many were made. Flushes; the caller commits."""
    _close_supervision_items(session, now)
    made = len(announce(session, Notice("overdue", "overdue:"), and_(_open_tasks(), WorkTask.due_at < now), now))
    custom = {row.town_id: row for row in session.scalars(select(ReminderSettings))}
    today = now.astimezone(TZ).date()
    for town in session.scalars(select(GridNode).where(GridNode.level == "town")):
        own = custom.get(town.id)
        in_town = and_(_open_tasks(), WorkTask.town_id == town.id)  # the (town, deadline) index
        ahead = own.due_soon_workdays if own else DEFAULT_DUE_SOON_WORKDAYS
        until = datetime.combine(calendar.add_workdays(today, ahead), time(23, 59, 59), tzinfo=TZ)
        soon = and_(in_town, WorkTask.due_at >= now, WorkTask.due_at <= until)
        made += len(announce(session, Notice("due_soon", "due_soon:"), soon, now))
        made += _announce_due_items(session, town, today, until.date(), now)
        made += _supervise(session, calendar, town, in_town, own.supervise_after_workdays if own else
                           DEFAULT_SUPERVISE_AFTER_WORKDAYS, now)
    return made


def _announce_due_items(session: Session, town: GridNode, today: date, until: date, now: datetime) -> int:
    """即将到期 and 已逾期 for the procedures' due items (registry.DueItem) in the town, one notice per person
    and item and kind (dedupe keys "due_soon:decision:12" cannot meet a step's "due_soon:12")."""
    rows = []
    for procedure in registry.all_procedures():
        for item in procedure.due_items(session, town, until) if procedure.due_items else []:
            kind = "overdue" if item.due < today else "due_soon"
            rows += [{"recipient_id": user_id, "kind": kind, "title": item.title[:300],
                      "body": item.body or f"期限{item.due.year}年{item.due.month}月{item.due.day}日",
                      "instance_id": item.instance_id, "work_task_id": None, "created_at": now,
                      "dedupe_key": f"{kind}:{item.key}"[:120]} for user_id in item.recipient_ids]
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    ids = list(session.scalars(dialect.insert(Alert.__table__).values(rows).on_conflict_do_nothing()
                               .returning(Alert.__table__.c.id)))
    deliver(session, ids)
    return len(ids)


def _supervise(session: Session, calendar, town: GridNode, in_town: ColumnElement[bool], workdays: int,  # noqa: ANN001
               now: datetime) -> int:
    """督办 to the supervisors over each task overdue its number of whole working days (due before the start
    of the day that many working days back: due Monday, with 2, escalates on Thursday), once per task and
    person: the leaders after the town's `workdays`, unless the town set another role, another number or
    none for the task's step (SupervisionRule)."""
    groups: dict[tuple[str, int], list[ColumnElement[bool]]] = {}
    ruled = []
    for rule in session.scalars(select(SupervisionRule).where(SupervisionRule.town_id == town.id)):
        step = and_(WorkTask.step_key == rule.step_key, WorkTask.instance_id.in_(
            select(ProcessInstance.id).where(ProcessInstance.procedure == rule.procedure_key)))
        ruled.append(step)
        days = workdays if rule.after_workdays is None else rule.after_workdays
        if rule.role and days > 0:
            groups.setdefault((rule.role, days), []).append(step)
    if workdays > 0:
        groups.setdefault((DEFAULT_SUPERVISOR_ROLE, workdays), []).append(~or_(*ruled) if ruled else true())
    made = 0
    for (role, days), steps in groups.items():
        day = calendar.workdays_back(now.astimezone(TZ).date(), days)
        late = and_(in_town, or_(*steps), WorkTask.due_at < datetime.combine(day, time(), tzinfo=TZ))
        notice = Notice("supervision", SUPERVISE_KEY, f"已逾期{days}个工作日，请督促办理。")
        _open_supervision_items(session, late, role, now)
        made += len(announce(session, notice, late, now, recipients=lambda tasks, role=role: leaders_over(tasks, role)))
    return made


def _open_supervision_items(session: Session, late: ColumnElement[bool], role: str, now: datetime) -> None:
    """One 督办事项 per late task (cases.supervision issues them), in one INSERT … SELECT that a second
    sweep, or a second process at the same moment, adds nothing to."""
    rows = select(WorkTask.id, WorkTask.instance_id, WorkTask.scope_path, literal(role), WorkTask.title,
                  WorkTask.due_at, literal(now, Supervision.opened_at.type), literal(""), literal(""),
                  literal("")).where(late)
    columns = ["work_task_id", "instance_id", "scope_path", "supervisor_role", "step_title", "task_due_at",
               "opened_at", "opinion", "holder_names", "issued_by_name"]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(Supervision.__table__).from_select(columns, rows)
    # an item not yet issued follows the step's rule as it is now (the town changed 督办对象 meanwhile)
    session.execute(insert.on_conflict_do_update(
        index_elements=["work_task_id"], set_={"supervisor_role": insert.excluded.supervisor_role},
        where=Supervision.__table__.c.issued_at.is_(None)))


def _close_supervision_items(session: Session, now: datetime) -> None:
    """An item is closed by the sweep after its step is done (the task's projection row is gone)."""
    done = ~exists().where(WorkTask.id == Supervision.work_task_id)
    session.execute(Supervision.__table__.update().where(Supervision.closed_at.is_(None), done)
                    .values(closed_at=now))


def sweep(session: Session, runtime, now: datetime) -> int:
    """The background job: one transaction for the whole sweep (the inserts are few statements)."""
    try:
        made = sweep_due(session, runtime.calendar(session), now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return made


# --- reading: the header badge, the list, marking read, the daily digest ---

LIST_PAGE = 50


def unread_count_query(user_id: Any) -> Select[tuple[int]]:
    """The header badge: one COUNT on the (recipient_id, read_at) index. A user id or a bound parameter (the menu
    badge's statement is built once, see `webapp/web/badges.py`)."""
    return select(func.count(Alert.id)).where(Alert.recipient_id == user_id, Alert.read_at.is_(None))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(unread_count_query(user.id)) or 0



def alerts_page(session: Session, user: User, *, unread_only: bool = False, page: int = 1
                       ) -> tuple[list[Alert], int]:
    """The user's own notices, newest first, and how many match."""
    stmt = select(Alert).where(Alert.recipient_id == user.id)
    if unread_only:
        stmt = stmt.where(Alert.read_at.is_(None))
    total = session.scalar(stmt.with_only_columns(func.count(Alert.id))) or 0
    rows = session.scalars(stmt.order_by(Alert.created_at.desc(), Alert.id.desc())
                           .limit(LIST_PAGE).offset((page - 1) * LIST_PAGE))
    return list(rows), total


def own_alert(session: Session, user: User, alert_id: int) -> Alert:
    """A notice is only ever its recipient's: anyone else's is refused (403, audit-logged), not hidden."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("没有这条消息。")
    if alert.recipient_id != user.id:
        raise OutOfScope("这条消息不是发给您的。")
    return alert


def mark_read(session: Session, user: User, alert_id: int, now: datetime) -> Alert:
    alert = own_alert(session, user, alert_id)
    if alert.read_at is None:
        alert.read_at = now
        session.flush()
    return alert


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    """One UPDATE of the user's unread notices; returns how many."""
    result = session.execute(Alert.__table__.update()
                             .where(Alert.recipient_id == user.id, Alert.read_at.is_(None))
                             .values(read_at=now))
    return result.rowcount or 0


def daily_digest(session: Session, user: User, day) -> dict[str, list[Alert]]:  # noqa: ANN001
    """The user's notices of one day (Beijing time), grouped by kind in a fixed order (新待办 first)."""
    start = datetime.combine(day, time(), tzinfo=TZ)
    end = datetime.combine(day, time(23, 59, 59, 999999), tzinfo=TZ)
    rows = session.scalars(select(Alert).where(Alert.recipient_id == user.id,
                                                      Alert.created_at.between(start, end))
                           .order_by(Alert.created_at, Alert.id))
    groups: dict[str, list[Alert]] = {kind: [] for kind in ALERT_KINDS}
    for row in rows:
        groups.setdefault(row.kind, []).append(row)
    return {kind: items for kind, items in groups.items() if items}


def notify(session: Session, user_ids: Sequence[int], notice: Notice, title: str, now: datetime, *,
           instance_id: int | None = None, receipt_id: int | None = None) -> list[int]:
    """A notice about no task (a delivered document, its 催办) to named users, once per recipient and
    `notice.key` (the dedupe key); through every channel like the task notices. Returns the new rows' ids."""
    if not user_ids:
        return []
    rows = [{"recipient_id": user_id, "kind": notice.kind, "title": title[:300], "body": notice.body,
             "instance_id": instance_id, "receipt_id": receipt_id, "created_at": now, "dedupe_key": notice.key}
            for user_id in dict.fromkeys(user_ids)]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(Alert.__table__).values(rows).on_conflict_do_nothing()
            .returning(Alert.__table__.c.id))
    ids = list(session.scalars(stmt))
    deliver(session, ids)
    return ids
