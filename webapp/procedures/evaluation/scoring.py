"""Year-end evaluation, first half: open it, measure, self-assess (自评), the group's scores (考评组评分)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.runtime import CaseRuntime
from webapp.models import ProcessInstance, User, WorkTask
from webapp.procedures.evaluation import metrics
from webapp.procedures.evaluation.models import EvaluatedBody, Evaluation, ItemScore
from webapp.procedures.evaluation.scheme import METRICS, scheme_for
from webapp.services.errors import InvalidInput, NotFound, OutOfScope, found

SCORED_KINDS = ("measured", "assessed", "bonus")
DEDUCTION_REASON_REQUIRED = "扣分须填写扣分原因。"


def round_score(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def measured_score(score: ItemScore, value: float) -> float:
    """Points from a measured value by the item's formula, never above the item's points nor below 0."""
    if score.formula == "ratio":
        raw = score.points * min(max(value, 0.0), 1.0)
    elif score.formula == "count":
        raw = score.points * min(value / score.target, 1.0) if score.target else score.points
    elif score.formula == "deduct":
        raw = max(score.points - value * score.target, 0.0)
    else:
        return 0.0
    return round_score(raw)


def cutoff_of(year: int, now: datetime) -> date:
    return min(now.date(), date(year, 12, 31))


def evaluation_of(session: Session, instance: ProcessInstance) -> Evaluation:
    evaluation = session.scalar(select(Evaluation).where(Evaluation.instance_id == instance.id))
    if evaluation is None:
        raise NotFound("该案件没有考评记录。")
    return evaluation


def get_evaluation(session: Session, evaluation_id: int) -> Evaluation:
    return found(session.get(Evaluation, evaluation_id), "考评不存在。")


def _assessor(session: Session, target: metrics.Target, town_clerk: User) -> str:
    """Villages self-assess through a clerk scoped at the village; departments (and villages without
    one) through the town clerk who opened the evaluation."""
    if target.kind == "village":
        users = session.scalars(select(User).where(User.scope_id == target.grid.id).order_by(User.id))
        clerk = next((u for u in users if u.has_role("clerk") and u.is_enabled), None)
        if clerk is not None:
            return clerk.username
    return town_clerk.username


def _snapshot(body: EvaluatedBody, scheme_items: list) -> None:
    body.scores = [ItemScore(item_id=i.id, sort_order=i.sort_order, category=i.category, content=i.content,
                             points=i.points, rule=i.rule, kind=i.kind, metric=i.metric, formula=i.formula,
                             target=i.target) for i in scheme_items]


def open_evaluation(session: Session, *, instance: ProcessInstance, year: int, user: User,
                    now: datetime) -> Evaluation:
    """One evaluation per town and year: the bodies, a copy of their scheme's items, the measured values."""
    town = instance.grid
    if town.level != "town":
        raise InvalidInput("年终考评须由镇（街道）发起。")
    if session.scalar(select(Evaluation).where(Evaluation.town_id == town.id, Evaluation.year == year)):
        raise InvalidInput(f"{year}年度的考评已经发起，不能重复发起。")
    evaluation = Evaluation(instance=instance, town=town, year=year)
    session.add(evaluation)
    for order, target in enumerate(metrics.villages_and_departments(session, town)):
        body = EvaluatedBody(key=target.key, kind=target.kind, name=target.name, grid=target.grid,
                             member=target.member, assessor=_assessor(session, target, user), sort_order=order)
        _snapshot(body, scheme_for(session, target.kind).items)
        evaluation.bodies.append(body)
    session.flush()
    measure_all(session, evaluation, now)
    return evaluation


def target_of(body: EvaluatedBody) -> metrics.Target:
    return metrics.Target(body.key, body.kind, body.name, body.grid, body.member)


def auto_reason(score: ItemScore, measured: float) -> str:
    label = METRICS[score.metric].label if score.metric in METRICS else score.content
    return f"{label}{score.measured_text}，按细则得{measured:g}分"


def measure_all(session: Session, evaluation: Evaluation, now: datetime) -> None:
    """(Re)compute every measured and veto item from the year's records up to now."""
    cutoff = cutoff_of(evaluation.year, now)
    for body in evaluation.bodies:
        target = target_of(body)
        for score in body.scores:
            if score.kind not in ("measured", "veto") or score.metric not in metrics.COMPUTE:
                continue
            result = metrics.measure(session, score.metric, target, evaluation.year, cutoff)
            score.measured_value, score.measured_text = result.value, result.text
            if score.kind == "measured":
                score.measured_score = measured_score(score, result.value)
                score.self_score = score.measured_score
    evaluation.computed_at = now
    session.flush()


def self_assessors(evaluation: Evaluation) -> dict[str, str]:
    """The multi-instance collection of the 自评 step: body key → the username who self-assesses."""
    return {body.key: body.assessor for body in evaluation.bodies}


def body_by_key(evaluation: Evaluation, key: str) -> EvaluatedBody:
    body = next((b for b in evaluation.bodies if b.key == key), None)
    if body is None:
        raise NotFound("被考评单位不存在。")
    return body


def body_for_task(session: Session, runtime: CaseRuntime, task: WorkTask) -> EvaluatedBody:
    """The body a 自评 task is for: the key of its multi-instance item."""
    view = runtime.ready_task(session, task.instance, task_id=task.engine_task_id)
    if view is None or view.multi_instance_index is None:
        raise NotFound("该任务不是自评任务。")
    return body_by_key(evaluation_of(session, task.instance), str(view.multi_instance_index))


def score_in_range(score: ItemScore, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"“{score.content}”的分数必须是数字。") from error
    if number < 0 or number > score.points:
        raise InvalidInput(f"“{score.content}”的分数应在0到{score.points:g}分之间。")
    return round_score(number)


def self_assess(session: Session, *, body: EvaluatedBody, user: User, entries: list[dict], now: datetime) -> None:
    """The body's own scores for the items people assess (基本项目 and 加分项目)."""
    if user.username != body.assessor and not user.scope.contains(body.grid):
        raise OutOfScope(f"您不负责{body.name}的自评。")
    by_id = {s.id: s for s in body.scores if s.kind in ("assessed", "bonus")}
    for entry in entries:
        score = by_id.get(int(entry.get("score_id") or 0))
        if score is None:
            raise InvalidInput("自评项目与考评细则不符，请刷新页面后重试。")
        score.self_score = score_in_range(score, entry.get("self_score"))
        score.self_note = str(entry.get("note") or "").strip()
    missing = [s.content for s in by_id.values() if s.self_score is None]
    if missing:
        raise InvalidInput(f"请填写“{missing[0]}”的自评分。")
    body.self_assessed_at = now
    session.flush()


def is_deduction(score: ItemScore, value: float) -> bool:
    return score.kind != "bonus" and value < score.points


def group_defaults(score: ItemScore) -> tuple[float | None, str]:
    """What the group's form shows first: an earlier group score, else the measured or self score."""
    if score.score is not None:
        return score.score, score.deduction_reason
    if score.kind == "measured" and score.measured_score is not None:
        reason = auto_reason(score, score.measured_score) if is_deduction(score, score.measured_score) else ""
        return score.measured_score, reason
    return score.self_score, ""


def scoring_rows(evaluation: Evaluation) -> list[tuple[EvaluatedBody, ItemScore]]:
    return [(body, s) for body in evaluation.bodies for s in body.scores if s.kind in SCORED_KINDS]

