"""Tables only, one module per aggregate. Importing this package registers every table."""

from .audit import AuditEvent
from .grid import CommitteeMember, GridNode, GridPost, Unit
from .users import User, UserRole

__all__ = ["AuditEvent", "CommitteeMember", "GridNode", "GridPost", "Unit", "User", "UserRole"]
