"""Errors the engine raises, so callers never need to catch SpiffWorkflow's own types."""

from dataclasses import dataclass


class EngineError(Exception):
    """Base class of everything the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a BPMN file, located well enough for an author to fix it."""

    file: str
    element_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}#{self.element_id}" if self.element_id else self.file
        return f"{where}: {self.message}"


class WorkflowSpecError(EngineError):
    """The BPMN files cannot be used as they are."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class ScriptRefused(EngineError):
    """A script, condition or timer expression uses something the sandbox forbids."""


class ClockNotSet(EngineError):
    """An expression needed "now" but the workflow was not bound to a clock."""


class TaskNotReady(EngineError):
    """The task cannot be completed: unknown, not a user task, or not READY."""


class TaskNotResettable(EngineError):
    """The task cannot be returned to: unknown, not a user task, or not completed."""
