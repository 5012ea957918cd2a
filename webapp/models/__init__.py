"""Tables only, one module per aggregate. Importing this package registers every table."""

from webapp.models.audit import AuditEvent
from webapp.models.document import (
    AttachmentRole,
    Document,
    DocumentAttachment,
    IssuedNumber,
    NumberPrefix,
    NumberSequence,
    StoredFile,
)
from webapp.models.grid import CommitteeMember, GridNode, GridPost, Unit
from webapp.models.users import User, UserRole
from webapp.models.workflow import CalendarDay, CaseEvent, ProcessInstance, WorkTask

__all__ = [
    "AttachmentRole", "AuditEvent", "CalendarDay", "CaseEvent", "CommitteeMember", "Document", "DocumentAttachment",
    "GridNode", "GridPost", "IssuedNumber", "NumberPrefix", "NumberSequence", "ProcessInstance", "StoredFile", "Unit",
    "User", "UserRole",
    "WorkTask",
]


def _import_procedure_models() -> None:
    """Procedures keep their tables in modules of their own here; import them so the metadata is whole."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_procedure_models()
