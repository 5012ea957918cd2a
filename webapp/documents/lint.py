"""Template lint: the cheap checks that catch what docxtpl silently gets wrong."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import TemplateError
from lxml import etree

from webapp.documents.filters import build_environment
from webapp.documents.manifest import TemplateLibrary
from webapp.documents.render import DocumentRenderer

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TAG = re.compile(r"\{[{%#].*?[}%#]\}")
TAG_EDGE = re.compile(r"\{[{%#]|[}%#]\}")
FULL_WIDTH = re.compile(r"｛\s*[｛%#]|[｝%#]\s*｝")
TEMPLATE_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml$")


@dataclass(frozen=True)
class Problem:
    key: str
    message: str


def lint(library: TemplateLibrary) -> list[Problem]:
    problems: list[Problem] = []
    renderer = DocumentRenderer(library)
    for key in library:
        path = library.path(key)
        if not path.exists():
            problems.append(Problem(key, f"manifest entry has no template file {path.name}"))
            continue
        problems += [Problem(key, m) for m in markup_problems(path)]
        problems += [Problem(key, m) for m in undeclared_variables(path, set(library.spec(key).fields))]
        try:
            renderer.render_sample(key)
        except (TemplateError, ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(Problem(key, f"sample does not render: {type(exc).__name__}: {exc}"))
    return problems


def markup_problems(path: Path) -> list[str]:
    """Tags split across runs and full-width ｛｛ ｝｝ typed with a Chinese IME."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in filter(TEMPLATE_PARTS.search, archive.namelist()):
            root = etree.fromstring(archive.read(name))
            for p in root.iter(f"{W}p"):
                found += _paragraph_problems(p, name)
    return found


def _paragraph_problems(p: etree._Element, part: str) -> list[str]:
    runs = [("".join(t.text or "" for t in r.iter(f"{W}t"))) for r in p.findall(f"{W}r")]
    text = "".join(runs)
    found = []
    if FULL_WIDTH.search(text):
        found.append(f"{part}: full-width brace tag stays literal text: {text[:60]!r}")
    for run in runs:
        tags_inside = TAG.sub("", run)
        if TAG_EDGE.search(tags_inside):
            found.append(f"{part}: Jinja tag split across runs: {text[:60]!r}")
            break
    return found


def undeclared_variables(path: Path, declared: set[str]) -> list[str]:
    try:
        used = DocxTemplate(str(path)).get_undeclared_template_variables(build_environment())
    except TemplateError as exc:
        return [f"template does not compile: {exc}"]
    return [f"template variable {name!r} is not in the manifest fields" for name in sorted(used - declared)]
