"""签收回执: an issued document delivered to villages (communities, small grids) and departments that have
accounts.

A village recipient is a grid node, not a person: the enabled accounts scoped at that node with an office role
(RECEIVING_ROLES) receive it in 收到的公文 and any one of them signs for the village, as a village office
signs for paper. A department recipient is a desk (registry.Desk) that a procedure keeps, e.g. the inspection
procedure's 接收部门 with their 接收部门 accounts; its receipt names the town as its node. Units have no
accounts in Firegrid (they reach the town through a signed link per notice), so they stay on paper.

Scope: the issuing side sees a receipt whose recipient lies in their subtree (the issuing town sees all of its
villages' and departments', a village only its own); a department account sees its own department's only;
only the recipient's own accounts read, sign and reply; 催办 is the issuing office's (its clerk, office head or
leader). Anything else is OutOfScope (403, audit-logged).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from webapp.cases import alerts, registry
from webapp.cases.registry import Desk
from webapp.cases.reminders import REMINDING_ROLES, ReminderOutcome
from webapp.clock import TZ
from webapp.extensions import take_turns
from webapp.models import Document, DocumentReceipt, GridNode, User, UserRole
from webapp.services import audit
from webapp.services.errors import InvalidInput, NotFound, OutOfScope
from webapp.services.grid import town_of
from webapp.services.settings import reminder_settings

RECEIVING_ROLES = ("clerk", "leader", "office_head")  # a village office's people
DESK_ROLE = "receiver"  # 接收部门: an account that answers for a department, and sees only its own receipts
RECEIVING_LEVELS = ("village", "area")
REPLY_LIMIT = 2000


def receiving_users(session: Session, node_ids: list[int]) -> dict[int, list[User]]:
    """Node id → the enabled accounts that receive for it (scoped exactly there, with an office role)."""
    stmt = (select(User).join(UserRole, UserRole.user_id == User.id)
            .where(User.scope_id.in_(node_ids), User.is_enabled.is_(True), UserRole.role.in_(RECEIVING_ROLES))
            .order_by(User.username))
    found: dict[int, list[User]] = {node_id: [] for node_id in node_ids}
    for user in dict.fromkeys(session.scalars(stmt)):
        found[user.scope_id].append(user)
    return found


def candidates(session: Session, grid: GridNode) -> list[GridNode]:
    """Where a document of `grid`'s town can be delivered: its villages and small grids with receiving
    accounts, in grid order."""
    town = town_of(grid) or grid
    nodes = list(session.scalars(select(GridNode).where(GridNode.path.startswith(town.path),
                                                        GridNode.level.in_(RECEIVING_LEVELS))
                                 .order_by(GridNode.path)))
    users = receiving_users(session, [n.id for n in nodes])
    return [node for node in nodes if users[node.id]]


def desks(session: Session, grid: GridNode) -> list[Desk]:
    """The departments of `grid`'s town that receive documents (they have at least one enabled account)."""
    town = town_of(grid) or grid
    return [desk for desk in registry.receiving_desks(session, town) if desk.user_ids]


def _desk(session: Session, receipt: DocumentReceipt) -> Desk | None:
    return next((d for d in registry.receiving_desks(session, receipt.recipient) if d.key == receipt.desk), None)


def _receiver_ids(session: Session, receipt: DocumentReceipt) -> list[int]:
    """The accounts that receive, sign and reply for the receipt's recipient."""
    if receipt.desk:
        desk = _desk(session, receipt)
        return list(desk.user_ids) if desk else []
    return [u.id for u in receiving_users(session, [receipt.recipient_id])[receipt.recipient_id]]


