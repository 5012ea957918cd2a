"""No demo place, person or office in product files: a real town installs the same code, templates and
diagrams, and would find the demo's 青石镇 in its defaults. The demo's names are read from the demo itself,
so a name it gains later is checked too."""

import zipfile
from pathlib import Path

from webapp.demo import organisation as demo

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".html", ".json", ".bpmn", ".txt", ".css", ".js"}


def _demo_names() -> set[str]:
    towns = [(demo.TOWN, demo.VILLAGES), (demo.SECOND_TOWN, demo.SECOND_VILLAGES)]
    names = {demo.REGION} | {town for town, _ in towns}
    names |= {name for _, villages in towns for village, areas in villages.items() for name in (village, *areas)}
    names |= {user[1] for user in (*demo.DEMO_USERS, *demo.SECOND_USERS, *demo.COUNTY_USERS)}
    names |= {name for row in (*demo.COMMITTEE, *demo.SECOND_COMMITTEE) for name in (row[0], row[2])}
    names |= {name for row in (*demo.RECEIVERS, *demo.SECOND_RECEIVERS) for name in row[1:3]}
    names |= {name for units in (*demo.UNIT_NAMES.values(), *demo.SECOND_UNITS.values()) for name in units}
    names |= {row[0] for row in demo.EQUIPMENT_POINTS}
    return names


def _is_demo(path: Path) -> bool:
    return "demo" in path.relative_to(ROOT).parts or path.name == "demo.py"


def _product_texts():
    """(path, text) of every product file a town installs: code, page templates, diagrams, DOCX templates."""
    for folder in ("webapp", "workflows", "doc_templates"):
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or _is_demo(path) or "vendor" in path.parts:
                continue
            if path.suffix == ".docx":
                with zipfile.ZipFile(path) as docx:
                    yield path, "".join(docx.read(n).decode("utf-8") for n in docx.namelist() if n.endswith(".xml"))
            elif path.suffix in TEXT_SUFFIXES:
                yield path, path.read_text(encoding="utf-8")


def test_the_demo_names_are_found_where_they_belong():
    # The check would pass trivially if the names were not read: the demo itself must hold them.
    names = _demo_names()
    assert len(names) > 80 and "青石镇" in names
    demo_text = (ROOT / "webapp" / "demo" / "organisation.py").read_text(encoding="utf-8")
    assert all(name in demo_text for name in names)


def test_no_product_file_names_a_demo_place_person_or_office():
    names = _demo_names()
    found = {str(path.relative_to(ROOT)): sorted(n for n in names if n in text) for path, text in _product_texts()}
    assert {path: hits for path, hits in found.items() if hits} == {}
