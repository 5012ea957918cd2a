"""The wheel must carry every package and the data the app reads (BPMN, templates, migrations)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_python_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(path.relative_to(ROOT).parent.parts) for path in (ROOT / "webapp").rglob("*.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["package-dir"] == {"webapp.bundled.workflows": "workflows",
                                     "webapp.bundled.doc_templates": "doc_templates"}
