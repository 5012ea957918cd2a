"""Workflow state as versioned JSON, readable (Chinese stays UTF-8, not \\u escapes)."""

import json

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from webapp.engine.timers import CLOCKED_TIMERS

# Stored next to the JSON; bump the first part when our own conventions change.
SERIALIZER_VERSION = f"firegrid-1/spiff-{SPIFF_SERIALIZER_VERSION}"

_CONFIG = {
    **SPIFF_CONFIG,
    **{timer_class: TimerConditionalEventDefinitionConverter for timer_class in CLOCKED_TIMERS.values()},
}
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))


def to_json(workflow: BpmnWorkflow) -> str:
    return json.dumps(json.loads(_SERIALIZER.serialize_json(workflow)), ensure_ascii=False)


def from_json(text: str) -> BpmnWorkflow:
    """Restores a workflow; the caller must attach a script engine (it is not serialized)."""
    return _SERIALIZER.deserialize_json(text)
