"""Year-end evaluation, second half: totals, ranks and grades, the 考评表 per body and the results 通报."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from webapp.cases.runtime import CaseRuntime
from webapp.models import Document, GridNode, ProcessInstance, User
from webapp.procedures.evaluation.models import EvaluatedBody, Evaluation, ItemScore
from webapp.procedures.evaluation.scoring import round_score
from webapp.procedures.notice_issuance import notices
from webapp.services import documents

GRADE_BANDS = ((90, "优秀"), (80, "良好"), (60, "合格"), (0, "不合格"))
VETO_REASON = "触发一票否决项目，总分记0分"


def grade_of(total: float) -> str:
    return next(name for floor, name in GRADE_BANDS if total >= floor)


def capped(score: ItemScore) -> float:
    return min(max(score.score or 0.0, 0.0), score.points)


def vetoes(body: EvaluatedBody) -> list[ItemScore]:
    return [s for s in body.scores if s.kind == "veto" and (s.measured_value or 0) > 0]


def total_of(body: EvaluatedBody) -> float:
    """Base items capped at their points, plus bonus items capped at theirs; a veto makes it 0."""
    if vetoes(body):
        return 0.0
    # Decimal: a float sum of 0.1-steps is 83.39999999999999, which then prints on the 考评表
    exact = sum((Decimal(str(capped(s))) for s in body.scores if s.kind in ("measured", "assessed", "bonus")),
                Decimal(0))
    return round_score(float(exact))


def rank_bodies(evaluation: Evaluation) -> list[EvaluatedBody]:
    """Totals, grades and ranks (equal totals share a rank: 1, 1, 3), best first."""
    for body in evaluation.bodies:
        body.vetoed = bool(vetoes(body))
        body.total = total_of(body)
        body.grade = grade_of(body.total)
    ordered = sorted(evaluation.bodies, key=lambda b: (-(b.total or 0), b.sort_order))
    for body in ordered:
        body.rank = 1 + sum(1 for other in ordered if (other.total or 0) > (body.total or 0))
    return ordered


def sheet_items(body: EvaluatedBody) -> list[dict]:
    items = []
    for score in body.scores:
        if score.kind == "veto" and not vetoes(body):
            continue
        reason = score.deduction_reason or None
        if score.kind == "veto":
            reason = f"{score.measured_text}，{VETO_REASON}"
        items.append({"category": score.category, "content": score.content, "points": score.points,
                      "rule": score.rule, "self_score": score.self_score or 0.0,
                      "score": score.score if score.kind != "veto" else 0.0, "deduction_reason": reason})
    return items


def sheet_context(body: EvaluatedBody, assessors: list[str], day: str) -> dict:
    return {"year": body.evaluation.year, "assessed": {"name": body.name}, "date": day,
            "items": sheet_items(body), "grade": f"{body.grade}（总分{body.total:g}分）", "assessors": assessors}


def _commended(ordered: list[EvaluatedBody]) -> list[EvaluatedBody]:
    best = [b for b in ordered if b.grade == "优秀"]
    return best or [b for b in ordered if b.rank == 1]


def _criticized(ordered: list[EvaluatedBody]) -> list[EvaluatedBody]:
    failing = [b for b in ordered if b.grade == "不合格"]
    if failing or len(ordered) < 2:
        return failing
    last = max(b.rank or 0 for b in ordered)
    worst = [b for b in ordered if b.rank == last]
    return worst if last > 1 else []


def _names(bodies: list[EvaluatedBody]) -> str:
    return "、".join(b.name for b in bodies)


def _county_committee_office(town: GridNode) -> str:
    """抄送 the fire-safety committee office of the level above the town (区/县), when the grid has one."""
    return f"{town.parent.name}消防安全委员会办公室" if town.parent is not None else ""


def bulletin_draft(evaluation: Evaluation, ordered: list[EvaluatedBody]) -> dict:
    year = evaluation.year
    closing = [{"level": 1, "text": "表扬与批评"}]
    commended, criticized = _commended(ordered), _criticized(ordered)
    if commended:
        closing.append({"level": 0, "text": f"对{_names(commended)}予以通报表扬，希望再接再厉，继续发挥示范作用。"})
    if criticized:
        closing.append({"level": 0, "text": f"对{_names(criticized)}予以通报批评，要认真查找不足，"
                                           "于一个月内向镇消防安全委员会办公室报送整改报告。"})
    vetoed = [b for b in ordered if b.vetoed]
    if vetoed:
        closing.append({"level": 0, "text": f"{_names(vetoed)}因发生亡人火灾事故，实行一票否决。"})
    closing += [{"level": 1, "text": "工作要求"},
                {"level": 0, "text": "各村（社区）、镇直各部门要对照考评结果，补齐短板，"
                                     "推动消防安全网格化管理工作再上新台阶。"}]
    return {
        "kind": "通报", "template": "bulletin", "title": f"关于{year}年度消防安全工作考评结果的通报",
        "addressees": ["各村（社区）", "镇直各部门"], "cc": _county_committee_office(evaluation.town),
        "body": f"根据《{evaluation.town.name}消防安全网格化管理实施方案》和考评细则，镇消防安全委员会对各村（社区）、"
                f"镇直各部门{year}年度消防安全工作进行了考评。现将考评结果通报如下：",
        "table_title": f"{year}年度消防安全工作考评结果",
        "ranking": [{"rank": b.rank, "unit": b.name, "score": b.total, "grade": b.grade} for b in ordered],
        "closing": closing,
    }


def finalize(session: Session, runtime: CaseRuntime, *, evaluation: Evaluation, leader: User | None,
             assessors: list[str], now: datetime) -> tuple[list[Document], ProcessInstance]:
    """After the leader approved: results, one 考评表 per body, and the 通报 case for the clerk."""
    ordered = rank_bodies(evaluation)
    sheets = []
    for body in evaluation.bodies:
        document = documents.create_record(
            session, runtime.documents, template_key="evaluation_sheet",
            context=sheet_context(body, assessors, now.date().isoformat()),
            title=f"{evaluation.year}年度消防安全工作考评表（{body.name}）",
            subject=documents.Subject(body.grid, None, evaluation.instance, "approve"), user=leader, now=now)
        body.document = document
        sheets.append(document)
    clerk = evaluation.instance.started_by
    notice = notices.start_notice(session, runtime, user=clerk, grid=evaluation.town,
                                  draft=bulletin_draft(evaluation, ordered), now=now)
    evaluation.status, evaluation.approved_at, evaluation.notice_instance_id = "approved", now, notice.id
    session.flush()
    return sheets, notice


def results_table(evaluation: Evaluation) -> list[EvaluatedBody]:
    """Provisional totals while scoring; final ones after approval (same rules)."""
    if evaluation.status != "approved":
        return rank_bodies(evaluation)
    return sorted(evaluation.bodies, key=lambda b: (b.rank or 0, b.sort_order))
