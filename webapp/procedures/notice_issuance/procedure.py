"""发文 (official notice issuance): 拟稿 → 核稿 → (会签) → 签发 → 编号、成文 → 印发登记.

The number is allocated and the red-header DOCX stored in the 签发 transaction; a failure there
rolls everything back, so no number is consumed and no file is left behind.
"""

from __future__ import annotations

import logging

from webapp.cases.registry import FollowUp, NumberUse, Procedure, StepContext
from webapp.procedures.notice_issuance import delivery, demo, issuing_sheet, notices, tracked, versions
from webapp.services.errors import DomainError, InvalidInput
from webapp.services.grid import required_town

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
    """印发登记: the distribution record, 送达 to the chosen villages (签收回执), and the 发文稿纸."""
    notices.record_distribution(ctx.session, instance=ctx.instance, data=ctx.data, user=ctx.user, now=ctx.now)
    delivery.deliver(ctx)
    return [issuing_sheet.file_sheet(ctx).id]


def preview_context(ctx: StepContext, template_key: str) -> dict:
    # A draft (also one being previewed from the form) lists the kept attachments and the new uploads.
    data = notices.preview_data(ctx.data, dict(ctx.data)) if "kept_attachments" in ctx.data else ctx.data
    town = required_town(ctx.instance.grid, "发文")
    return notices.document_context(ctx.session, data, today=ctx.now.date(), town=town)


PROCEDURE = Procedure(
    key=notices.PROCEDURE_KEY,
    title="发文（通知、通报、报告等）",
    start_roles=("clerk",),
    start_form="notice_start",
    # Each 拟稿, 核稿 and 会签 is kept as a version of the text (稿本); 签发 freezes the 定稿 (versions, tracked).
    before_complete={"draft": versions.recorded("draft", prepare_draft),
                     "review": versions.recorded("review", versions.keep_unedited),
                     "countersign": versions.recorded("countersign", record_countersign),
                     "sign_off": prepare_sign_off},
    after_complete={"sign_off": tracked.signed_off(issue_document), "distribute": record_distribution},
    separated_steps={"sign_off": ("draft",)},
    case_title=notices.case_title,
    preview_context=preview_context,
    preview_template=notices.template_key,
    play_demo_history=demo.play_history,
    demo_order=30,
    number_prefixes=(NumberUse("town_notice", "镇政府下行文（通知、通报、意见）", "wenhao", suggested="{short}府发"),
                     NumberUse("town_upward", "镇政府上行文（报告、请示）", "wenhao", suggested="{short}府文"),
                     NumberUse("town_letter", "镇政府函", "wenhao", suggested="{short}府函"),
                     NumberUse("committee_notice", "消安委通知、通报", "wenhao", organ="committee",
                               suggested="{short}消安委发")),
    retention={"notice": "D30", "notice_upward": "D30", "bulletin": "D30", issuing_sheet.TEMPLATE: "D30"},
    archive_groups=tuple((key, issuing_sheet.TEMPLATE) for key in ("notice", "notice_upward", "bulletin")),
    binder_section="通知与通报",
    case_panel="procedures/notice_issuance/context.html",
    web_modules=("forms", "views", "version_views"),
    follow_up=FollowUp("另行发文", ("clerk",), notices.start_from_basis),
)
