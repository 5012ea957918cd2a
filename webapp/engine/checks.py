"""Static checks of a BPMN document, so authoring mistakes surface at `firegrid check`, not mid-case.

Each check reads the XML and names the element at fault; none needs a running workflow.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import DEFAULT_NSMAP
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.task_spec import SPIFFWORKFLOW_NSMAP

from webapp.engine.errors import Problem, ScriptRefused
from webapp.engine.scripting import RestrictedEnvironment, compile_expression

NSMAP = {**DEFAULT_NSMAP, **SPIFFWORKFLOW_NSMAP}
_DRAWN_TAGS = (
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "subProcess", "callActivity", "transaction", "startEvent", "endEvent",
    "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent", "exclusiveGateway",
    "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway", "sequenceFlow",
    "lane", "participant", "messageFlow", "dataObjectReference", "dataStoreReference",
)


@dataclass(frozen=True)
class KnownKeys:
    """The forms, templates and roles the app defines; BPMN may only reference these."""

    forms: frozenset[str]
    templates: frozenset[str]
    roles: frozenset[str]


def check_document(file: str, root: etree._Element, known: KnownKeys | None) -> list[Problem]:
    """All problems in one document; `known=None` skips the cross-references to app keys."""
    checks: list[Callable[[etree._Element], Iterator[tuple[str | None, str]]]] = [
        _user_task_problems, _gateway_problems, _timer_problems, _code_problems, _diagram_problems,
    ]
    if known is not None:
        checks.append(lambda document: _reference_problems(document, known))
    return [Problem(file, element_id, message) for check in checks for element_id, message in check(root)]


def _xpath(node: etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NSMAP)


def _properties(task: etree._Element) -> dict[str, str]:
    nodes = _xpath(task, "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property")
    return {node.get("name"): node.get("value", "") for node in nodes}


def _user_task_problems(root: etree._Element) -> Iterator[tuple[str | None, str]]:
    for process in _xpath(root, ".//bpmn:process"):
        in_lanes = set(_xpath(process, "./bpmn:laneSet//bpmn:flowNodeRef/text()"))
        for task in _xpath(process, "./bpmn:userTask"):
            if task.get("id") not in in_lanes:
                yield task.get("id"), "user task is outside every lane, so no role can claim it"
        for task in _xpath(process, ".//bpmn:userTask"):
            properties = _properties(task)
            if not properties.get("form"):
                yield task.get("id"), "user task has no 'form' property (spiffworkflow:properties)"
            due = properties.get("due_workdays", "0").strip()
            if not due.isdigit():
                yield task.get("id"), f"'due_workdays' must be a whole number of days, got {due!r}"


def _gateway_problems(root: etree._Element) -> Iterator[tuple[str | None, str]]:
    for gateway in _xpath(root, ".//bpmn:exclusiveGateway | .//bpmn:inclusiveGateway"):
        gateway_id = gateway.get("id")
        outgoing = _xpath(root, f".//bpmn:sequenceFlow[@sourceRef='{gateway_id}']")
        if len(outgoing) > 1 and not gateway.get("default"):
            yield gateway_id, f"gateway has {len(outgoing)} outgoing flows and no default flow"


def _timer_problems(root: etree._Element) -> Iterator[tuple[str | None, str]]:
    for timer in _xpath(root, ".//bpmn:timerEventDefinition"):
        event_id = timer.getparent().get("id")
        if _xpath(timer, "./bpmn:timeCycle"):
            yield event_id, "cycle timers are not supported; use timeDate or timeDuration"
        for kind in ("timeDate", "timeDuration"):
            for node in _xpath(timer, f"./bpmn:{kind}"):
                problem = _timer_expression_problem(kind, (node.text or "").strip())
                if problem:
                    yield event_id, problem


def _timer_expression_problem(kind: str, expression: str) -> str | None:
    """Compile the expression; when it needs no task data, also evaluate and parse its value."""
    try:
        value = RestrictedEnvironment({}).evaluate(expression, {})
    except ScriptRefused as error:
        return f"{kind} expression does not compile (quote ISO literals): {error}"
    except NameError:
        return None  # depends on task data or app functions: evaluated when the timer starts
    except Exception as error:
        return f"{kind} expression {expression!r} does not evaluate: {error}"
    return _timer_value_problem(kind, value)


def _timer_value_problem(kind: str, value: object) -> str | None:
    if kind == "timeDuration":
        try:
            TimerEventDefinition.parse_iso_duration(value)
        except Exception as error:
            return f"timeDuration {value!r} is not an ISO 8601 duration: {error}"
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return f"timeDate {value!r} is not an ISO 8601 datetime"
    if moment.tzinfo is None:
        return f"timeDate {value!r} has no UTC offset (write e.g. +08:00)"
    return None


def _code_problems(root: etree._Element) -> Iterator[tuple[str | None, str]]:
    sources = [
        ("exec", ".//bpmn:scriptTask", "./bpmn:script"),
        ("exec", ".//*[bpmn:extensionElements]", "./bpmn:extensionElements/spiffworkflow:preScript"),
        ("exec", ".//*[bpmn:extensionElements]", "./bpmn:extensionElements/spiffworkflow:postScript"),
        ("eval", ".//bpmn:sequenceFlow", "./bpmn:conditionExpression"),
        ("eval", ".//bpmn:multiInstanceLoopCharacteristics/..", "./*/bpmn:completionCondition"),
        ("eval", ".//bpmn:multiInstanceLoopCharacteristics/..", "./*/bpmn:loopCardinality"),
    ]
    for mode, owners, path in sources:
        for owner in _xpath(root, owners):
            for node in _xpath(owner, path):
                try:
                    compile_expression(node.text or "", mode)
                except ScriptRefused as error:
                    yield owner.get("id"), str(error)


def _diagram_problems(root: etree._Element) -> Iterator[tuple[str | None, str]]:
    drawn = set(_xpath(root, ".//bpmndi:BPMNShape/@bpmnElement | .//bpmndi:BPMNEdge/@bpmnElement"))
    query = " | ".join(f".//bpmn:{tag}" for tag in _DRAWN_TAGS)
    for element in _xpath(root, query):
        if element.get("id") not in drawn:
            kind = "edge (BPMNEdge)" if "Flow" in etree.QName(element).localname else "shape (BPMNShape)"
            yield element.get("id"), f"{etree.QName(element).localname} has no diagram {kind}"


def _reference_problems(root: etree._Element, known: KnownKeys) -> Iterator[tuple[str | None, str]]:
    for lane in _xpath(root, ".//bpmn:lane"):
        if lane.get("name") not in known.roles:
            roles = ", ".join(sorted(known.roles))
            yield lane.get("id"), f"lane name {lane.get('name')!r} is not a role key ({roles})"
    for task in _xpath(root, ".//bpmn:userTask"):
        properties = _properties(task)
        form = properties.get("form")
        if form and form not in known.forms:
            yield task.get("id"), f"unknown form key {form!r}"
        for template in filter(None, (key.strip() for key in properties.get("templates", "").split(","))):
            if template not in known.templates:
                yield task.get("id"), f"unknown template key {template!r}"