def deliver(session: Session, *, document: Document, recipient_ids: list[int], reply_due: date | None,
            user: User | None, now: datetime, desk_keys: list[str] | None = None) -> list[DocumentReceipt]:
    """Deliver an issued document: one receipt per recipient node and per department (desk), and a 待签收
    notice for their accounts."""
    if document.status != "issued":
        raise InvalidInput("只能送达已印发的公文。")
    allowed = {node.id: node for node in candidates(session, document.grid)}
    town_desks = {desk.key: desk for desk in desks(session, document.grid)}
    if any(node_id not in allowed for node_id in recipient_ids) or any(k not in town_desks for k in desk_keys or []):
        raise InvalidInput("送达单位不在可选范围内。", fields={"deliver_to": "送达单位不在可选范围内。"})
    if reply_due is not None and reply_due < now.astimezone(TZ).date():
        raise InvalidInput("反馈期限不能早于今天。", fields={"reply_due": "反馈期限不能早于今天。"})
    town = town_of(document.grid) or document.grid
    targets = [(allowed[node_id], "", allowed[node_id].name) for node_id in dict.fromkeys(recipient_ids)]
    targets += [(town, key, town_desks[key].name) for key in dict.fromkeys(desk_keys or [])]
    made = []
    for node, desk, name in targets:
        receipt = DocumentReceipt(document=document, recipient=node, desk=desk, recipient_name=name, delivered_at=now,
                                  delivered_by_name=user.display_name if user else "", reply_due=reply_due)
        session.add(receipt)
        made.append(receipt)
    session.flush()
    for receipt in made:
        due = f"，请于{receipt.reply_due:%Y年%m月%d日}前反馈落实情况" if receipt.reply_due else ""
        notice = alerts.Notice("receipt", f"receipt:{receipt.id}", f"{_label(document)}已送达，请签收{due}。")
        alerts.notify(session, _receiver_ids(session, receipt), notice, f"待签收：{document.title}",
                      now, instance_id=document.instance_id, receipt_id=receipt.id)
    if made:
        audit.record(session, at=now, user=user, action="receipt_deliver", object_type="case",
                     object_id=document.instance_id or "", summary=f"{_label(document)}送达"
                     + "、".join(r.recipient_name for r in made))
    return made


def _label(document: Document) -> str:
    return f"《{document.title}》" + (f"（{document.number}）" if document.number else "")


def _own_desks(session: Session, user: User) -> list[str]:
    """The keys of the departments this account receives for."""
    if not user.has_role(DESK_ROLE):
        return []
    town = town_of(user.scope)
    return [desk.key for desk in registry.receiving_desks(session, town) if user.id in desk.user_ids] if town else []


def received(session: Session, user: User) -> list[DocumentReceipt]:
    """收到的公文: what was delivered to the user's own node, or to the departments they answer for, newest
    first."""
    # A desk key names one department of one town, whatever node the account is scoped at.
    mine = (DocumentReceipt.recipient_id == user.scope_id) & (DocumentReceipt.desk == "")
    own_desks = _own_desks(session, user)
    stmt = (select(DocumentReceipt).where(or_(mine, DocumentReceipt.desk.in_(own_desks)) if own_desks else mine)
            .order_by(DocumentReceipt.delivered_at.desc(), DocumentReceipt.id.desc()))
    return list(session.scalars(stmt))


def of_documents(session: Session, document_ids: list[int]) -> list[DocumentReceipt]:
    """Every recipient of these documents, in grid order (the 发文登记簿's 签收 column)."""
    return _in_grid_order(session, DocumentReceipt.document_id.in_(document_ids))


def of_case(session: Session, instance_id: int) -> list[DocumentReceipt]:
    """The issuer's view of a case's documents: every recipient, in grid order (the case page's 签收情况)."""
    case_documents = select(Document.id).where(Document.instance_id == instance_id)
    return _in_grid_order(session, DocumentReceipt.document_id.in_(case_documents))


def _in_grid_order(session: Session, condition: ColumnElement[bool]) -> list[DocumentReceipt]:
    stmt = (select(DocumentReceipt).join(GridNode, GridNode.id == DocumentReceipt.recipient_id).where(condition)
            .order_by(GridNode.path, DocumentReceipt.desk, DocumentReceipt.recipient_name))
    return list(session.scalars(stmt))


