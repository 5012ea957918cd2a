"""The workflow engine: the only importer of SpiffWorkflow. Plain values in, plain values out."""

from .checks import KnownKeys
from .errors import (
    ClockNotSet,
    EngineError,
    Problem,
    ScriptRefused,
    TaskNotReady,
    TaskNotResettable,
    WorkflowSpecError,
)
from .history import CompletedTask
from .runtime import TaskView, WorkflowEngine
from .serialization import SERIALIZER_VERSION
from .specs import SpecRegistry, StepInfo

__all__ = [
    "SERIALIZER_VERSION",
    "ClockNotSet",
    "CompletedTask",
    "EngineError",
    "KnownKeys",
    "Problem",
    "ScriptRefused",
    "SpecRegistry",
    "StepInfo",
    "TaskNotReady",
    "TaskNotResettable",
    "TaskView",
    "WorkflowEngine",
    "WorkflowSpecError",
]
