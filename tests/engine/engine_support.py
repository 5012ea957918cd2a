"""Shared constants and helpers of the engine tests."""

from datetime import datetime
from pathlib import Path

from webapp.clock import TZ

BPMN_DIR = Path(__file__).parent / "bpmn"
KNOWN_FORMS = {"draft_form", "review_form", "countersign_form"}
KNOWN_TEMPLATES = {"notice_draft"}
KNOWN_ROLES = {"clerk", "leader", "inspector", "archivist", "admin", "office_head"}


def at(text: str) -> datetime:
    """A Beijing-time moment from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def write_variant(directory: Path, *replacements: tuple[str, str]) -> Path:
    """Copy the test BPMN into `directory` with each (old, new) text replaced exactly once."""
    source = (BPMN_DIR / "test_notice.bpmn").read_text(encoding="utf-8")
    for old, new in replacements:
        assert source.count(old) == 1, f"{old!r} must occur once in the test BPMN"
        source = source.replace(old, new)
    (directory / "test_notice.bpmn").write_text(source, encoding="utf-8")
    return directory
