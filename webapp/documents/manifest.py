"""The template library: ``doc_templates/manifest.json`` plus one ``<key>.docx`` per entry."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
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


class ContextError(ValueError):
    """The data for a template misses a required field or holds a bad value; ``problems`` are
    Chinese sentences that name the field (its description and its path in the data)."""

    def __init__(self, key: str, problems: list[str]) -> None:
        self.key, self.problems = key, problems
        super().__init__(f"模板“{key}”的数据有误：" + "；".join(problems) + "。")


_EMPTY_DEFAULTS = {"string": "", "text": "", "list[string]": [], "list[object]": []}


def prepare_context(spec: TemplateSpec, context: dict[str, Any]) -> dict[str, Any]:
    """The render context checked against the manifest fields: optional fields that are missing
    get their empty default ('' / [] / None), so no template crashes on ``'attachments' is
    undefined``; a missing or empty required field, a bad date or number, or a newline in a field
    marked ``one_line`` (mark, title, 主送, 署名, names …) raises ContextError.
    Fields the manifest does not declare pass through unchanged."""
    if not isinstance(context, dict):
        raise ContextError(spec.key, ["数据应为一个 JSON 对象"])
    problems: list[str] = []
    prepared = _check_fields(spec.fields, context, "", problems)
    if problems:
        raise ContextError(spec.key, problems)
    return prepared


def _check_fields(fields: dict[str, Any], data: dict[str, Any], prefix: str, problems: list[str]) -> dict:
    out = dict(data)
    for name, field_spec in fields.items():
        path = f"{prefix}{name}"
        label = f"“{field_spec.get('description') or name}”（{path}）"
        kind = field_spec.get("type", "string")
        value = data.get(name)
        if value is None or (kind in ("string", "text") and isinstance(value, str) and not value.strip()
                             and field_spec.get("required")):
            if field_spec.get("required"):
                problems.append(f"缺少必填字段{label}" if value is None else f"必填字段{label}为空")
            elif value is None:
                out[name] = _default(kind)
            continue
        if field_spec.get("one_line") and any("\n" in v or "\r" in v for v in _strings(value)):
            problems.append(f"{label}只能填写一行，不能包含换行")
        out[name] = _check_value(kind, field_spec, value, path, label, problems)
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def _default(kind: str) -> Any:
    default = _EMPTY_DEFAULTS.get(kind)
    return list(default) if isinstance(default, list) else default


def _check_value(kind: str, field_spec: dict[str, Any], value: Any, path: str, label: str,
                 problems: list[str]) -> Any:
    if kind == "date":
        if isinstance(value, (dt.date, dt.datetime)):
            return value
        try:
            dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            problems.append(f"{label}不是有效日期：{value!r}（应为 2026-05-08 的格式）")
        return value
    if kind in ("integer", "number"):
        if isinstance(value, str) and not value.strip():
            return value  # a preview's blank placeholder (第　期 before the number is allocated)
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or isinstance(value, bool) or not number.is_finite() or (
                kind == "integer" and number != number.to_integral_value()):
            problems.append(f"{label}应为{'整数' if kind == 'integer' else '数字'}：{value!r}")
        return value
    if kind.startswith("list"):
        if not isinstance(value, (list, tuple)):
            problems.append(f"{label}应为列表")
            return value
        subfields = field_spec.get("items")
        if kind != "list[object]" or not isinstance(subfields, dict):
            return list(value)
        checked = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                checked.append(_check_fields(subfields, item, f"{path}[{index}].", problems))
            else:
                problems.append(f"{label}第{index + 1}项应为对象")
                checked.append(item)
        return checked
    if kind == "object":
        if not isinstance(value, dict):
            problems.append(f"{label}应为对象")
            return value
        return _check_fields(field_spec.get("fields", {}), value, f"{path}.", problems)
    return value
