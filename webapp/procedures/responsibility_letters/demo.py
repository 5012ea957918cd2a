"""Demo history for responsibility letters: this year's town↔villages/departments campaign
(fully signed) and one village↔units campaign per village (partly signed), through the real
services, with the fast renderer and no PDFs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.cases.registry import DemoContext
from webapp.demo import scans as demo_scans
from webapp.models import GridNode, User, WorkTask
from webapp.procedures.responsibility_letters.batch import JOB_KIND
from webapp.procedures.responsibility_letters.campaigns import KINDS, campaign_for_instance, default_text, organ_name
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter
from webapp.procedures.responsibility_letters.signing import Signing, finish_if_all_signed, sign
from webapp.services import jobs

PROCEDURE = "responsibility_letters"


def _moment(context: DemoContext, month: int, day: int) -> datetime:
    moment = context.today.replace(month=month, day=day, hour=9, minute=30, second=0, microsecond=0)
    return min(moment, context.today)


def _draft_data(context: DemoContext, node: GridNode) -> dict:
    text = default_text(context.services.documents.library, context.year)
    return {
        "year": context.year, "party_a_name": organ_name(node), "party_a_signatory": "",
        "term_start": text["term"]["start"], "term_end": text["term"]["end"], "preamble": text["preamble"],
        "targets": "\n".join(text["targets"]), "assessment": "\n".join(text["assessment"]),
        "copies_note": text["copies_note"], **{f"duties_{k}": "\n".join(text["duties"][k]) for k in KINDS},
    }


def _submit(context: DemoContext, user: User, instance_id: int, step: str, data: dict) -> None:
    task = context.session.scalar(select(WorkTask).where(WorkTask.instance_id == instance_id,
                                                         WorkTask.step_key == step))
    cases.submit_task(context.session, context.services, user=user, work_task_id=task.id, data=data,
                      now=context.clock.now())


def _campaign(context: DemoContext, clerk: User, leader: User, node: GridNode, counterparty_set: str, day: int):
    context.clock.set(_moment(context, 1, day))
    data = {"year": context.year, "grid_id": node.id, "counterparty_set": counterparty_set, "categories": [],
            "print_pdf": False}
    instance = cases.start_case(context.session, context.services, procedure_key=PROCEDURE, user=clerk, grid=node,
                                title=f"{context.year}年度消防安全目标责任书签订", data=data, now=context.clock.now())
    _submit(context, clerk, instance.id, "draft", _draft_data(context, node))
    context.clock.set(_moment(context, 1, day + 2))
    _submit(context, leader, instance.id, "approve", {})
    context.session.commit()
    # the letters' batch only, as a worker would run it; the issued letters' PDFs are left to the server's
    # background loop (LibreOffice would hold up the demo's first start by half a minute)
    jobs.run_due_jobs(context.session, context.services, worker="demo-history", clock=context.clock.now,
                      kinds=[JOB_KIND])
    return campaign_for_instance(context.session, instance.id)


def _sign(context: DemoContext, clerk: User, campaign, keep_unsigned_every: int | None) -> None:
    letters = list(context.session.scalars(select(ResponsibilityLetter).where(
        ResponsibilityLetter.campaign_id == campaign.id, ResponsibilityLetter.status == "issued")
        .order_by(ResponsibilityLetter.id)))
    for index, letter in enumerate(letters):
        if keep_unsigned_every and index % keep_unsigned_every == keep_unsigned_every - 1:
            continue
        signed_on = min(_moment(context, 1, 20) + timedelta(days=index % 30), context.today)
        context.clock.set(signed_on)
        scan = demo_scans.upload_scan(context.session, context.services.documents.store,
                                      f"{letter.party_b_name}_签字盖章件", signed_on)
        sign(context.session, letter, Signing(signed_on.date(), scan_sha256=scan["file"]), user=clerk, now=signed_on)
    finish_if_all_signed(context.session, context.services, campaign, user=clerk, now=context.clock.now())
    context.session.commit()


def play(context: DemoContext) -> None:
    users = {u.username: u for u in context.session.scalars(select(User))}
    clerk, leader = users.get("clerk"), users.get("leader")
    town = context.session.scalar(select(GridNode).where(GridNode.level == "town").order_by(GridNode.id))
    if clerk is None or leader is None or town is None or context.today.month == 1 and context.today.day < 12:
        return  # too early in the year for a campaign to have run
    campaign = _campaign(context, clerk, leader, town, "villages_departments", 5)
    _sign(context, clerk, campaign, None)
    for offset, village in enumerate(n for n in town.children if n.level == "village"):
        campaign = _campaign(context, clerk, leader, village, "units", 8 + offset)
        _sign(context, clerk, campaign, 3 + offset)
    context.clock.set(context.today)
