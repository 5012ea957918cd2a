"""Tables only, one module per aggregate. Importing this package registers every table."""

from .audit import AuditEvent
from .document import (
    Document,
    DocumentAttachment,
    IssuedNumber,
    NumberPrefix,
    NumberSequence,
    StoredFile,
)
from .grid import CommitteeMember, GridNode, GridPost, Unit
from .users import User, UserRole
from .workflow import CalendarDay, CaseEvent, ProcessInstance, WorkTask

__all__ = [
    "AuditEvent", "CalendarDay", "CaseEvent", "CommitteeMember", "Document", "DocumentAttachment", "GridNode",
    "GridPost", "IssuedNumber", "NumberPrefix", "NumberSequence", "ProcessInstance", "StoredFile", "Unit", "User",
    "UserRole",
    "WorkTask",
]
