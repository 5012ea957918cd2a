"""Library-level fixtures: no Flask app, no database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from webapp.documents.manifest import TemplateLibrary
from webapp.documents.render import DocumentRenderer

REPO = Path(__file__).resolve().parents[2]
SHARED_TOOLS = REPO.parent / "shared" / "tools"
RED_HEADER_FLAGS = {"standard": [], "letter": [], "minutes": ["--no-header"]}


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    return TemplateLibrary.load(REPO / "doc_templates")


@pytest.fixture(scope="session")
def renderer(library) -> DocumentRenderer:
    return DocumentRenderer(library)


def checker_flags(spec) -> list[str]:
    flags = list(RED_HEADER_FLAGS[spec.format])
    if spec.number_grammar == "di":
        flags.append("--allow-di")
    return flags


def run_shared_tool(name: str, *args: str) -> subprocess.CompletedProcess | None:
    """Run a tool from /work/shared/tools when that directory exists (None otherwise)."""
    tool = SHARED_TOOLS / name
    if not tool.exists():
        return None
    return subprocess.run([sys.executable, str(tool), *args], capture_output=True, text=True, check=False)
