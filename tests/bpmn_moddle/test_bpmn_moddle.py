"""Every BPMN file loads in bpmn-moddle (the model behind bpmn.io) without a warning.

bpmn.io reports an `unresolved reference` when a `loopDataInputRef` or `loopDataOutputRef` names
nothing declared in the file; SpiffWorkflow does not care, so only this check catches it.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
WORKFLOWS = HERE.parent.parent / "workflows"
BPMN_FILES = sorted(WORKFLOWS.glob("*.bpmn"))

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="Node.js (`node`) is not installed; CI installs the Debian package `nodejs`"
)


@pytest.fixture(scope="module")
def moddle_warnings():
    """Run check.mjs over the given files; install the pinned bpmn-moddle into this folder once."""
    if not (HERE / "node_modules" / "bpmn-moddle").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install bpmn-moddle (CI installs the Debian package `npm`)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                       capture_output=True, timeout=600)

    def run(*paths: Path) -> dict[str, list[str]]:
        done = subprocess.run(["node", "check.mjs", *map(str, paths)], cwd=HERE, check=True,
                              capture_output=True, text=True, timeout=120)
        return json.loads(done.stdout)

    return run


def test_every_workflow_loads_without_warnings(moddle_warnings):
    assert len(BPMN_FILES) == 7
    report = moddle_warnings(*BPMN_FILES)
    assert report == {str(path): [] for path in BPMN_FILES}


def test_an_undeclared_loop_reference_is_reported(moddle_warnings, tmp_path):
    """The check can fail: drop the declarations of the 会签 loop data and bpmn-moddle complains."""
    source = (WORKFLOWS / "notice_issuance.bpmn").read_text(encoding="utf-8")
    declarations = re.compile(r"\s*<bpmn:property [^>]*/>")
    assert len(declarations.findall(source)) == 2
    broken = tmp_path / "notice_issuance.bpmn"
    broken.write_text(declarations.sub("", source), encoding="utf-8")
    assert moddle_warnings(broken) == {
        str(broken): ["unresolved reference <co_signers>", "unresolved reference <countersigned_by>"]
    }
