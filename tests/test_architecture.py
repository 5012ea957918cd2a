"""Dependencies point one way: web → services → (procedures, engine, models). No Flask below web."""

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[1] / "webapp"
# The background loop is an entry point like a view: it owns an app context.
ENTRY_POINTS = {WEBAPP / "services" / "background.py"}


def _imports(path: Path, source: str | None = None) -> set[str]:
    """The absolute names of the modules (or, for `from .. import x`, the modules or objects) a file imports."""
    package = ["webapp", *path.relative_to(WEBAPP).parts[:-1]]
    names = set()
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            if node.module:
                names.add(module)
            else:  # `from .. import web`: each name may be a module
                names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _hits(names: set[str], forbidden: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


def test_imports_resolve_relative_forms():
    source = ("from .. import web\nfrom ..forms.common import x\nfrom .documents import y\nfrom . import cases\n"
              "import flask.json\n")
    assert _imports(WEBAPP / "services" / "example.py", source) == {
        "webapp.web", "webapp.forms.common", "webapp.services.documents", "webapp.services.cases", "flask.json"}


@pytest.mark.parametrize("package", ["engine", "procedures", "services"])
def test_no_flask_below_the_web_layer(package):
    forbidden = {"flask", "flask_login", "flask_wtf", "webapp.web", "webapp.forms"}
    offenders = {
        str(path.relative_to(WEBAPP)): found
        for path in (WEBAPP / package).rglob("*.py") if path not in ENTRY_POINTS
        if (found := _hits(_imports(path), forbidden))
    }
    assert offenders == {}


@pytest.mark.parametrize("package", ["engine", "models"])
def test_engine_and_models_do_not_use_services(package):
    offenders = {
        str(path.relative_to(WEBAPP)): found
        for path in (WEBAPP / package).rglob("*.py")
        if (found := _hits(_imports(path), {"webapp.services"}))
    }
    assert offenders == {}


def test_engine_is_the_only_importer_of_spiffworkflow():
    importers = [str(p.relative_to(WEBAPP)) for p in WEBAPP.rglob("*.py")
                 if _hits(_imports(p), {"SpiffWorkflow"}) and "engine" not in p.parts]
    assert importers == []
