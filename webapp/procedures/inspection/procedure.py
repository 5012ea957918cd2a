"""Procedure `inspection` (检查 → 隐患整改通知书 → 复查 → 移交): step hooks, deadlines, previews."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from webapp.cases.registry import NumberUse, Procedure, StepContext, StepHook
from webapp.models import Document
from webapp.procedures.inspection import (
    deadlines,
    followup,
    interviews,
    measures,
    plans,
    receiver_accounts,
    records,
    rectification_plans,
    referral_reminders,
    referrals,
    reports,
    setup,
    unit_file,
    workbook,
)
from webapp.procedures.inspection.demo import play_demo_history
from webapp.services.documents import DocumentServices
from webapp.services.errors import InvalidInput
from webapp.workdays import WorkdayCalendar


def _docs(context: StepContext) -> DocumentServices:
    return context.services.documents


def _record(context: StepContext) -> list[int]:
    inspection = records.record_inspection(context.session, _docs(context), instance=context.instance,
                                           data=context.data, user=context.user, now=context.now)
    return [inspection.record_document_id]


def _issues(issue: Callable[..., Document]) -> StepHook:
    """A hook that issues the step's document: issue(session, docs, instance=, data=, user=, now=)."""

    def hook(context: StepContext) -> list[int]:
        return [issue(context.session, _docs(context), instance=context.instance, data=context.data,
                      user=context.user, now=context.now).id]

    return hook


def _records(record: Callable[..., None]) -> StepHook:
    """A hook that records what the step reports (送达, 反馈) and produces no document."""

    def hook(context: StepContext) -> list[int]:
        record(context.session, _docs(context), instance=context.instance, data=context.data, now=context.now)
        return []

    return hook


def _routes(apply: Callable[[StepContext], object] | None = None) -> StepHook:
    """A hook that records the step's outcome on the hazards (if any), then gives the workflow where the
    case goes next and when the earliest open hazard is due."""

    def hook(context: StepContext) -> list[int]:
        if apply is not None:
            apply(context)
        context.data.update(deadlines.route_data(records.inspection_of(context.session, context.instance)))
        return []

    return hook


def _link(context: StepContext) -> records.LinkSettings:
    settings = context.services.settings
    return records.LinkSettings(settings.get("PUBLIC_URL") or "", settings.get("SECRET_KEY") or "")


def _sign_notice(context: StepContext) -> list[int]:
    """签发整改通知书: the notice prints the unit's own link and its QR code."""
    return [records.issue_notice(context.session, _docs(context), instance=context.instance, data=context.data,
                                 user=context.user, now=context.now, link=_link(context)).id]


def _decide_plan(context: StepContext) -> None:
    rectification_plans.decide(context.session, context.instance, context.data, context.user, context.now)


def _interviewed(context: StepContext) -> None:
    interviews.record(context.session, context.instance, context.data)


def _scheduled(context: StepContext) -> list[int]:
    interviews.schedule(context.session, context.instance, context.data)
    return []


def _lock_referrals(context: StepContext) -> None:
    referrals.lock_case_referrals(context.session, records.inspection_of(context.session, context.instance))


def _first_diagram(context: StepContext) -> bool:
    """Cases started before per-hazard deadlines run on their first diagram: one deadline, no 延期, no 约谈."""
    return "review_extension" not in context.services.engine(context.session).step_keys(context.instance.state_json)


def _reinspected(context: StepContext) -> list[int]:
    answers = {str(c.get("rectified")) for c in context.data.get("checks") or []}
    if not answers <= {"yes", "no"} and _first_diagram(context):
        raise InvalidInput("本案件按原流程办理，复查结果只能选择“已整改”或“未整改，移交处理”。")
    context.data.update(followup.apply_reinspection(context.session, context.instance, context.data))
    return []


def _applied(context: StepContext) -> list[int]:
    if context.data.get("application") == "extension":
        if _first_diagram(context):
            raise InvalidInput("本案件按原流程办理，不能申请延期；请在期限届满后复查。")
        rectification_plans.record_application(context.session, context.instance, context.data)
    return []


def _refer(context: StepContext) -> list[int]:
    """签发移交函 of a case: the letter, and its entry in the referral list the departments' logins read."""
    inspection = records.inspection_of(context.session, context.instance)
    hazards = followup.referred_hazards(inspection)  # before the letter marks them 已移交
    letter = followup.issue_referral(context.session, _docs(context), instance=context.instance, data=context.data,
                                     user=context.user, now=context.now)
    targets = followup.chosen_receivers(context.session, context.instance, context.data)
    referrals.record_case_referral(context.session, inspection, letter, hazards, targets,
                                   int(context.data.get("feedback_days") or 15), context.user, context.now)
    return [letter.id]


