"""Case use cases: start, submit a step, send back (退回), withdraw (撤回), reassign (转办).

Every function flushes and leaves the commit to its caller, so the workflow JSON, the task
projection, the history, the documents and the audit entry land together or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from webapp.cases import alerts, duties
from webapp.cases import registry as procedures
from webapp.cases.registry import Procedure, StepContext
from webapp.cases.runtime import CaseRuntime
from webapp.cases.task_projection import sync_tasks
from webapp.engine import TaskNotReady, WorkflowEngine
from webapp.extensions import take_turns
from webapp.models import CaseEvent, GridNode, ProcessInstance, Unit, User, WorkTask
from webapp.models.workflow import SIDE_ACTIONS
from webapp.services import audit
from webapp.services.errors import InvalidInput, NotFound, OutOfScope, TaskConflict
from webapp.services.grid import ensure_in_scope

ALREADY_DONE = "该任务已由他人办理或已被退回，您的提交未生效。请返回待办列表查看最新情况。"
CASE_CHANGED = "本案件的另一步骤刚刚办理完毕，您的提交未生效。请刷新页面后重新提交。"


def procedure_or_404(key: str) -> Procedure:
    procedure = procedures.get(key)
    if procedure is None:
        raise NotFound("没有这个业务流程。")
    return procedure


def startable_procedures(user: User) -> list[Procedure]:
    """The procedures this user may open from a form (the 发起 page, the workbench's quick actions)."""
    return [p for p in procedures.all_procedures() if p.start_form and user.has_role(*p.start_roles)]


def start_case(
    session: Session, runtime: CaseRuntime, *, procedure_key: str, user: User, grid: GridNode,
    title: str, data: dict, now: datetime, unit: Unit | None = None,
) -> ProcessInstance:
    """Open a case; its first steps in the starter's roles are assigned to the starter."""
    procedure = procedure_or_404(procedure_key)
    if not user.has_role(*procedure.start_roles):
        raise OutOfScope(f"您无权发起“{procedure.title}”。")
    ensure_in_scope(user, grid)
    engine = runtime.engine(session)
    start_data = {**data, "started_at": now.isoformat(), "started_by": user.username}
    workflow = engine.start(procedure_key, start_data, now)
    instance = ProcessInstance(
        procedure=procedure_key, title=title, spec_hash=runtime.specs.spec_hash(procedure_key),
        serializer_version="", state_json="", grid=grid, unit=unit, started_by=user, started_at=now,
    )
    session.add(instance)
    session.flush()
    event = _event(session, instance, user, now, action="start", step_title=procedure.title, opinion=title)
    _save(session, runtime, engine, instance, workflow, now, starter=user, actor=user)
    if procedure.after_start is not None:
        event.document_ids = procedure.after_start(
            StepContext(session, instance, "start", start_data, user, now, runtime))
        session.flush()
    audit.record(session, at=now, user=user, action="case_start", object_type="case", object_id=instance.id,
                 summary=title)
    return instance


def task_for_user(session: Session, user: User, work_task_id: int) -> WorkTask:
    """The task, if this user may act on it: role of its lane, scope, and assignee if any."""
    task = session.get(WorkTask, work_task_id)
    if task is None:
        raise TaskConflict(ALREADY_DONE)
    if not user.has_role(task.role) or not task.scope_path.startswith(user.scope.path):
        raise OutOfScope("该任务不在您的职责或管辖范围内。")
    if task.assignee_id not in (None, user.id):
        raise OutOfScope(f"该任务已交由{task.assignee.display_name}办理。")
    duties.ensure_allowed(session, task, user)  # e.g. no 签发 of one's own draft
    return task


def task_data(session: Session, runtime: CaseRuntime, task: WorkTask) -> dict:
    """The data the task holds now: what earlier steps recorded, or the form a send-back reopened."""
    view = runtime.ready_task(session, task.instance, task_id=task.engine_task_id)
    return view.data if view else {}


def submit_task(
    session: Session, runtime: CaseRuntime, *, user: User, work_task_id: int, data: dict, now: datetime,
    opinion: str = "", decision: str = "approve", version: int | None = None,
) -> ProcessInstance:
    """Complete a step with the form's data and run the workflow to its next wait state."""
    task = task_for_user(session, user, work_task_id)
    instance = _complete(session, runtime, task, user=user, data=data, now=now, opinion=opinion, decision=decision,
                         version=version)
    audit.record(session, at=now, user=user, action="task_complete", object_type="case", object_id=instance.id,
                 summary=f"{task.title}（{instance.title}）")
    return instance


def complete_waiting_step(session: Session, runtime: CaseRuntime, *, instance: ProcessInstance, step_key: str,
                          data: dict, opinion: str, now: datetime, user: User | None = None) -> bool:
    """A step done from outside the task list: a waiting step (`Procedure.waiting_steps`) by someone without
    an account, e.g. a unit applying for 复查 through its notice's signed link, or a step another party may
    answer (`Procedure.answered_elsewhere`) by that `user`, e.g. a receiving department recording its handling
    result for the case's 登记处理反馈. False when the case no longer waits there; a completion by someone
    else meanwhile is a TaskConflict (the case's version check)."""
    procedure = procedure_or_404(instance.procedure)
    if step_key not in procedure.waiting_steps and step_key not in procedure.answered_elsewhere:
        raise InvalidInput("该步骤不能从外部办理。")
    task = session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id, WorkTask.step_key == step_key))
    if task is None:
        return False
    _complete(session, runtime, task, user=user, data=data, now=now, opinion=opinion, decision="approve")
    if user is not None:
        audit.record(session, at=now, user=user, action="task_complete", object_type="case", object_id=instance.id,
                     summary=f"{task.title}（{instance.title}）：{opinion}")
    return True


