"""The home page (工作台): counts of what waits, what the user may start, the latest documents in scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from webapp.models import Document, GridNode, ProcessInstance, User

RECENT_DOCUMENTS = 8


def recent_documents(session: Session, user: User, limit: int = RECENT_DOCUMENTS) -> list[Document]:
    """The newest issued or drafted documents of cases inside the user's scope (voided ones left out)."""
    stmt = (
        select(Document).join(Document.grid)
        .options(joinedload(Document.instance).joinedload(ProcessInstance.grid))
        .where(GridNode.path.startswith(user.scope.path), Document.status.in_(("issued", "draft")))
        .order_by(Document.id.desc()).limit(limit)
    )
    return list(session.scalars(stmt))
