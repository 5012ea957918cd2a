"""Procedure "evaluation" (年终考评): open → measured items → 自评 per body → 考评组评分 → 审定 →
考评表 per body and the results 通报 (a notice_issuance case, 核稿/签发 as usual).

BPMN (workflows/evaluation.bpmn) decides the order; the services decide the numbers.
"""

from __future__ import annotations

from webapp.cases.registry import DemoContext, Procedure, StepContext
from webapp.procedures.evaluation import group, registers, results, scheme, scoring
from webapp.procedures.notice_issuance import notices


def _year(data: dict) -> int:
    return int(data.get("year") or 0)


def _after_start(ctx: StepContext) -> list[int]:
    scoring.open_evaluation(ctx.session, instance=ctx.instance, year=_year(ctx.data), user=ctx.user,
                                       now=ctx.now)
    return []


def _before_measure(ctx: StepContext) -> list[int]:
    """The clerk confirmed the numbers: measure once more (records may have changed) and name the assessors."""
    evaluation = scoring.evaluation_of(ctx.session, ctx.instance)
    scoring.measure_all(ctx.session, evaluation, ctx.now)
    ctx.data["self_assessors"] = scoring.self_assessors(evaluation)
    return []


def _before_self_assess(ctx: StepContext) -> list[int]:
    evaluation = scoring.evaluation_of(ctx.session, ctx.instance)
    body = scoring.body_by_key(evaluation, str(ctx.data.get("body_key") or ""))
    scoring.self_assess(ctx.session, body=body, user=ctx.user, entries=list(ctx.data.get("entries") or []),
                                   now=ctx.now)
    return []


def _before_group_score(ctx: StepContext) -> list[int]:
    evaluation = scoring.evaluation_of(ctx.session, ctx.instance)
    group.group_score(ctx.session, evaluation=evaluation, entries=list(ctx.data.get("entries") or []),
                                 now=ctx.now)
    ctx.data["scored_by"] = ctx.user.display_name if ctx.user else ""
    return []


def _after_approve(ctx: StepContext) -> list[int]:
    evaluation = scoring.evaluation_of(ctx.session, ctx.instance)
    assessors = [name for name in (ctx.data.get("scored_by"), ctx.user.display_name if ctx.user else "") if name]
    sheets, _notice = results.finalize(ctx.session, ctx.services, evaluation=evaluation, leader=ctx.user,
                                                  assessors=list(dict.fromkeys(assessors)), now=ctx.now)
    return [sheet.id for sheet in sheets]


def _preview(ctx: StepContext, template_key: str) -> dict:
    """审定: the results 通报 as it will be drafted from the scores being approved (no number yet)."""
    evaluation = scoring.evaluation_of(ctx.session, ctx.instance)
    draft = results.bulletin_draft(evaluation, results.rank_bodies(evaluation))
    return notices.document_context(ctx.session, draft, today=ctx.now.date(), town=evaluation.town)


def _case_title(data: dict) -> str:
    return f"{_year(data)}年度消防安全工作年终考评"


def _play_demo_history(ctx: DemoContext) -> None:
    from webapp.procedures.evaluation import demo

    demo.play(ctx)


def _task_subject(session, instance, key: str) -> str:
    return scoring.body_by_key(scoring.evaluation_of(session, instance), key).name


PROCEDURE = Procedure(
    ensure_defaults=scheme.ensure_default_schemes, web_modules=("forms", "views", "group_views"),
    key="evaluation", title="年终考评", start_roles=("clerk",), start_form="evaluation_start",
    after_start=_after_start,
    before_complete={"measure": _before_measure, "self_assess": _before_self_assess,
                     "group_score": _before_group_score},
    after_complete={"approve": _after_approve},
    case_title=_case_title, preview_context=_preview, task_subject=_task_subject,
    play_demo_history=_play_demo_history, demo_order=90,
    retention={"evaluation_sheet": "Y"}, binder_section="考评", binder_parts=registers.binder_parts,
    case_panel="procedures/evaluation/context.html", unit_events=registers.unit_events,
    measures=registers.MEASURES,
)
