"""考评组评分 body by body: each village or department is one page and one submit, saved as it goes;
the step completes once every body is scored.

When a deduction needs a reason, thought through as an evaluator would: a deduction is a score below the
item's points. The body has already conceded the points it did not claim in its 自评 (and the system
explained the points it did not measure), so agreeing with that figure needs no new reason; the group
must write one only where it awards less than the body's own figure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.procedures.evaluation.models import EvaluatedBody, Evaluation, ItemScore
from webapp.procedures.evaluation.scoring import (
    DEDUCTION_REASON_REQUIRED,
    SCORED_KINDS,
    auto_reason,
    is_deduction,
    score_in_range,
)
from webapp.services.errors import InvalidInput

REASON_RULE = ("得分低于分值即为扣分。评分与自评分（系统测算的项目为测算得分）相同时沿用被考评单位的自评，"
               "无需另写原因；评分低于自评分或测算得分时，须填写扣分原因。")
AGREED_WITH_SELF = "与自评一致"


def own_figure(score: ItemScore) -> float:
    """The body's own figure for an item: the measured score, else its 自评分, else the full points."""
    if score.kind == "measured" and score.measured_score is not None:
        return score.measured_score
    return score.self_score if score.self_score is not None else score.points


def needs_reason(score: ItemScore, value: float) -> bool:
    return is_deduction(score, value) and value < own_figure(score)


def _reason_on_record(score: ItemScore, value: float, typed: str) -> str:
    """What the 考评表 shows as the reason of a deduction the group agreed to without writing one."""
    if typed or not is_deduction(score, value):
        return typed
    if score.kind == "measured":
        return auto_reason(score, value)
    return score.self_note or AGREED_WITH_SELF


def scored_items(body: EvaluatedBody) -> list[ItemScore]:
    return [s for s in body.scores if s.kind in SCORED_KINDS]


def score_body(session: Session, *, body: EvaluatedBody, entries: list[dict], now: datetime) -> None:
    """Save the group's scores of one body; every problem of the submit is reported at once, by field
    (`entries-N-score`, `entries-N-deduction_reason`, N the entry's position), and nothing is saved then."""
    by_id = {s.id: s for s in scored_items(body)}
    problems: dict[str, str] = {}
    for index, entry in enumerate(entries):
        score = by_id.pop(int(entry.get("score_id") or 0), None)
        if score is None:
            raise InvalidInput("评分项目与考评细则不符，请刷新页面后重试。")
        try:
            value = score_in_range(score, entry.get("score"))
        except InvalidInput as error:
            problems[f"entries-{index}-score"] = error.message
            continue
        typed = str(entry.get("deduction_reason") or "").strip()
        if needs_reason(score, value) and not typed:
            problems[f"entries-{index}-deduction_reason"] = DEDUCTION_REASON_REQUIRED
        score.score, score.deduction_reason = value, _reason_on_record(score, value, typed)
    if by_id:
        raise InvalidInput("还有项目未评分，请刷新页面后重试。")
    if problems:
        raise InvalidInput(f"{body.name}的评分有{len(problems)}处需要修改，已在各项目旁标出。", fields=problems)
    body.group_scored_at = now
    session.flush()


def unscored(evaluation: Evaluation) -> list[EvaluatedBody]:
    return [b for b in evaluation.bodies if b.group_scored_at is None]


def group_score(session: Session, *, evaluation: Evaluation, entries: list[dict], now: datetime) -> None:
    """The step's completion: score the bodies given in `entries` (all of them at once, as the demo and
    services do), then require that every body has been scored."""
    body_of = {s.id: b for b in evaluation.bodies for s in scored_items(b)}
    for body in evaluation.bodies:
        own = [e for e in entries if body_of.get(int(e.get("score_id") or 0)) is body]
        if own:
            score_body(session, body=body, entries=own, now=now)
    if any(int(e.get("score_id") or 0) not in body_of for e in entries):
        raise InvalidInput("评分项目与考评细则不符，请刷新页面后重试。")
    missing = unscored(evaluation)
    if missing:
        names = "、".join(b.name for b in missing)
        raise InvalidInput(f"还有{len(missing)}个单位未评分：{names}。请逐个评分后再提交。")
    session.flush()
