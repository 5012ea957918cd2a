"""送达 of an issued notice to the villages that have accounts (签收回执 lives in cases.receipts).

How 主送 maps to recipients: 主送 is text printed on the notice ("各村（社区）", a village's name, "镇直各部门",
a member unit …), so the clerk picks the recipients at 印发登记 from the town's villages and small grids
that have accounts, starting from a default read off 主送: "各村（社区）" means every village of the town, a
village named in 主送 means that village. Small grids are never defaulted (主送 never names them) but may be
ticked. Departments and units have no accounts, so a notice reaches them on paper as before.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.orm import Session

from webapp.cases import receipts
from webapp.cases.registry import StepContext
from webapp.models import GridNode, ProcessInstance
from webapp.procedures.notice_issuance import notices

ALL_VILLAGES = "各村（社区）"


def choices(session: Session, instance: ProcessInstance) -> list[GridNode]:
    return receipts.candidates(session, instance.grid)


def default_recipients(session: Session, instance: ProcessInstance, nodes: list[GridNode]) -> list[int]:
    """The recipients the issued notice's 主送 names: every village for 各村（社区）, else the villages named
    one by one."""
    document = notices.issued_document(session, instance)
    named = set(json.loads(document.context_json).get("addressees") or []) if document else set()
    every_village = ALL_VILLAGES in named
    return [node.id for node in nodes
            if node.level == "village" and (every_village or node.name in named)]


def deliver(ctx: StepContext) -> None:
    """印发登记: deliver the issued notice to the ticked recipients, with the 落实情况 deadline if any."""
    chosen = [int(value) for value in ctx.data.get("deliver_to") or [] if str(value).isdigit()]
    if not chosen:
        return
    due = ctx.data.get("reply_due")
    receipts.deliver(ctx.session, document=notices.issued_document(ctx.session, ctx.instance),
                     recipient_ids=chosen, reply_due=date.fromisoformat(str(due)[:10]) if due else None,
                     user=ctx.user, now=ctx.now)
