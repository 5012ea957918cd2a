"""发文 (official notice issuance): 拟稿 → 核稿 → (会签) → 签发 → 编号、成文 → 印发登记.

The number is allocated and the red-header DOCX stored in the 签发 transaction; a failure there
rolls everything back, so no number is consumed and no file is left behind.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import select

from webapp.cases.registry import DemoContext, Procedure, StepContext
from webapp.clock import TZ
from webapp.demo import scans as demo_scans
from webapp.models import User
from webapp.procedures.notice_issuance import demo, notices
from webapp.services.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)


class IssueFailed(InvalidInput):
    """Rendering or storing the document failed after the number was allocated: nothing was kept."""


def prepare_draft(ctx: StepContext) -> list[int]:
    existing = ctx.ready_data().get("attachments") or []
    uploaded = ctx.data.pop("new_attachments", None) or []
    attachments = notices.merge_attachments(existing, ctx.data.get("kept_attachments") or [], uploaded)
    ctx.data.update(
        attachments=attachments, kept_attachments=[notices.kept_value(a) for a in attachments],
        has_co_signers=bool(ctx.data.get("co_signers")),
    )
    return []


def record_countersign(ctx: StepContext) -> list[int]:
    ctx.data["countersigned"] = ctx.user.username if ctx.user else ""
    return []


def prepare_sign_off(ctx: StepContext) -> list[int]:
    """签发人 and date go into the case data; they appear in the header of an 上行文."""
    full = {**ctx.ready_data(), **ctx.data}
    signed_on = ctx.now.date().isoformat()
    recipients = notices.addressees(full) + notices.split_names(full.get("cc", ""))
    ctx.data.update(signer=ctx.user.display_name if ctx.user else "", signed_on=signed_on,
                    printed_on=signed_on, recipients="、".join(recipients))
    return []


def issue_document(ctx: StepContext) -> list[int]:
    try:
        document = notices.issue_from_case(ctx.session, ctx.services, instance=ctx.instance, data=ctx.data,
                                           user=ctx.user, now=ctx.now)
    except DomainError:
        raise
    except Exception as error:
        log.exception("issuing the document of case %s failed", ctx.instance.id)
        raise IssueFailed("公文生成失败，本次签发未生效，文号未被占用。请稍后重试或联系管理员。") from error
    return [document.id]


def record_distribution(ctx: StepContext) -> list[int]:
    notices.record_distribution(ctx.session, instance=ctx.instance, data=ctx.data, user=ctx.user, now=ctx.now)
    return []


def preview_context(ctx: StepContext, template_key: str) -> dict:
    # A draft (also one being previewed from the form) lists the kept attachments and the new uploads.
    data = notices.preview_data(ctx.data, dict(ctx.data)) if "kept_attachments" in ctx.data else ctx.data
    return notices.document_context(ctx.session, data, today=ctx.now.date())


# Demo history: (month, day, draft) — played through the services, from 拟稿 to 印发登记.
DEMO_NOTICES = [
    (1, 12, {"kind": "通知", "title": "关于开展冬春火灾防控工作的通知",
             "addressees": ["各村（社区）", "镇直各部门"], "cc": "江岸区消防救援大队、青石派出所",
             "body": "为切实做好今冬明春火灾防控工作，结合我镇实际，现就有关事项通知如下：\n"
                     "一、开展隐患排查\n各村（社区）要对辖区“九小场所”、出租屋逐户排查，建立台账。\n"
                     "二、加强宣传培训\n（一）入户宣传\n发放消防安全提示，开展家庭防火检查。\n"
                     "（二）组织演练\n1.各村（社区）至少组织一次疏散演练。"}),
    (2, 24, {"kind": "通知", "title": "关于印发《青石镇消防安全网格化管理实施方案》的通知",
             "addressees": ["各村（社区）", "镇直各部门"], "cc": "江岸区消防安全委员会办公室",
             "body": "现将《青石镇消防安全网格化管理实施方案》印发给你们，请认真贯彻执行。",
             "demo_attachment": "青石镇消防安全网格化管理实施方案"}),
    (7, 8, {"kind": "报告", "direction": "up", "title": "关于青石镇2026年上半年消防安全工作情况的报告",
            "addressees": ["江岸区人民政府"], "copies": 5,
            "body": "现将我镇上半年消防安全工作情况报告如下：\n一、主要工作\n"
                    "全镇签订消防安全目标责任书，开展月度消防安全检查。\n二、下步打算\n继续深化网格化管理。"}),
]


def _demo_notice(ctx: DemoContext, start: datetime, draft: dict) -> None:
    clerk = ctx.session.scalar(select(User).where(User.username == "clerk"))
    draft = dict(draft)
    name = draft.pop("demo_attachment", None)
    if name:
        draft["attachments"] = [demo_scans.upload_scan(ctx.session, ctx.services.documents.store, name, start)]
    ctx.clock.set(start)
    instance = notices.start_notice(ctx.session, ctx.services, user=clerk, grid=clerk.scope, draft=draft,
                                    now=start)
    demo.walk_notice(ctx, instance.id, draft, start)


def play_history(ctx: DemoContext) -> None:
    """A few notices of this year, up to today (fast: DOCX only, no PDF)."""
    for month, day, draft in DEMO_NOTICES:
        start = datetime.combine(datetime(ctx.year, month, day).date(), time(9, 0), tzinfo=TZ)
        if start + timedelta(days=3) > ctx.today:
            break
        _demo_notice(ctx, start, draft)
    ctx.clock.set(ctx.today)


PROCEDURE = Procedure(
    key=notices.PROCEDURE_KEY,
    title="发文（通知、通报、报告等）",
    start_roles=("clerk",),
    start_form="notice_start",
    before_complete={"draft": prepare_draft, "countersign": record_countersign, "sign_off": prepare_sign_off},
    after_complete={"sign_off": issue_document, "distribute": record_distribution},
    case_title=notices.case_title,
    preview_context=preview_context,
    preview_template=notices.template_key,
    play_demo_history=play_history,
    demo_order=30,
    retention={"notice": "D30", "notice_upward": "D30", "bulletin": "D30"},
    case_panel="procedures/notice_issuance/context.html",
)