def _complete(session: Session, runtime: CaseRuntime, task: WorkTask, *, user: User | None, data: dict,
              now: datetime, opinion: str, decision: str, version: int | None = None) -> ProcessInstance:
    instance = _lock(session, task.instance, version)
    procedure = procedure_or_404(instance.procedure)
    engine = runtime.engine(session)
    workflow = engine.deserialize(instance.state_json)
    context = StepContext(session, instance, task.step_key, dict(data), user, now, runtime, opinion)
    case_id, seen = instance.id, instance.version
    try:
        document_ids = _run_step(engine, workflow, procedure, task, context, decision)
    except IntegrityError as error:
        # a hook's row collided with one that a completion of this case, committed meanwhile, wrote (two
        # clerks on one 印发登记): the version check at the end would have said so; say it now, not a 500
        session.rollback()  # the failed transaction cannot be read on (PostgreSQL); the step is refused anyway
        if session.scalar(select(ProcessInstance.version).where(ProcessInstance.id == case_id)) != seen:
            raise TaskConflict(ALREADY_DONE) from error
        raise
    _event(session, instance, user, now, action="complete", step_key=task.step_key, step_title=task.title,
           decision=decision, opinion=opinion, engine_task_id=task.engine_task_id, document_ids=document_ids,
           work_task_id=task.id)
    _save(session, runtime, engine, instance, workflow, now, actor=user)
    return instance


def send_back(
    session: Session, runtime: CaseRuntime, *, user: User, work_task_id: int, reason: str, now: datetime,
    version: int | None = None,
) -> ProcessInstance:
    """退回: the previous step becomes current again, for whoever did it; a reason is required."""
    if not reason.strip():
        raise InvalidInput("退回时必须填写退回理由。")
    task = task_for_user(session, user, work_task_id)
    instance = _lock(session, task.instance, version)
    engine = runtime.engine(session)
    workflow = engine.deserialize(instance.state_json)
    earlier = [done for done in engine.completed_user_tasks(workflow) if done.step_key != task.step_key]
    if not earlier:
        raise InvalidInput("这是流程的第一步，没有可退回的上一步。")
    engine.reset_to(workflow, earlier[-1].task_id)
    _event(session, instance, user, now, action="send_back", step_key=task.step_key, step_title=task.title,
           decision="send_back", opinion=reason.strip(), work_task_id=task.id)
    _save(session, runtime, engine, instance, workflow, now, actor=user, sent_back_reason=reason.strip())
    audit.record(session, at=now, user=user, action="task_send_back", object_type="case", object_id=instance.id,
                 summary=f"{task.title}: {reason.strip()}")
    return instance


