"""Default configuration every town needs: meeting series, inspection checklist and receivers,
evaluation schemes. Created by `firegrid init` (and the demo), and when an admin adds a town;
pages only read it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.services import evaluation_scheme, grid, inspection_setup, meetings


def ensure_defaults(session: Session) -> None:
    """Idempotent: creates what is missing, changes nothing an admin edited."""
    inspection_setup.load_defaults(session)
    evaluation_scheme.ensure_default_schemes(session)
    for town in grid.towns(session):
        meetings.ensure_default_series(session, town)
