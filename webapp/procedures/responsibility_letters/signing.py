"""Recording signings (签订登记): one by one or in bulk, undo with a reason, void and re-issue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from webapp.cases import actions as cases
from webapp.cases.runtime import CaseRuntime
from webapp.models import AttachmentRole, DocumentAttachment, User, WorkTask
from webapp.procedures.responsibility_letters.batch import render_letter
from webapp.procedures.responsibility_letters.campaigns import count_letters
from webapp.procedures.responsibility_letters.models import LetterCampaign, LetterEvent, ResponsibilityLetter
from webapp.services import audit, documents
from webapp.services.errors import DomainError, InvalidInput, OutOfScope, TaskConflict
from webapp.services.grid import ensure_in_scope, get_in_scope

SIGNING_STEP = "signing"


@dataclass
class Signing:
    signed_on: date
    signatory_a: str = ""
    signatory_b: str = ""
    scan_sha256: str | None = None


def get_letter(session: Session, user: User, letter_id: int) -> ResponsibilityLetter:
    return get_in_scope(session, user, ResponsibilityLetter, letter_id, "责任书不存在。")


def _may_record(user: User, campaign: LetterCampaign) -> None:
    if not user.has_role("clerk", "leader"):
        raise OutOfScope("只有文书或领导可以登记责任书签订情况。")
    if campaign.status == "closed":
        raise InvalidInput("该签订活动已结束，不能再修改签订情况。")


def _event(session: Session, letter: ResponsibilityLetter, user: User, now: datetime, action: str, note: str) -> None:
    session.add(LetterEvent(letter_id=letter.id, at=now, user_id=user.id, action=action, note=note))


def sign(session: Session, letter: ResponsibilityLetter, signing: Signing, *, user: User, now: datetime) -> None:
    _may_record(user, letter.campaign)
    if letter.status != "issued":
        raise InvalidInput(f"“{letter.party_b_name}”的责任书当前为“{letter.status_label}”，不能登记签订。")
    if signing.signed_on > now.date():
        raise InvalidInput("签订日期不能晚于今天。", field="signed_on")
    _claim(session, letter, "issued", "signed")
    letter.signed_on, letter.signed_at, letter.signed_by_id = signing.signed_on, now, user.id
    letter.signatory_a = signing.signatory_a.strip() or letter.campaign.party_a_signatory
    letter.signatory_b = signing.signatory_b.strip() or letter.responsible_person
    letter.scan_sha256 = signing.scan_sha256
    if signing.scan_sha256 and letter.document is not None:
        # The signed paper files with its letter: the archive packs it into the same item (件).
        session.add(DocumentAttachment(document=letter.document, file_sha256=signing.scan_sha256,
                                       role=AttachmentRole.SCAN, name=f"{letter.party_b_name}_签字盖章件",
                                       created_at=now))
    _event(session, letter, user, now, "sign", f"签订日期 {signing.signed_on.isoformat()}")
    session.flush()


def _claim(session: Session, letter: ResponsibilityLetter, before: str, after: str) -> None:
    """Move the letter from `before` to `after` in one conditional UPDATE: of two people recording the same
    letter at once, the second finds the status already changed (the row is locked until the first commits)
    and is told so; nothing of theirs is recorded."""
    changed = session.execute(
        update(ResponsibilityLetter)
        .where(ResponsibilityLetter.id == letter.id, ResponsibilityLetter.status == before)
        .values(status=after)
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        session.refresh(letter)
        raise TaskConflict(f"“{letter.party_b_name}”的责任书刚刚已由他人登记为“{letter.status_label}”，"
                           "请刷新页面查看。")
    set_committed_value(letter, "status", after)


def bulk_sign(session: Session, campaign: LetterCampaign, letter_ids: list[int], signed_on: date, *, user: User,
              now: datetime) -> int:
    """批量登记：selected letters signed on one date; letters out of scope or not signable are refused."""
    if not letter_ids:
        raise InvalidInput("请先勾选要登记的责任书。")
    letters = list(session.scalars(select(ResponsibilityLetter).where(
        ResponsibilityLetter.campaign_id == campaign.id, ResponsibilityLetter.id.in_(letter_ids))))
    if len(letters) != len(set(letter_ids)):
        raise InvalidInput("所选责任书不属于该签订活动。")
    for letter in letters:
        ensure_in_scope(user, letter.grid)
        sign(session, letter, Signing(signed_on), user=user, now=now)
    audit.record(session, at=now, user=user, action="letters_bulk_sign", object_type="letter_campaign",
                 object_id=campaign.id, summary=f"批量登记签订{len(letters)}份（{signed_on.isoformat()}）")
    return len(letters)


def undo(session: Session, letter: ResponsibilityLetter, reason: str, *, user: User, now: datetime) -> None:
    _may_record(user, letter.campaign)
    if letter.status != "signed":
        raise InvalidInput("该责任书尚未登记签订。")
    if not reason.strip():
        raise InvalidInput("撤销签订登记必须填写原因。")
    _claim(session, letter, "signed", "issued")
    letter.signed_on, letter.signed_at, letter.signed_by_id = None, None, None
    letter.signatory_a = letter.signatory_b = ""
    if letter.scan_sha256 and letter.document is not None:
        session.execute(delete(DocumentAttachment).where(
            DocumentAttachment.document_id == letter.document.id, DocumentAttachment.role == AttachmentRole.SCAN,
            DocumentAttachment.file_sha256 == letter.scan_sha256))
    letter.scan_sha256 = None
    _event(session, letter, user, now, "undo", reason.strip())
    session.flush()


def void_and_reissue(session: Session, docs: documents.DocumentServices, letter: ResponsibilityLetter,
                     reason: str, *, user: User, now: datetime) -> ResponsibilityLetter:
    """作废并重新出具: the old letter and its document are voided, the next revision is rendered now."""
    _may_record(user, letter.campaign)
    if letter.status not in ("issued", "signed") or letter.document is None:
        raise InvalidInput("只有已生成的责任书可以作废重出。")
    if not reason.strip():
        raise InvalidInput("作废必须填写原因。")
    documents.void(session, letter.document, reason)
    letter.status, letter.void_reason = "void", reason.strip()
    _event(session, letter, user, now, "void", reason.strip())
    new = ResponsibilityLetter(
        campaign_id=letter.campaign_id, counterparty_key=letter.counterparty_key, revision=letter.revision + 1,
        kind=letter.kind, party_b_name=letter.party_b_name, responsible_person=letter.responsible_person,
        phone=letter.phone, grid_id=letter.grid_id, grid_path=letter.grid_path, unit_id=letter.unit_id,
        status="pending", created_at=now)
    session.add(new)
    session.flush()
    render_letter(session, docs, letter.campaign, new, now)
    _event(session, new, user, now, "reissue", f"第{new.revision}版，替代作废的第{letter.revision}版")
    letter.campaign.combined_stale = True
    session.flush()
    return new


def all_signed(session: Session, campaign: LetterCampaign) -> bool:
    required = count_letters(session, campaign.id)
    return required > 0 and count_letters(session, campaign.id, "signed") == required


def finish_if_all_signed(session: Session, runtime: CaseRuntime, campaign: LetterCampaign, *, user: User,
                         now: datetime) -> bool:
    """When the last letter is signed, the clerk's 组织签订 step completes and the campaign closes."""
    if campaign.status != "signing" or not all_signed(session, campaign):
        return False
    task = session.scalar(select(WorkTask).where(WorkTask.instance_id == campaign.instance_id,
                                                 WorkTask.step_key == SIGNING_STEP))
    if task is None:
        return False
    savepoint = session.begin_nested()  # a refused completion must leave nothing half-done behind
    try:
        cases.submit_task(session, runtime, user=user, work_task_id=task.id, data={"close_note": "全部签订"}, now=now)
    except DomainError:
        savepoint.rollback()
        return False  # e.g. a village clerk without the case's scope: the town clerk completes the step
    savepoint.commit()
    return True
