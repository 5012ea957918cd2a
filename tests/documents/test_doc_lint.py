"""lint() is clean for the shipped library and catches each kind of broken template."""

from __future__ import annotations

import json
import shutil

from tests.documents.conftest import REPO
from webapp.documents.layout import FLUSH_LEFT, GbDocument
from webapp.documents.lint import lint
from webapp.documents.manifest import TemplateLibrary
from webapp.documents.ooxml import RunStyle
from webapp.documents.template_builder import build_all


def test_shipped_library_is_clean(library):
    assert lint(library) == []


def broken_library(tmp_path):
    directory = tmp_path / "templates"
    shutil.copytree(REPO / "doc_templates", directory)
    doc = GbDocument(title="broken")
    doc.para(FLUSH_LEFT, "{{ ti", ("tle }}", RunStyle(bold=True)))  # one tag, two runs
    doc.para(FLUSH_LEFT, "｛｛ name ｝｝")
    doc.para(FLUSH_LEFT, "{{ undeclared_thing }}")
    doc.para(FLUSH_LEFT, "{{ needed }}")
    doc.save(directory / "broken.docx")
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    base = {"title": "坏模板", "kind": "通知", "format": "form", "number_grammar": None, "copies": 1}
    manifest["templates"] += [
        {**base, "key": "broken", "fields": {"title": {"type": "string"}, "needed": {"type": "string"}},
         "sample": {"title": "x"}},
        {**base, "key": "no_file", "fields": {}, "sample": {}},
    ]
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return TemplateLibrary.load(directory)


def test_lint_catches_broken_templates(tmp_path):
    problems = lint(broken_library(tmp_path))
    messages = {p.key: [] for p in problems}
    for problem in problems:
        messages[problem.key].append(problem.message)
    broken = " | ".join(messages["broken"])
    assert "split across runs" in broken
    assert "full-width" in broken
    assert "'undeclared_thing' is not in the manifest" in broken
    assert "sample does not render" in broken and "is undefined" in broken
    assert any("no template file" in m for m in messages["no_file"])
    assert set(messages) == {"broken", "no_file"}


def test_build_all_writes_every_manifest_template(tmp_path, library):
    written = build_all(tmp_path)
    assert sorted(p.stem for p in written) == library.keys()
