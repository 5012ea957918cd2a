"""The procedures' BPMN files, parsed once: process id == procedure key, user-task id == step key."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import DEFAULT_NSMAP
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from webapp.engine.checks import KnownKeys, check_document
from webapp.engine.errors import Problem, WorkflowSpecError
from webapp.engine.parsing import FiregridBpmnParser


@dataclass(frozen=True)
class StepInfo:
    """What the app needs to know about one user task (a step of a procedure)."""

    step_key: str
    title: str
    lane: str | None
    form_key: str | None
    template_keys: tuple[str, ...]
    due_workdays: int | None
    properties: MappingProxyType


def step_info(task_spec, lane: str | None) -> StepInfo:
    """Reads our keys from the user task's `spiffworkflow:properties`."""
    properties = dict(task_spec.extensions.get("properties", {}))
    templates = properties.get("templates", "")
    due = properties.get("due_workdays", "").strip()
    return StepInfo(
        step_key=task_spec.bpmn_id,
        title=task_spec.bpmn_name or task_spec.bpmn_id,
        lane=lane,
        form_key=properties.get("form") or None,
        template_keys=tuple(key.strip() for key in templates.split(",") if key.strip()),
        due_workdays=int(due) if due.isdigit() else None,
        properties=MappingProxyType(properties),
    )


@dataclass
class _Process:
    file: Path
    content: bytes
    document: etree._Element
    spec: object
    subprocess_specs: dict
    steps: dict[str, StepInfo] = field(default_factory=dict)


class SpecRegistry:
    """Parsed workflow specs by process id, plus the problems found while loading them."""

    def __init__(self, processes: dict[str, _Process], documents: dict[Path, etree._Element],
                 load_problems: list[Problem]) -> None:
        self._processes = processes
        self._documents = documents
        self._load_problems = load_problems

    @classmethod
    def load(cls, directory: Path, strict: bool = False) -> "SpecRegistry":
        """Parse every *.bpmn in `directory`; a broken file is reported, not fatal (unless strict)."""
        parser, documents, contents, problems = FiregridBpmnParser(), {}, {}, []
        for path in sorted(Path(directory).glob("*.bpmn")):
            contents[path] = path.read_bytes()
            document = _add_document(parser, path, contents[path], problems)
            if document is not None:
                documents[path] = document
        processes = _build_processes(parser, documents, contents, problems)
        registry = cls(processes, documents, problems)
        if strict:
            structural = registry._problems(known=None)
            if structural:
                raise WorkflowSpecError(structural)
        return registry

    def process_ids(self) -> list[str]:
        return sorted(self._processes)

    def steps(self, process_id: str) -> dict[str, StepInfo]:
        return dict(self._process(process_id).steps)

    def lanes(self, process_id: str) -> tuple[str, ...]:
        """Lane names in diagram order; each names a role."""
        process = self._process(process_id)
        lanes = process.document.xpath(
            f".//bpmn:process[@id='{process_id}']//bpmn:lane/@name", namespaces=DEFAULT_NSMAP
        )
        return tuple(dict.fromkeys(lanes))

    def spec_hash(self, process_id: str) -> str:
        return hashlib.sha256(self._process(process_id).content).hexdigest()

    def diagram(self, process_id: str) -> bytes:
        return self._process(process_id).content

    def workflow_specs(self, process_id: str) -> tuple[object, dict]:
        """The spec and subprocess specs a BpmnWorkflow is built from."""
        process = self._process(process_id)
        return process.spec, process.subprocess_specs

    def sequence_flows(self, process_id: str) -> dict[tuple[str, str], str]:
        """(source id, target id) → sequence flow id, to tell which flows a run has taken."""
        flows = self._process(process_id).document.xpath(".//bpmn:sequenceFlow", namespaces=DEFAULT_NSMAP)
        return {(flow.get("sourceRef"), flow.get("targetRef")): flow.get("id") for flow in flows}

    def check(self, known_forms: set[str], known_templates: set[str], known_roles: set[str]) -> list[Problem]:
        """Every problem in every file, including keys that name no form, template or role."""
        known = KnownKeys(frozenset(known_forms), frozenset(known_templates), frozenset(known_roles))
        return self._problems(known)

    def _problems(self, known: KnownKeys | None) -> list[Problem]:
        problems = list(self._load_problems)
        for path, document in self._documents.items():
            problems.extend(check_document(path.name, document, known))
        return problems

    def _process(self, process_id: str) -> _Process:
        if process_id not in self._processes:
            raise KeyError(f"unknown process {process_id!r}; known: {', '.join(self.process_ids())}")
        return self._processes[process_id]


def _add_document(parser: FiregridBpmnParser, path: Path, content: bytes,
                  problems: list[Problem]) -> etree._Element | None:
    try:
        document = etree.fromstring(content)
        parser.add_bpmn_xml(document, filename=str(path))
    except etree.XMLSyntaxError as error:
        problems.append(Problem(path.name, None, f"not well-formed XML: {error}"))
    except ValidationException as error:
        line = f" (line {error.line_number})" if error.line_number else ""
        problems.append(Problem(path.name, error.id or None, f"invalid BPMN{line}: {error}"))
    else:
        return document
    return None


def _build_processes(parser: FiregridBpmnParser, documents: dict, contents: dict,
                     problems: list[Problem]) -> dict[str, _Process]:
    processes = {}
    for process_id in parser.get_process_ids():
        path = Path(parser.get_process_parser(process_id).filename)
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except SpiffWorkflowException as error:
            element_id = getattr(error, "id", None) or process_id
            problems.append(Problem(path.name, element_id, f"cannot build the process: {error}"))
            continue
        process = _Process(path, contents[path], documents[path], spec, subprocess_specs)
        process.steps = _collect_steps(spec, subprocess_specs, None)
        processes[process_id] = process
    return processes


def _collect_steps(spec, subprocess_specs: dict, inherited_lane: str | None) -> dict[str, StepInfo]:
    """User tasks of a process and its embedded subprocesses (whose tasks take the caller's lane)."""
    steps = {}
    for task_spec in spec.task_specs.values():
        lane = task_spec.lane or inherited_lane
        if isinstance(task_spec, UserTask):
            steps[task_spec.bpmn_id] = step_info(task_spec, lane)
        elif isinstance(task_spec, SubWorkflowTask) and not isinstance(task_spec, CallActivity):
            steps.update(_collect_steps(subprocess_specs[task_spec.spec], subprocess_specs, lane))
    return steps
