"""Timer events that read the injected clock, and the date functions expressions may call.

SpiffWorkflow's timer event definitions compare against `datetime.now()`. Ours ask the
workflow's script engine for the `now` the caller passed in, so a timer poller, a test or a
replay decides what time it is. The parser creates these classes and the serializer knows
them by name, so a stored workflow keeps using the injected clock after a reload.
"""

from collections.abc import Callable
from datetime import date, datetime, time

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from webapp.clock import TZ, parse_moment
from webapp.engine.errors import ClockNotSet
from webapp.workdays import WorkdayCalendar

END_OF_WORKDAY = time(23, 59, 59)


def clock_of(task) -> datetime:
    now = getattr(task.workflow.script_engine, "now", None)
    if now is None:
        raise ClockNotSet("this workflow was not bound to a clock; go through WorkflowEngine with `now`")
    return now


class _ClockedTimer:
    """Fires once the injected clock reaches the due moment, computed once and stored."""

    def has_fired(self, my_task) -> bool:
        due = my_task._get_internal_data("event_value")
        if due is None:
            due = self.due_moment(my_task).isoformat()
            my_task._set_internal_data(event_value=due)
        if parse_moment(due) <= clock_of(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedTimeDateEventDefinition(_ClockedTimer, TimeDateEventDefinition):
    def due_moment(self, my_task) -> datetime:
        value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        return parse_moment(value.isoformat() if isinstance(value, datetime) else value)


class ClockedDurationTimerEventDefinition(_ClockedTimer, DurationTimerEventDefinition):
    def due_moment(self, my_task) -> datetime:
        value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        start = clock_of(my_task)
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(value), start
        )
        return start + duration


CLOCKED_TIMERS = {
    TimeDateEventDefinition: ClockedTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockedDurationTimerEventDefinition,
}


def clocked(definition: TimerEventDefinition) -> TimerEventDefinition:
    """The clocked equivalent of a timer definition the stock parser produced."""
    clocked_class = CLOCKED_TIMERS.get(type(definition))
    if clocked_class is None:
        return definition
    return clocked_class(definition.name, definition.expression, description=definition.description)


def clock_functions(now: datetime | None, calendar: WorkdayCalendar) -> dict[str, Callable]:
    """Functions every expression may call; they return ISO strings so task data stays JSON."""

    def now_iso() -> str:
        if now is None:
            raise ClockNotSet("now_iso() needs a clock; go through WorkflowEngine with `now`")
        return now.astimezone(TZ).isoformat()

    def workdays_after(start: str, count: int) -> str:
        """End of the `count`-th working day after `start` (a date or datetime, ISO)."""
        end_day = calendar.add_workdays(_local_date(start), int(count))
        return datetime.combine(end_day, END_OF_WORKDAY, TZ).isoformat()

    return {"now_iso": now_iso, "workdays_after": workdays_after}


def _local_date(value: str) -> date:
    if len(value) == len("2026-01-01"):
        return date.fromisoformat(value)
    return parse_moment(value).astimezone(TZ).date()


def due_moments(pending_values: list) -> list[datetime]:
    """Due moments of waiting timers, skipping ones not yet computed."""
    return [parse_moment(value) for value in pending_values if isinstance(value, str)]
