"""The layout's dependency rules: procedure packages → core, never the other way; one procedure does not
import another (evaluation, which measures the others and publishes through 发文, may); no Flask below the
web layer; the engine alone imports SpiffWorkflow and knows no Flask or database."""

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[1] / "webapp"
PROCEDURES = sorted(p.parent.name for p in (WEBAPP / "procedures").glob("*/procedure.py"))
CORE = ["cases", "services", "engine", "documents", "models", "web", "forms", "registers", "reports"]
# The background loop is an entry point like a view: it owns an app context.
ENTRY_POINTS = {WEBAPP / "services" / "background.py"}
# Modules of a procedure package that belong to the web layer.
WEB_MODULES = {"views.py", "forms.py", "forms_admin.py", "forms_followup.py", "group_views.py", "version_views.py",
               "referral_views.py", "referral_forms.py", "unit_link_views.py"}
# Flask-Login's user mixin is how the login manager reads the table.
FLASK_MIXIN = {WEBAPP / "models" / "users.py"}


def _imports(path: Path) -> set[str]:
    """The absolute names of the modules (or, for `from x import y`, also x.y) a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _hits(names: set[str], forbidden: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


def _offenders(paths, forbidden: set[str]) -> dict[str, list[str]]:
    return {str(p.relative_to(WEBAPP)): found for p in paths if (found := _hits(_imports(p), forbidden))}


def test_the_seven_procedures_are_packages():
    assert PROCEDURES == ["evaluation", "incoming", "inspection", "meeting", "notice_issuance", "patrol",
                          "responsibility_letters"]


@pytest.mark.parametrize("package", CORE)
def test_the_core_never_imports_a_procedure_the_archive_or_the_demo(package):
    forbidden = {f"webapp.procedures.{key}" for key in PROCEDURES} | {"webapp.archive", "webapp.demo"}
    assert _offenders((WEBAPP / package).rglob("*.py"), forbidden) == {}


@pytest.mark.parametrize("key", PROCEDURES)
def test_procedures_do_not_import_each_other(key):
    allowed = set(PROCEDURES) if key == "evaluation" else {key}
    forbidden = {f"webapp.procedures.{other}" for other in PROCEDURES if other not in allowed}
    # a demo player may upload the demo's sample scans; nothing else of the demo or the archive
    forbidden |= {"webapp.archive", "webapp.demo.history", "webapp.demo.organisation"}
    assert _offenders((WEBAPP / "procedures" / key).rglob("*.py"), forbidden) == {}


def test_no_flask_below_the_web_layer():
    forbidden = {"flask", "flask_login", "flask_wtf", "wtforms", "webapp.web", "webapp.forms"}
    below = [p for package in ("engine", "cases", "services", "documents", "models")
             for p in (WEBAPP / package).rglob("*.py")]
    below += [p for p in (WEBAPP / "procedures").rglob("*.py") if p.name not in WEB_MODULES]
    below += [p for package in ("archive", "reports") for p in (WEBAPP / package).rglob("*.py")
              if p.name not in WEB_MODULES]
    assert _offenders([p for p in below if p not in ENTRY_POINTS | FLASK_MIXIN], forbidden) == {}


def test_the_engine_knows_no_database_and_models_no_services():
    assert _offenders((WEBAPP / "engine").rglob("*.py"), {"sqlalchemy", "webapp.models", "webapp.extensions"}) == {}
    assert _offenders((WEBAPP / "models").rglob("*.py"), {"webapp.services", "webapp.cases"}) == {}


def test_engine_is_the_only_importer_of_spiffworkflow():
    importers = [str(p.relative_to(WEBAPP)) for p in WEBAPP.rglob("*.py")
                 if _hits(_imports(p), {"SpiffWorkflow"}) and "engine" not in p.parts]
    assert importers == []


def test_services_hold_only_what_every_procedure_shares():
    modules = [p.stem for p in (WEBAPP / "services").glob("*.py") if p.stem != "__init__"]
    named_after_a_procedure = [m for m in modules
                               if any(word in m for word in ("inspection", "letters", "notice", "meeting",
                                                             "evaluation", "archive", "demo"))]
    assert len(modules) <= 16 and named_after_a_procedure == []
