"""Running workflows: start, list READY user tasks, complete, advance timers, send back.

Every call takes the caller's `now` and binds it to the workflow through a fresh script
engine, so timers and `now_iso()` never read the wall clock.
"""

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from webapp.engine.errors import TaskNotReady, TaskNotResettable
from webapp.engine.history import CompletedTask, completed_user_tasks, current_element_ids, inherited_lane, path_taken
from webapp.engine.scripting import RestrictedScriptEngine
from webapp.engine.serialization import from_json, to_json
from webapp.engine.specs import SpecRegistry, StepInfo, step_info
from webapp.engine.timers import clock_functions, due_moments
from webapp.workdays import WorkdayCalendar


@dataclass(frozen=True)
class TaskView(StepInfo):
    """A READY user task as plain values, for inboxes and forms: its step, and what this task holds."""

    task_id: str
    data: dict
    multi_instance_index: int | str | None


class WorkflowEngine:
    """The only entry point to SpiffWorkflow for the rest of the app."""

    def __init__(self, registry: SpecRegistry, functions: Mapping[str, Callable],
                 calendar: WorkdayCalendar) -> None:
        self.registry = registry
        self._functions = dict(functions)
        self._calendar = calendar

    def start(self, process_id: str, data: dict, now: datetime) -> BpmnWorkflow:
        """A new workflow run up to its first wait state (a user task or a timer)."""
        spec, subprocess_specs = self.registry.workflow_specs(process_id)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self._script_engine(now))
        workflow.task_tree.data.update(_json_copy(data))
        workflow.do_engine_steps()
        return workflow

    def ready_user_tasks(self, workflow: BpmnWorkflow) -> list[TaskView]:
        return [self._view(task) for task in workflow.get_tasks(state=TaskState.READY, manual=True)
                if isinstance(task.task_spec, UserTask)]

    def complete(self, workflow: BpmnWorkflow, task_id: str, data: dict, now: datetime) -> None:
        """Merge the submitted form data into the task, finish it and run on to the next wait."""
        task = _find_task(workflow, task_id)
        if task is None or not isinstance(task.task_spec, UserTask) or task.state != TaskState.READY:
            raise TaskNotReady(f"task {task_id} is not a READY user task")
        workflow.script_engine = self._script_engine(now)
        task.data.update(_json_copy(data))
        task.run()
        workflow.do_engine_steps()

    def advance(self, workflow: BpmnWorkflow, now: datetime) -> None:
        """Fire the timers due at `now` and run every engine task that became ready."""
        workflow.script_engine = self._script_engine(now)
        workflow.refresh_timers()
        workflow.do_engine_steps()

    def next_timer_due(self, workflow: BpmnWorkflow) -> datetime | None:
        """When the poller should next call `advance` for this workflow."""
        moments = due_moments([event.value for event in workflow.waiting_events()])
        return min(moments, default=None)

    def reset_to(self, workflow: BpmnWorkflow, task_id: str) -> None:
        """Send back (退回) or withdraw (撤回): make an earlier completed user task READY again.

        Everything after it is discarded, including open instances of a 会签 step and
        waiting timers; the task keeps the data it was completed with, to prefill the form.
        """
        task = _find_task(workflow, task_id)
        if task is None or not isinstance(task.task_spec, UserTask) or task.state != TaskState.COMPLETED:
            raise TaskNotResettable(f"task {task_id} is not a completed user task")
        completed_data = copy.deepcopy(task.data)
        workflow.reset_from_task_id(task.id, data=copy.deepcopy(completed_data))
        # Becoming READY re-inherits the parent's data over ours; the form must come back as submitted.
        _find_task(workflow, task_id).data.update(completed_data)

    def completed_user_tasks(self, workflow: BpmnWorkflow) -> list[CompletedTask]:
        return completed_user_tasks(workflow)

    def path_taken(self, workflow: BpmnWorkflow) -> set[str]:
        """Ids of the elements and sequence flows this run went through, to colour the diagram."""
        return path_taken(workflow, self.registry.sequence_flows(workflow.spec.name))

    def current_element_ids(self, workflow: BpmnWorkflow) -> set[str]:
        return current_element_ids(workflow)

    def is_completed(self, workflow: BpmnWorkflow) -> bool:
        return workflow.completed

    def step_keys(self, state_json: str) -> set[str]:
        """The ids of the tasks in the diagram a stored workflow runs on: a case keeps the diagram it
        was started with, so a procedure can tell a case of an older diagram from a new one."""
        return set(self.deserialize(state_json).spec.task_specs)

    def serialize(self, workflow: BpmnWorkflow) -> str:
        return to_json(workflow)

    def deserialize(self, text: str) -> BpmnWorkflow:
        """Restore a workflow; its clock stays unset until the next call that passes `now`."""
        workflow = from_json(text)
        workflow.script_engine = self._script_engine(None)
        return workflow

    def _script_engine(self, now: datetime | None) -> RestrictedScriptEngine:
        functions = {**self._functions, **clock_functions(now, self._calendar)}
        return RestrictedScriptEngine(functions, now)

    def _view(self, task: Task) -> TaskView:
        step = step_info(task.task_spec, inherited_lane(task))
        return TaskView(**vars(step), task_id=str(task.id), data=copy.deepcopy(task.data),
                        multi_instance_index=_multi_instance_index(task))


def _find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    try:
        return workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, TaskNotFoundException):
        return None


def _multi_instance_index(task: Task) -> int | str | None:
    if task.parent is None or not isinstance(task.parent.task_spec, MultiInstanceTask):
        return None
    return task.internal_data.get("key_or_index", task.internal_data.get("item"))


def _json_copy(data: dict) -> dict:
    """Task data must stay JSON so the workflow serializes; fail here, not at save time."""
    return json.loads(json.dumps(data, ensure_ascii=False))
