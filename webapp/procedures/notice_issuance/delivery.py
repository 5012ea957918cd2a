"""送达 of an issued notice to the villages and departments that have accounts (签收回执 lives in
cases.receipts).

How 主送 maps to recipients: 主送 is text printed on the notice ("各村（社区）", a village's name, "镇直各部门",
a member unit …), so the clerk picks the recipients at 印发登记 from the town's villages and small grids
that have accounts and its departments with 接收部门 accounts, starting from a default read off 主送:
"各村（社区）" means every village of the town, "镇直各部门" every such department, a village or department
named in 主送 means that one. Small grids are never defaulted (主送 never names them) but may be ticked.
Units have no accounts, so a notice reaches them on paper as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from webapp.cases import receipts
from webapp.cases.registry import StepContext
from webapp.models import ProcessInstance
from webapp.procedures.notice_issuance import notices

ALL_VILLAGES = "各村（社区）"
ALL_DEPARTMENTS = "镇直各部门"


@dataclass(frozen=True)
class Recipient:
    value: str  # a node id ("12") or a department's desk key ("receiver:5"), as the form posts it
    name: str
    kind: str  # "village" | "area" | "department"


def choices(session: Session, instance: ProcessInstance) -> list[Recipient]:
    """Villages and small grids with accounts, then departments with accounts."""
    nodes = [Recipient(str(node.id), node.name, node.level) for node in receipts.candidates(session, instance.grid)]
    return nodes + [Recipient(desk.key, desk.name, "department") for desk in receipts.desks(session, instance.grid)]


def default_recipients(session: Session, instance: ProcessInstance, recipients: list[Recipient]) -> list[str]:
    """The recipients the issued notice's 主送 names: every village for 各村（社区）, every department for
    镇直各部门, else the villages and departments named one by one."""
    document = notices.issued_document(session, instance)
    named = set(json.loads(document.context_json).get("addressees") or []) if document else set()
    every = {"village": ALL_VILLAGES in named, "department": ALL_DEPARTMENTS in named}
    return [r.value for r in recipients if r.kind in every and (every[r.kind] or r.name in named)]


def deliver(ctx: StepContext) -> None:
    """印发登记: deliver the issued notice to the ticked recipients, with the 落实情况 deadline if any."""
    values = [str(value) for value in ctx.data.get("deliver_to") or []]
    nodes, desks = [int(v) for v in values if v.isdigit()], [v for v in values if not v.isdigit()]
    if not values:
        return
    due = ctx.data.get("reply_due")
    receipts.deliver(ctx.session, document=notices.issued_document(ctx.session, ctx.instance),
                     recipient_ids=nodes, desk_keys=desks, reply_due=date.fromisoformat(str(due)[:10]) if due else None,
                     user=ctx.user, now=ctx.now)