def _feedback(context: StepContext) -> list[int]:
    """登记处理反馈 of a case: recorded on the case, and as the answer in the referral list (no more reminders)
    of the departments that have not answered through their own login (whose last answer may itself complete
    this step: referrals.record_result)."""
    followup.record_feedback(context.session, _docs(context), instance=context.instance, data=context.data,
                             now=context.now)
    inspection = records.inspection_of(context.session, context.instance)
    referrals.record_case_feedback(context.session, inspection, feedback_on=inspection.feedback_on,
                                   measures=inspection.feedback_measures, result=inspection.feedback_result,
                                   user=context.user)
    return []


def _date_referred(context: StepContext) -> list[int]:
    context.data["referred_on"] = context.now.date().isoformat()
    return []


def _day(value: object) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def due_date(step_key: str, data: dict, calendar: WorkdayCalendar) -> datetime | None:
    """送达 within 3 WD of the inspection; 复查 within 3 WD of the deadline (or of an early application);
    feedback within the letter's period in calendar days."""
    # next_due: the earliest due date of an open hazard; cases started before it use the notice's deadline
    deadline, applied = _day(data.get("next_due") or data.get("deadline")), _day(data.get("applied_on"))
    if step_key == "serve_notice" and data.get("inspected_on"):
        return records.end_of_day(calendar.add_workdays(_day(data["inspected_on"]), records.SERVICE_WORKDAYS))
    if step_key == "early_application" and deadline:
        return records.end_of_day(deadline)
    if step_key == "reinspect" and (applied or deadline):
        return records.end_of_day(calendar.add_workdays(applied or deadline, 3))
    if step_key == "record_interview" and data.get("scheduled_on"):
        return records.end_of_day(_day(data["scheduled_on"]))
    if step_key == "record_feedback" and data.get("referred_on"):
        return records.end_of_day(_day(data["referred_on"]) + timedelta(days=int(data.get("feedback_days") or 15)))
    return None


def preview_context(context: StepContext, template_key: str) -> dict:
    session, instance, data = context.session, context.instance, context.data
    if template_key == "rectification_notice":
        return records.notice_context(session, instance, data, context.now, _link(context))
    if template_key == rectification_plans.TEMPLATE:
        return rectification_plans.plan_context(rectification_plans.pending_plan(session, instance), data)
    if template_key == interviews.TEMPLATE:
        return interviews.interview_context(interviews.current(session, instance), data)
    return followup.referral_context(session, instance, data, context.now)


PROCEDURE = Procedure(
    ensure_defaults=setup.load_defaults,
    key="inspection", title="消防安全检查与隐患整改", start_roles=("inspector",), start_form="inspection_record_form",
    after_start=_record,
    before_complete={"serve_notice": _routes(), "early_application": _applied, "reinspect": _reinspected,
                     "review_extension": _routes(_decide_plan), "schedule_interview": _scheduled,
                     "record_interview": _routes(_interviewed), "record_feedback": _routes(_lock_referrals),
                     "sign_referral": _date_referred},
    after_complete={"sign_notice": _sign_notice, "serve_notice": _records(records.record_service),
                    "reinspect": _issues(followup.issue_reinspection),
                    "review_extension": _issues(rectification_plans.issue_plan),
                    "record_interview": _issues(interviews.issue_record),
                    "sign_referral": _refer,
                    "record_feedback": _feedback},
    # Until the earliest due date the unit rectifies; the timer opens 复查. A unit's application (复查 or
    # 延期) is recorded from the case page, so the wait does not sit in 待办 as if someone had to act.
    waiting_steps={"early_application": "等待单位整改，最早的整改期限届满后自动转入复查"},
    answered_elsewhere=(referrals.FEEDBACK_STEP,),
    due_date=due_date, script_functions={"inspection_route": records.inspection_route},
    case_title=lambda data: f"消防检查：{data.get('unit_name') or '单位'}（{str(data.get('inspected_on'))[:10]}）",
    preview_context=preview_context, play_demo_history=play_demo_history, demo_order=20,
    number_prefixes=(NumberUse("rectification", "隐患整改通知书", "di", suggested="{short}消整"),
                     NumberUse("reinspection", "复查意见书", "di", suggested="{short}消复"),
                     NumberUse("referral", "火灾隐患移交函", "wenhao", suggested="{short}消移")),
    retention={"inspection_record": "D10", "rectification_notice": "D30", "reinspection_opinion": "D30",
               "referral_letter": "D30", "rectification_plan": "D30", "interview_record": "D30"},
    archive_groups=(("rectification_notice", "reinspection_opinion"),),
    case_panel="procedures/inspection/context.html",
    town_figures=reports.town_figures, campaign_figures=reports.campaign_figures,
    campaign_item_counts=reports.campaign_item_counts, binder_section="检查与整改",
    unit_events=unit_file.unit_events,
    unit_visits=plans.unit_visits, visited_unit_ids=plans.visited_unit_ids, visit_plans=plans.visit_plans,
    visit_plans_endpoint="inspection.plans",
    workbook_sheets=(workbook.SHEET,), measures=measures.MEASURES,
    web_modules=("forms", "forms_followup", "views", "referral_views", "unit_link_views"),
    due_items=referral_reminders.due_items,
    receiving_desks=receiver_accounts.desks,
)