def _oversees(user: User) -> bool:
    """Sees the receipts in their scope, not only their own: anyone but a department's account."""
    return bool(user.roles - {DESK_ROLE})


def tally(rows: list[DocumentReceipt]) -> str:
    """已签收 m/n of one document's receipts; "" when it was delivered to nobody."""
    return f"已签收 {sum(1 for r in rows if r.signed_at)}/{len(rows)}" if rows else ""


def detail(rows: list[DocumentReceipt]) -> str:
    """Each recipient's state in one line: 松林村：已签收（柯佳怡，2026-03-05）；桃园村：已送达（未签收）."""
    def one(r: DocumentReceipt) -> str:
        if r.signed_at is None:
            return f"{r.recipient_name}：{r.state_label}（未签收）"
        return f"{r.recipient_name}：{r.state_label}（{r.signed_by_name}，{r.signed_at.astimezone(TZ):%Y-%m-%d}）"

    return "；".join(one(r) for r in rows)


def visible(session: Session, user: User, receipt_id: int) -> DocumentReceipt:
    """A receipt the user may see: their own, or (the issuing side) one whose recipient lies in their scope;
    another village's or another department's is refused."""
    receipt = session.get(DocumentReceipt, receipt_id)
    if receipt is None:
        raise NotFound("没有这份签收回执。")
    if not (is_receiver(user, receipt, session) or _oversees(user) and user.scope.contains(receipt.recipient)):
        raise OutOfScope(f"“{receipt.recipient_name}”的签收回执不在您的管辖范围内。")
    return receipt


def is_receiving_account(user: User) -> bool:
    """A village (or small grid) office account, or a department's account: it has 收到的公文."""
    return user.has_role(DESK_ROLE) or user.scope.level in RECEIVING_LEVELS and user.has_role(*RECEIVING_ROLES)


def is_receiver(user: User, receipt: DocumentReceipt, session: Session) -> bool:
    """One of the accounts that sign for the recipient (a department's: its desk names them)."""
    if receipt.desk:
        return user.has_role(DESK_ROLE) and user.id in _receiver_ids(session, receipt)
    return user.scope_id == receipt.recipient_id and user.has_role(*RECEIVING_ROLES)


def _own(session: Session, user: User, receipt_id: int) -> DocumentReceipt:
    receipt = visible(session, user, receipt_id)
    if not is_receiver(user, receipt, session):
        raise OutOfScope(f"只有{receipt.recipient_name}的文书或负责人可以签收、反馈。")
    return receipt


def open_receipt(session: Session, user: User, receipt_id: int, now: datetime) -> DocumentReceipt:
    """The receipt page: the recipient's first visit marks it read (已阅读); the issuer's does not."""
    receipt = visible(session, user, receipt_id)
    if receipt.read_at is None and is_receiver(user, receipt, session):
        receipt.read_at, receipt.read_by_name = now, user.display_name
        session.flush()
    return receipt


def sign(session: Session, user: User, receipt_id: int, now: datetime) -> DocumentReceipt:
    receipt = _own(session, user, receipt_id)
    if receipt.signed_at is not None:
        raise InvalidInput(f"本件已由{receipt.signed_by_name}于{receipt.signed_at.astimezone(TZ):%Y年%m月%d日}签收。")
    receipt.signed_at, receipt.signed_by_name = now, user.display_name
    if receipt.read_at is None:
        receipt.read_at, receipt.read_by_name = now, user.display_name
    audit.record(session, at=now, user=user, action="receipt_sign", object_type="receipt", object_id=receipt.id,
                 summary=f"{receipt.recipient_name}签收{_label(receipt.document)}")
    session.flush()
    return receipt