def withdrawable_event(session: Session, user: User, instance: ProcessInstance) -> CaseEvent | None:
    """撤回 is possible while the user's own completion is the case's latest event."""
    if instance.status != "running":
        return None  # a finished case has nothing to take back (and its page need not read its events again)
    latest = session.scalar(
        select(CaseEvent).where(CaseEvent.instance_id == instance.id, CaseEvent.action.not_in(SIDE_ACTIONS))
        .order_by(CaseEvent.id.desc()).limit(1)
    )
    if latest is None or latest.document_ids:
        return None  # a step that issued documents stands: they are numbered and filed (发文: the 定稿 is frozen)
    return latest if latest.action == "complete" and latest.user_id == user.id and latest.engine_task_id else None


def withdraw(session: Session, runtime: CaseRuntime, *, user: User, instance_id: int, now: datetime,
             version: int | None = None) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("案件不存在。")
    ensure_in_scope(user, instance.grid)
    event = withdrawable_event(session, user, instance)
    if event is None:
        raise TaskConflict("下一步已有人办理（或不是您办理的最后一步，或该步骤已生成公文），不能撤回。")
    instance = _lock(session, instance, version)
    engine = runtime.engine(session)
    workflow = engine.deserialize(instance.state_json)
    engine.reset_to(workflow, event.engine_task_id)
    _event(session, instance, user, now, action="withdraw", step_key=event.step_key, step_title=event.step_title)
    _save(session, runtime, engine, instance, workflow, now, actor=user)
    audit.record(session, at=now, user=user, action="case_withdraw", object_type="case", object_id=instance.id,
                 summary=event.step_title)
    return instance


def uploaded_files(instance: ProcessInstance) -> dict[str, str]:
    """Hash → name of the uploads (photos, scans) the case's forms hold: {"file": sha256, "type": …} entries."""
    found: dict[str, str] = {}
    pending: list[object] = [json.loads(instance.state_json)]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if isinstance(value.get("file"), str) and "type" in value:
                found[value["file"]] = str(value.get("name") or "")
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


def reassign_candidates(session: Session, task: WorkTask, user: User) -> list[User]:
    """Who `user` could hand a task to (转办): anyone else holding the step's role with a scope that
    covers the case."""
    users = session.scalars(select(User).where(User.is_enabled.is_(True), User.id != user.id).order_by(User.id))
    return [u for u in users if u.has_role(task.role) and task.scope_path.startswith(u.scope.path)
            and duties.refusal(session, task, u) is None]


def reassign(session: Session, *, user: User, work_task_id: int, assignee: User, now: datetime) -> WorkTask:
    """转办: a leader hands a task to a named person who holds its role and covers its scope."""
    task = session.get(WorkTask, work_task_id)
    if task is None:
        raise TaskConflict(ALREADY_DONE)
    if not user.has_role("leader") or not task.scope_path.startswith(user.scope.path):
        raise OutOfScope("只有管辖该案件的领导可以转办任务。")
    if not assignee.has_role(task.role) or not task.scope_path.startswith(assignee.scope.path):
        raise InvalidInput(f"{assignee.display_name}没有办理该步骤的角色或管辖范围。")
    if duties.refusal(session, task, assignee):
        raise InvalidInput(f"{assignee.display_name}是本件的拟稿人，不能{task.title}本人起草的文稿。")
    previous = task.assignee.display_name if task.assignee else "（未指定）"
    task.assignee = assignee
    _event(session, task.instance, user, now, action="reassign", step_key=task.step_key, step_title=task.title,
           opinion=f"{previous} → {assignee.display_name}")
    session.flush()
    alerts.tasks_opened(session, [task], now, actor=user)
    return task


