"""Scoring schemes (考评细则) as data: the defaults seeded on first use, and the admin's edits."""

from __future__ import annotations

from dataclasses import dataclass

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
}

# (category, content, points, rule, kind, metric, formula, target)
VILLAGE_ITEMS = [
    ("火灾预防", "辖区单位、场所消防安全检查全覆盖", 10, "全年每个单位、场所至少检查一次，按覆盖率计分", "measured",
     "inspection_coverage", "ratio", 0),
    ("火灾预防", "火灾隐患按期整改", 10, "期限届满后3个工作日内复查认定已整改的为按期整改，按按期整改率计分",
     "measured", "hazards_on_time", "ratio", 0),
    ("火灾预防", "无法整改的隐患及时移交并跟踪反馈", 5, "按移交隐患已反馈办结的比例计分；无移交的得满分", "measured",
     "referrals_handled", "ratio", 0),
    ("火灾预防", "开展消防宣传“五进”和培训演练", 10, "全年不少于4次，每少1次扣2.5分", "measured",
     "publicity_events", "count", 4),
    ("火灾预防", "辖区火灾形势平稳", 5, "每发生一起火灾扣2分，扣完为止", "measured", "fire_incidents", "deduct", 2),
    ("消防安全基础", "网格组织健全，网格长、网格员落实到位", 10, "组织不健全扣5分，人员不落实每处扣2分", "assessed",
     "", "", 0),
    ("消防安全基础", "义务消防队、微型消防站建设", 10, "未建立扣10分，人员、器材不齐每项扣2分", "assessed", "", "", 0),
    ("消防安全基础", "消防器材配备、维护和公共消防设施", 10, "器材缺失、失效每处扣2分", "assessed", "", "", 0),
    ("消防安全责任", "签订消防安全目标责任书", 10, "签订率100%得满分，按签订率计分", "measured", "signing_rate",
     "ratio", 0),
    ("消防安全责任", "参加镇消防安全联席会议", 10, "按出席次数占应出席次数的比例计分", "measured",
     "meetings_attended", "ratio", 0),
    ("消防安全责任", "会议议定事项按期落实", 10, "按期完成的议定事项占到期事项的比例计分；无到期事项的得满分",
     "measured", "decisions_done", "ratio", 0),
    ("加分项目", "工作创新、经验被上级推广或受上级表彰", 5, "每项加1至5分，最多加5分", "bonus", "", "", 0),
    ("否决项目", "辖区发生亡人火灾事故", 0, "发生亡人火灾的，总分记0分", "veto", "fire_deaths", "any", 0),
]
DEPARTMENT_ITEMS = [
    ("消防安全责任", "签订消防安全目标责任书", 10, "签订得满分，未签订不得分", "measured", "signing_rate", "ratio", 0),
    ("消防安全责任", "参加镇消防安全联席会议", 15, "按出席次数占应出席次数的比例计分", "measured",
     "meetings_attended", "ratio", 0),
    ("消防安全责任", "会议议定事项按期落实", 15, "按期完成的议定事项占到期事项的比例计分；无到期事项的得满分",
     "measured", "decisions_done", "ratio", 0),
    ("火灾预防", "本行业、本系统消防安全检查和隐患整治", 20, "未开展行业检查扣10分，隐患整治不力每处扣2分", "assessed",
     "", "", 0),
    ("火灾预防", "开展消防宣传“五进”和培训", 10, "全年不少于2次，每少1次扣5分", "measured", "publicity_events",
     "count", 2),
    ("消防安全基础", "消防工作机构、制度和人员落实", 15, "无专人负责扣5分，制度不健全扣5分", "assessed", "", "", 0),
    ("消防安全基础", "消防工作档案、台账规范完整", 15, "台账缺失每项扣3分", "assessed", "", "", 0),
    ("加分项目", "工作创新、经验被上级推广或受上级表彰", 5, "每项加1至5分，最多加5分", "bonus", "", "", 0),
]
DEFAULTS = {"village": ("村（社区）消防安全工作考评细则", VILLAGE_ITEMS),
            "department": ("镇直部门消防安全工作考评细则", DEPARTMENT_ITEMS)}


def ensure_default_schemes(session: Session) -> list[EvaluationScheme]:
    """The two schemes, seeded with the defaults the first time they are needed."""
    existing = {s.target_kind: s for s in session.scalars(select(EvaluationScheme))}
    for kind, (name, rows) in DEFAULTS.items():
        if kind in existing:
            continue
        scheme = EvaluationScheme(target_kind=kind, name=name)
        scheme.items = [SchemeItem(category=c, content=t, points=p, rule=r, kind=k, metric=m, formula=f, target=g,
                                   sort_order=index)
                        for index, (c, t, p, r, k, m, f, g) in enumerate(rows, start=1)]
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
