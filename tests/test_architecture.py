"""Dependencies point one way: web → services → (procedures, engine, models). No Flask below web."""

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[1] / "webapp"
# The background loop is an entry point like a view: it owns an app context.
ENTRY_POINTS = {WEBAPP / "services" / "background.py"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif node.level >= 1 and node.module:
                names.add("webapp." + node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["engine", "procedures", "services"])
def test_no_flask_below_the_web_layer(package):
    offenders = {
        str(path.relative_to(WEBAPP)): sorted(found)
        for path in (WEBAPP / package).rglob("*.py") if path not in ENTRY_POINTS
        if (found := _imports(path) & {"flask", "flask_login", "flask_wtf", "webapp.web", "webapp.forms"})
    }
    assert offenders == {}


def test_engine_is_the_only_importer_of_spiffworkflow():
    importers = [str(p.relative_to(WEBAPP)) for p in WEBAPP.rglob("*.py")
                 if "SpiffWorkflow" in _imports(p) and "engine" not in p.parts]
    assert importers == []