def reply(session: Session, user: User, receipt_id: int, *, text: str, attachment: dict | None,
          now: datetime) -> DocumentReceipt:
    """落实情况: the text (and an optional checked upload); it signs the receipt too if not yet signed."""
    receipt = _own(session, user, receipt_id)
    if receipt.reply_due is None:
        raise InvalidInput("本件未要求反馈落实情况。")
    text = text.strip()
    if not text:
        raise InvalidInput("请填写落实情况。", fields={"reply": "请填写落实情况。"})
    if len(text) > REPLY_LIMIT:
        raise InvalidInput(f"落实情况不能超过{REPLY_LIMIT}个字。", fields={"reply": f"不能超过{REPLY_LIMIT}个字。"})
    if receipt.signed_at is None:
        sign(session, user, receipt_id, now)
    receipt.reply, receipt.reply_file = text, attachment
    receipt.replied_at, receipt.replied_by_name = now, user.display_name
    audit.record(session, at=now, user=user, action="receipt_reply", object_type="receipt", object_id=receipt.id,
                 summary=f"{receipt.recipient_name}反馈{_label(receipt.document)}的落实情况")
    session.flush()
    return receipt


def may_remind(user: User, receipt: DocumentReceipt) -> bool:
    """The issuing office nudges: a clerk, office head or leader whose scope holds the document."""
    return user.has_role(*REMINDING_ROLES) and user.scope.contains(receipt.document.grid) and receipt.outstanding


def remind(session: Session, user: User, receipt_id: int, now: datetime) -> ReminderOutcome:
    """催办 a recipient that has not signed (or not replied): a notice to its accounts, at most once per the
    town's 催办 interval; a refused attempt is audit-logged too. Flushes only."""
    take_turns(session, DocumentReceipt, receipt_id)  # a second 催办 at once waits here, then sees the first
    receipt = session.scalar(select(DocumentReceipt).where(DocumentReceipt.id == receipt_id)
                             .execution_options(populate_existing=True))
    if receipt is None:
        raise NotFound("没有这份签收回执。")
    if not (user.has_role(*REMINDING_ROLES) and user.scope.contains(receipt.document.grid)):
        raise OutOfScope("只有发文单位的文书、办公室负责人或领导可以催办签收。")
    if not receipt.outstanding:
        raise InvalidInput(f"{receipt.recipient_name}已签收并反馈，无需催办。")
    interval = timedelta(hours=reminder_settings(session, town_of(receipt.document.grid)).reminder_interval_hours)
    if receipt.reminded_at is not None and now < receipt.reminded_at + interval:
        message = (f"已于{receipt.reminded_at.astimezone(TZ):%Y年%m月%d日 %H:%M}催办{receipt.recipient_name}，"
                   f"{(receipt.reminded_at + interval).astimezone(TZ):%Y年%m月%d日 %H:%M}后可再次催办。")
        audit.record(session, at=now, user=user, action="receipt_remind_refused", object_type="receipt",
                     object_id=receipt.id, summary=message)
        return ReminderOutcome(False, message)
    missing = "签收" if receipt.signed_at is None else "反馈落实情况"
    notice = alerts.Notice("reminder", f"receipt_reminder:{receipt.id}:{receipt.reminders}",
                           f"{user.display_name}催办：{_label(receipt.document)}尚未{missing}。")
    if not alerts.notify(session, _receiver_ids(session, receipt), notice, f"催办：{receipt.document.title}", now,
                         instance_id=receipt.document.instance_id, receipt_id=receipt.id):
        raise InvalidInput(f"{receipt.recipient_name}目前没有可接收催办的账号。")
    receipt.reminded_at, receipt.reminders = now, receipt.reminders + 1
    audit.record(session, at=now, user=user, action="receipt_remind", object_type="receipt", object_id=receipt.id,
                 summary=f"催办{receipt.recipient_name}{missing}{_label(receipt.document)}")
    session.flush()
    return ReminderOutcome(True, f"已催办{receipt.recipient_name}，其账号会在消息提醒中看到。")
