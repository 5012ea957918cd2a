"""The template library: ``doc_templates/manifest.json`` plus one ``<key>.docx`` per entry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("standard", "letter", "minutes", "form")
NUMBER_GRAMMARS = ("wenhao", "di", "qi", None)


class UnknownTemplate(KeyError):
    """No template with that key in the library."""


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    title: str
    kind: str
    format: str  # standard | letter (信函格式) | minutes (纪要格式) | form
    number_grammar: str | None  # wenhao 〔2026〕7号 | di 〔2026〕第0007号 | qi 第N期 | None
    copies: int
    fields: dict[str, Any]
    sample: dict[str, Any]
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def red_header(self) -> bool:
        return self.format != "form"

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> TemplateSpec:
        spec = cls(
            key=entry["key"], title=entry["title"], kind=entry["kind"], format=entry["format"],
            number_grammar=entry.get("number_grammar"), copies=int(entry.get("copies", 1)),
            fields=entry.get("fields", {}), sample=entry.get("sample", {}),
            defaults=entry.get("defaults", {}),
        )
        if spec.format not in FORMATS:
            raise ValueError(f"{spec.key}: unknown format {spec.format!r}")
        if spec.number_grammar not in NUMBER_GRAMMARS:
            raise ValueError(f"{spec.key}: unknown number grammar {spec.number_grammar!r}")
        return spec


class TemplateLibrary:
    """Specs by key; ``path(key)`` is where the .docx should be (it may be missing: lint says so)."""

    def __init__(self, directory: Path, specs: dict[str, TemplateSpec]) -> None:
        self.directory = Path(directory)
        self._specs = specs

    @classmethod
    def load(cls, directory: Path) -> TemplateLibrary:
        directory = Path(directory)
        data = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        specs = {}
        for entry in data["templates"]:
            spec = TemplateSpec.from_json(entry)
            specs[spec.key] = spec
        return cls(directory, specs)

    def keys(self) -> list[str]:
        return sorted(self._specs)

    def __iter__(self):
        return iter(self.keys())

    def spec(self, key: str) -> TemplateSpec:
        try:
            return self._specs[key]
        except KeyError:
            raise UnknownTemplate(key) from None

    def path(self, key: str) -> Path:
        return self.directory / f"{self.spec(key).key}.docx"
