"""Procedure 2 — 消防安全目标责任书: campaign → text approved → batch of letters → signing → close."""

from __future__ import annotations

from webapp.cases.registry import DemoContext, Procedure, StepContext
from webapp.procedures.responsibility_letters import batch, campaigns, dashboard, signing, unit_file
from webapp.procedures.responsibility_letters.models import LetterCampaign
from webapp.services.errors import InvalidInput


def _library(context: StepContext):
    return context.services.documents.library


def _campaign(context: StepContext) -> LetterCampaign:
    campaign = campaigns.campaign_for_instance(context.session, context.instance.id)
    if campaign is None:
        raise InvalidInput("尚未拟定责任书文本。")
    return campaign


def _with_earlier_data(context: StepContext) -> dict:
    """A before-hook sees only the submitted form; the start form's choices live in the task data."""
    return {**context.ready_data(), **context.data}


def _save_draft(context: StepContext) -> list[int]:
    """拟定文本: keep the campaign's text; refuse a scope with nobody to sign with."""
    data = _with_earlier_data(context)
    campaign = campaigns.save_draft(context.session, _library(context), context.instance, data, context.now)
    parties = campaigns.counterparties(context.session, campaign.grid, campaign.counterparty_set,
                                               campaign.categories)
    if not parties:
        raise InvalidInput("按所选范围没有找到任何签订对象。")
    context.data["counterparty_count"] = len(parties)
    return []


def _start_generation(context: StepContext) -> list[int]:
    """审定同意: one letter row per counterparty, then the background job renders them."""
    campaign = _campaign(context)
    campaigns.plan_letters(context.session, campaign, context.now)
    batch.start_generation(context.session, campaign, context.now)
    return []


def _check_signing(context: StepContext) -> list[int]:
    campaign = _campaign(context)
    if campaign.status == "generating":
        raise InvalidInput("责任书仍在批量生成中，请生成完成后再提交。")
    context.data["all_signed"] = signing.all_signed(context.session, campaign)
    return []


def _close_when_all_signed(context: StepContext) -> list[int]:
    if context.data.get("all_signed"):
        campaigns.close(context.session, _campaign(context), note="全部签订", now=context.now)
    return []


def _close(context: StepContext) -> list[int]:
    note = str(context.data.get("close_note") or "领导关闭")
    campaigns.close(context.session, _campaign(context), note=note, now=context.now)
    return []


def _preview_context(context: StepContext, template_key: str) -> dict:
    """The letter the first counterparty would get, from the text as drafted now."""
    data = context.data
    text = campaigns.text_from_data(_library(context), data)
    campaign = LetterCampaign(year=int(data["year"]), party_a_name=data.get("party_a_name") or
                              campaigns.organ_name(context.instance.grid),
                              party_a_signatory=data.get("party_a_signatory") or "", text=text)
    parties = campaigns.counterparties(context.session, context.instance.grid,
                                               str(data.get("counterparty_set") or "units"),
                                               list(data.get("categories") or []))
    if not parties:
        raise InvalidInput("按所选范围没有找到任何签订对象。")
    return campaigns.letter_context(campaign, parties[0])


def _play_demo(context: DemoContext) -> None:
    from webapp.procedures.responsibility_letters.demo import play

    play(context)


PROCEDURE = Procedure(
    job_kinds=(batch.JOB,),
    key="responsibility_letters", title="消防安全目标责任书签订", start_roles=("clerk",),
    start_form="letters_start_form",
    before_complete={"draft": _save_draft, "signing": _check_signing},
    after_complete={"approve": _start_generation, "signing": _close_when_all_signed, "close": _close},
    case_title=lambda data: f"{data['year']}年度消防安全目标责任书签订",
    preview_context=_preview_context, play_demo_history=_play_demo, demo_order=10,
    retention={"responsibility_letter": "D10"}, binder_section="责任书",
    case_panel="procedures/responsibility_letters/context.html",
    town_figures=dashboard.town_figures, measures=dashboard.MEASURES, unit_events=unit_file.unit_events,
)
