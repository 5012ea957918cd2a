"""Default configuration every town needs (meeting series, inspection checklist and receivers,
evaluation schemes …), each declared by its procedure. Made by `firegrid init` (and the demo), and
when an admin adds a town; pages only read it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.cases import registry


def ensure_defaults(session: Session) -> None:
    """Idempotent: creates what is missing, changes nothing an admin edited."""
    for procedure in registry.all_procedures():
        if procedure.ensure_defaults is not None:
            procedure.ensure_defaults(session)
