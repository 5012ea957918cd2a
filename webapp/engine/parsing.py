"""The BPMN parser: SpiffWorkflow's Spiff dialect, with timers bound to the injected clock."""

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from webapp.engine.timers import clocked


class _ClockedTimerParsing:
    def parse_timer_event(self, event):
        return clocked(super().parse_timer_event(event))


class _StartEventParser(_ClockedTimerParsing, SpiffStartEventParser):
    pass


class _BoundaryEventParser(_ClockedTimerParsing, SpiffBoundaryEventParser):
    pass


class _IntermediateCatchEventParser(_ClockedTimerParsing, SpiffIntermediateCatchEventParser):
    pass


class FiregridBpmnParser(SpiffBpmnParser):
    """Parses Spiff BPMN (XSD-validated); every timer it creates reads the injected clock."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (_StartEventParser, StartEvent),
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (_IntermediateCatchEventParser, IntermediateCatchEvent),
    }

    def __init__(self) -> None:
        super().__init__(validator=VALIDATOR)
