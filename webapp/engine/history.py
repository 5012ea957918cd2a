"""What a workflow has done and where it stands, read from its task tree."""

import copy
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


@dataclass(frozen=True)
class CompletedTask:
    """A finished user task: who (lane) did which step with what data."""

    task_id: str
    step_key: str
    title: str
    lane: str | None
    data: dict


def inherited_lane(task: Task) -> str | None:
    """The task's lane, or for tasks inside a subprocess or call activity, the caller's lane."""
    lane = task.task_spec.lane
    while lane is None and task.workflow.parent_task_id is not None:
        task = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
        lane = task.task_spec.lane
    return lane


_REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING


def completed_user_tasks(workflow: BpmnWorkflow) -> list[CompletedTask]:
    """Completed user tasks in completion order (send-back discards what came after)."""
    tasks = [task for task in _completed_tasks(workflow) if isinstance(task.task_spec, UserTask)]
    return [_completed_view(task) for task in sorted(tasks, key=lambda task: task.last_state_change)]


def _completed_view(task: Task) -> CompletedTask:
    spec = task.task_spec
    return CompletedTask(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, inherited_lane(task),
                         copy.deepcopy(task.data))


def _completed_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """Filtering by state would not descend into a running 会签 (its wrapper is only STARTED)."""
    return [task for task in workflow.get_tasks() if task.state == TaskState.COMPLETED]


def current_element_ids(workflow: BpmnWorkflow) -> set[str]:
    """BPMN ids of what is waiting now: READY user tasks, running steps, waiting timers."""
    active = TaskState.READY | TaskState.WAITING | TaskState.STARTED
    return {element for element in map(_element_id, workflow.get_tasks(state=active)) if element}


def path_taken(workflow: BpmnWorkflow, flows: dict[tuple[str, str], str]) -> set[str]:
    """BPMN ids of completed elements and of the sequence flows taken, including into current ones."""
    taken = set()
    for task in workflow.get_tasks():
        element_id = _element_id(task)
        if element_id is None or not task.has_state(_REACHED):
            continue
        if task.state == TaskState.COMPLETED:
            taken.add(element_id)
        source = _nearest_element(task.parent)
        if (source, element_id) in flows:
            taken.add(flows[(source, element_id)])
    return taken


def _element_id(task: Task) -> str | None:
    """The BPMN id a task stands for; a multi-instance wrapper stands for its looped task."""
    spec = task.task_spec
    if isinstance(spec, LoopTask):
        spec = task.workflow.spec.task_specs[spec.task_spec]
    return spec.bpmn_id


def _nearest_element(task: Task | None) -> str | None:
    """Skip Spiff's internal tasks (boundary splits, joins) up to a BPMN element."""
    while task is not None and _element_id(task) is None:
        task = task.parent
    return _element_id(task) if task is not None else None
