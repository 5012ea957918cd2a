"""The wheel must carry every package and the data the app reads (BPMN, templates, migrations)."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_python_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(path.relative_to(ROOT).parent.parts) for path in (ROOT / "webapp").rglob("*.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["package-dir"] == {"webapp.bundled.workflows": "workflows",
                                     "webapp.bundled.doc_templates": "doc_templates"}


def _matches(path: Path, pattern: str) -> bool:
    """setuptools' glob: `**/` stands for any number of folders, none included."""
    return fnmatch(path.as_posix(), pattern) or fnmatch(path.as_posix(), pattern.replace("**/", ""))


def test_every_data_file_under_webapp_is_packed():
    """A data file (JSON, CSS, templates …) beside the code must match a package-data pattern of its package."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]
    unpacked = []
    for path in (ROOT / "webapp").rglob("*"):
        if path.is_dir() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(ROOT)
        owners = [(package, pattern) for package, globs in patterns.items() for pattern in globs
                  if relative.parts[:len(package.split("."))] == tuple(package.split("."))]
        if not any(_matches(relative.relative_to(Path(*package.split("."))), pattern) for package, pattern in owners):
            unpacked.append(str(relative))
    assert not unpacked, f"add to [tool.setuptools.package-data]: {unpacked}"
