"""Scoring schemes (考评细则) as data: the defaults seeded on first use, and the admin's edits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.procedures.evaluation.models import (
    CATEGORIES,
    FORMULAS,
    ITEM_KINDS,
    TARGET_KINDS,
    EvaluationScheme,
    SchemeItem,
)
from webapp.services.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Metric:
    label: str
    unit: str  # "rate" (0–1) or "count"
    applies_to: tuple[str, ...]


# The metrics the system computes from its own records (evaluation_metrics.py computes each one).
METRICS = {
    "signing_rate": Metric("责任书签订率", "rate", ("village", "department")),
    "inspection_coverage": Metric("单位、场所检查覆盖率", "rate", ("village",)),
    "hazards_on_time": Metric("隐患按期整改率", "rate", ("village",)),
    "referrals_handled": Metric("移交隐患反馈办结率", "rate", ("village",)),
    "meetings_attended": Metric("联席会议出席率（出席次数/应出席次数）", "rate", ("village", "department")),
    "decisions_done": Metric("议定事项按期落实率", "rate", ("village", "department")),
    "publicity_events": Metric("宣传培训（五进）次数", "count", ("village", "department")),
    "fire_incidents": Metric("火灾起数", "count", ("village",)),
    "fire_deaths": Metric("火灾死亡人数", "count", ("village",)),
    "patrols": Metric("网格员巡查次数", "count", ("village",)),
}

# The two default schemes (村（社区）and 镇直部门), as data: name and items per target kind.
DEFAULTS_FILE = Path(__file__).with_name("default_schemes.json")


def ensure_default_schemes(session: Session) -> list[EvaluationScheme]:
    """The two schemes, seeded with the defaults the first time they are needed."""
    existing = {s.target_kind: s for s in session.scalars(select(EvaluationScheme))}
    defaults = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    for kind, default in defaults.items():
        if kind in existing:
            continue
        scheme = EvaluationScheme(target_kind=kind, name=default["name"])
        scheme.items = [SchemeItem(**item, sort_order=index) for index, item in enumerate(default["items"], start=1)]
        session.add(scheme)
        existing[kind] = scheme
    session.flush()
    return [existing[kind] for kind in TARGET_KINDS]


def schemes(session: Session) -> list[EvaluationScheme]:
    found = {s.target_kind: s for s in session.scalars(select(EvaluationScheme))}
    return [found[kind] for kind in TARGET_KINDS if kind in found]


def scheme_for(session: Session, target_kind: str) -> EvaluationScheme:
    scheme = next((s for s in schemes(session) if s.target_kind == target_kind), None)
    if scheme is None:
        raise NotFound("没有这个考评细则（默认细则由 firegrid init 创建）。")
    return scheme


def get_item(session: Session, scheme: EvaluationScheme, item_id: int) -> SchemeItem:
    item = session.get(SchemeItem, item_id)
    if item is None or item.scheme_id != scheme.id:
        raise NotFound("该考评细则中没有这个项目。")
    return item


def check_item(values: dict, target_kind: str) -> None:
    """The rules an item must keep, whatever form it came from (Chinese messages, all at once, by field)."""
    kind, metric, formula = values["kind"], values.get("metric") or "", values.get("formula") or ""
    problems = {}
    if kind not in ITEM_KINDS:
        problems["kind"] = "项目类型无效。"
    if values["category"] not in CATEGORIES:
        problems["category"] = "类别无效。"
    if kind in ("measured", "veto"):
        if metric not in METRICS or target_kind not in METRICS[metric].applies_to:
            problems["metric"] = "系统测算项目和否决项目必须选择适用于该类被考评对象的测算指标。"
        if formula not in FORMULAS or (kind == "veto") != (formula == "any"):
            problems["formula"] = "请选择计分公式：否决项目用“次数大于0即否决”，测算项目用其余公式。"
        if formula in ("count", "deduct") and not values.get("target"):
            problems["target"] = "按次数计分的项目必须填写目标次数或每次扣分。"
    if kind != "veto" and float(values.get("points") or 0) <= 0:
        problems["points"] = "分值必须大于0。"
    if len(problems) == 1:
        [(field, message)] = problems.items()
        raise InvalidInput(message, field=field)
    if problems:
        raise InvalidInput(f"该项目有{len(problems)}处需要修改，已在各项旁标出。", fields=problems)


def save_item(session: Session, scheme: EvaluationScheme, values: dict, item: SchemeItem | None = None) -> SchemeItem:
    """Add an item (item None) or change one; the scheme's base items must stay at 100 points or less."""
    check_item(values, scheme.target_kind)
    if values["kind"] not in ("measured", "veto"):
        values = {**values, "metric": "", "formula": "", "target": 0}
    if item is None:
        item = SchemeItem(scheme=scheme, sort_order=max((i.sort_order for i in scheme.items), default=0) + 1)
        session.add(item)
    for name in ("category", "content", "points", "rule", "kind", "metric", "formula", "target"):
        setattr(item, name, values.get(name) if values.get(name) is not None else getattr(item, name))
    session.flush()
    session.refresh(scheme)
    if scheme.base_points > 100:
        raise InvalidInput(f"基本项目合计{scheme.base_points:g}分，超过100分，请调整分值。")
    return item


def delete_item(session: Session, item: SchemeItem) -> None:
    session.delete(item)
    session.flush()