def record_timer_event(session: Session, instance: ProcessInstance, now: datetime, new_steps: list[str]) -> None:
    summary = "、".join(new_steps) if new_steps else "期限已到"
    _event(session, instance, None, now, action="timer", step_title="定时器", opinion=f"到期触发：{summary}")


def save_workflow(session: Session, runtime: CaseRuntime, engine: WorkflowEngine, instance: ProcessInstance,
                  workflow: object, now: datetime) -> None:
    """Persist after an engine step that no user made (timers)."""
    _save(session, runtime, engine, instance, workflow, now)


def _lock(session: Session, instance: ProcessInstance, version: int | None) -> ProcessInstance:
    """The version the user's page showed must still be current; the flush re-checks it in SQL."""
    if version is not None and instance.version != version:
        raise TaskConflict(ALREADY_DONE)
    return instance


def _run_step(engine: WorkflowEngine, workflow: object, procedure: Procedure, task: WorkTask,
              context: StepContext, decision: str) -> list[int]:
    """The step's hooks around the engine's completion; the documents the step produced."""
    hook = procedure.before_complete.get(task.step_key)
    if hook:
        hook(context)
    try:
        engine.complete(workflow, task.engine_task_id, {**context.data, "decision": decision}, context.now)
    except TaskNotReady as error:
        raise TaskConflict(ALREADY_DONE) from error
    context.data = _task_data_after(engine, workflow, task.engine_task_id, context.data)
    after = procedure.after_complete.get(task.step_key)
    return after(context) if after else []


def hold_case(session: Session, instance: ProcessInstance) -> None:
    """For a step hook about to number rows per case (e.g. 发文 versions): hold the case row until commit, so
    parallel steps of one case (several 会签 at once) take turns (`extensions.take_turns`) and find a case
    another step changed meanwhile a conflict at once, as the version check at the end of the step would,
    instead of a duplicate number."""
    try:
        session.flush()  # the version compared below is then the one in the database (a flush may raise it)
    except StaleDataError as error:
        raise TaskConflict(CASE_CHANGED) from error
    if not take_turns(session, ProcessInstance, instance.id, ProcessInstance.version == instance.version):
        raise TaskConflict(CASE_CHANGED)


def _task_data_after(engine: WorkflowEngine, workflow: object, engine_task_id: str, fallback: dict) -> dict:
    done = [t for t in engine.completed_user_tasks(workflow) if t.task_id == engine_task_id]
    return done[-1].data if done else fallback


def _save(session: Session, runtime: CaseRuntime, engine: WorkflowEngine, instance: ProcessInstance,
          workflow: object, now: datetime, starter: User | None = None, actor: User | None = None,
          sent_back_reason: str | None = None) -> None:
    """Store the workflow, mirror its tasks, and announce the tasks it opened (消息提醒), all in this
    transaction."""
    from webapp.engine import SERIALIZER_VERSION

    instance.state_json = engine.serialize(workflow)
    instance.serializer_version = SERIALIZER_VERSION
    instance.next_timer_at = engine.next_timer_due(workflow)
    if engine.is_completed(workflow):
        instance.status, instance.completed_at = "completed", now
    try:
        session.flush()
    except StaleDataError as error:
        raise TaskConflict(ALREADY_DONE) from error
    added = sync_tasks(session, runtime, engine, instance, workflow, now, starter=starter)
    alerts.tasks_opened(session, added, now, actor=actor, sent_back_reason=sent_back_reason)


def _event(session: Session, instance: ProcessInstance, user: User | None, now: datetime, *, action: str,
           step_key: str = "", step_title: str = "", decision: str = "", opinion: str = "",
           engine_task_id: str = "", document_ids: list[int] | None = None,
           work_task_id: int | None = None) -> CaseEvent:
    event = CaseEvent(
        instance=instance, at=now, user=user, actor_name=user.display_name if user else "系统", action=action,
        step_key=step_key, step_title=step_title, decision=decision, opinion=opinion,
        engine_task_id=engine_task_id, document_ids=document_ids or [], work_task_id=work_task_id,
    )
    session.add(event)
    return event
