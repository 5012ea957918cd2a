"""Referral (移交) to any receiving department (接收部门): a letter for one or several queued items (hazards,
village reports), to one or several departments (联合处置); each department's acceptance and handling result.

A case's own 签发移交函 step records its letter here too (`record_case_referral`), to one or several of the
town's receivers, so a department's login finds every referral sent to it in one list. When the last of a case
letter's departments answers through its own login, that answer completes the case's 登记处理反馈 (the clerk
retypes nothing); the clerk's step records the departments that have not answered. Feedback is due
`feedback_days` calendar days after the letter (local rule).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.cases import actions
from webapp.cases.runtime import CaseRuntime
from webapp.models import AttachmentRole, Document, GridNode, User
from webapp.procedures.inspection.followup import REFERRAL_BASIS
from webapp.procedures.inspection.models import Hazard, Inspection, ReferralReceiver
from webapp.procedures.inspection.referral_models import (
    ReceiverAccount,
    Referral,
    ReferralAddressee,
    ReferralItem,
    ReportUp,
)
from webapp.procedures.inspection.setup import receivers
from webapp.services import audit, documents, grid
from webapp.services.documents import DocumentServices, Subject
from webapp.services.errors import InvalidInput, NotFound, OutOfScope, TaskConflict

DESK_ROLE = "receiver"  # 接收部门
TOWN_ROLES = ("clerk", "leader", "admin")
FEEDBACK_STEP = "record_feedback"  # a case's 登记处理反馈, which its departments' own answers complete
ANSWERED_MEANWHILE = ("刚才已有人登记了该移交事项的处理结果（如镇（街道）工作人员在案件中登记了处理反馈），"
                      "您的提交未生效。页面已显示最新情况；如需更正，请核对后再次提交。")


def town_receivers(session: Session, town: GridNode, ids: list[int]) -> list[ReferralReceiver]:
    rows = {r.id: r for r in receivers(session, town).values()}
    return [rows[i] for i in ids if i in rows]


def _unit_rows(reports: list[ReportUp]) -> list[dict]:
    """The bundle letter's units, each with its hazards in one line (the order they were queued)."""
    by_unit: dict[int, dict] = {}
    for report in reports:
        unit = report.unit
        row = by_unit.setdefault(unit.id, {
            "name": unit.name, "address": unit.address, "responsible_person": unit.responsible_person,
            "phone": unit.responsible_phone or unit.manager_phone, "parts": []})
        where = f"（位置：{report.location}）" if report.location else ""
        row["parts"].append(f"{report.description}{where}")
    return [{**{k: v for k, v in row.items() if k != "parts"}, "hazards": "；".join(row["parts"])}
            for row in by_unit.values()]


def bundle_context(session: Session, town: GridNode, reports: list[ReportUp], targets: list[ReferralReceiver], *,
                   actions_taken: str, request: str, feedback_days: int, contact: dict, today: date) -> dict:
    """The 移交函 for several items and one or several addressees (主送 joined with 、)."""
    mark = documents.number_prefix(session, town, "referral").organ
    region = next((n.name for n in town.ancestors() if n.level == "region"), "")
    units = _unit_rows(reports)
    title = (f"关于移交{units[0]['name']}火灾隐患的函" if len(units) == 1
             else f"关于移交{units[0]['name']}等{len(units)}家单位火灾隐患的函")
    return {
        "organ_mark": f"{region}{mark}", "doc_number": "（签发后编号）",
        "addressee": "、".join(t.name for t in targets), "title": title, "units": units, "hazards": [],
        "actions_taken": actions_taken.strip(), "legal_basis": REFERRAL_BASIS,
        "request": request.strip(), "feedback_days": feedback_days, "attachments": [],
        "signature": f"{region}{mark}", "date": today.isoformat(), "contact": contact, "cc": [],
    }


def queued_reports(session: Session, town: GridNode, ids: list[int]) -> list[ReportUp]:
    rows = list(session.scalars(select(ReportUp).where(ReportUp.town_id == town.id, ReportUp.id.in_(ids or [0]),
                                                       ReportUp.status == "queued").order_by(ReportUp.id)))
    if len(rows) != len(set(ids)) or not all(_still_open(row) for row in rows):
        message = "所选事项已移交、已整改或不属于本镇，请刷新页面后重新选择。"
        raise InvalidInput(message, fields={"report_ids": message})
    return rows


UNSETTLED = ("open", "interview", "escalated")  # hazard statuses a bundled referral may still take up


def _still_open(report: ReportUp) -> bool:
    """The hazard (or lead) reported up is still unsettled: its case has not since rectified, closed or
    referred it (a hazard referred twice would reach the departments twice)."""
    if report.hazard is not None:
        return report.hazard.status in UNSETTLED
    return report.lead is None or report.lead.status == "open"


def _problems(report_ids: list[int], receiver_ids: list[int], actions_taken: str, feedback_days: int) -> dict:
    problems = {}
    if not report_ids:
        problems["report_ids"] = "请至少选择一项要移交的隐患。"
    if not receiver_ids:
        problems["receiver_ids"] = "请至少选择一个接收部门。"
    if not actions_taken.strip():
        problems["actions_taken"] = "请填写已采取的措施。"
    if not 1 <= feedback_days <= 90:
        problems["feedback_days"] = "反馈期限应为1至90日。"
    return problems


def refer_bundle(session: Session, docs: DocumentServices, *, town: GridNode, report_ids: list[int],
                 receiver_ids: list[int], actions_taken: str, request: str, feedback_days: int, contact: dict,
                 user: User, now: datetime) -> Referral:
    """One numbered 移交函 for the chosen queued items, to every chosen department (联合处置)."""
    problems = _problems(report_ids, receiver_ids, actions_taken, feedback_days)
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    reports, targets = queued_reports(session, town, report_ids), town_receivers(session, town, receiver_ids)
    if len(targets) != len(set(receiver_ids)):
        raise InvalidInput("所选接收部门不属于本镇。", fields={"receiver_ids": "所选接收部门不属于本镇。"})
    context = bundle_context(session, town, reports, targets, actions_taken=actions_taken, request=request,
                             feedback_days=feedback_days, contact=contact, today=now.date())
    context.pop("doc_number")
    document = documents.issue(session, docs, template_key="referral_letter", context=context, prefix_key="referral",
                               title=context["title"], subject=Subject(town), user=user, now=now)
    referral = _referral(session, town, document, targets, feedback_days, user, now)
    for report in reports:
        referral.items.append(ReferralItem(unit_id=report.unit_id, hazard_id=report.hazard_id, lead_id=report.lead_id,
                                           description=report.description, location=report.location))
        report.status, report.referral_id = "referred", referral.id
        if report.hazard is not None:
            report.hazard.status = "referred"
    audit.record(session, at=now, user=user, action="referral_issue", object_type="referral", object_id=referral.id,
                 summary=f"{document.title}（{context['addressee']}）")
    session.flush()
    return referral


def _referral(session: Session, town: GridNode, document: Document, targets: list[ReferralReceiver],
              feedback_days: int, user: User | None, now: datetime, inspection_id: int | None = None) -> Referral:
    referral = Referral(town_id=town.id, document_id=document.id, title=document.title, feedback_days=feedback_days,
                        referred_on=now.date(), created_by_id=user.id if user else None, inspection_id=inspection_id)
    due = now.date() + timedelta(days=feedback_days)
    referral.addressees = [ReferralAddressee(receiver_id=t.id, due_on=due) for t in targets]
    session.add(referral)
    session.flush()
    return referral


def record_case_referral(session: Session, inspection: Inspection, document: Document, hazards: list[Hazard],
                         targets: list[ReferralReceiver], feedback_days: int, user: User | None,
                         now: datetime) -> Referral:
    """A case's own letter (one unit, the `hazards` it refers) joins the referral list, addressed to each of
    the receivers it names (联合处置: one letter, each department answers on its own)."""
    town = grid.required_town(inspection.grid, "移交")
    referral = _referral(session, town, document, targets, feedback_days, user, now, inspection_id=inspection.id)
    referral.items = [ReferralItem(unit_id=inspection.unit_id, hazard_id=h.id, description=h.description,
                                   location=h.location) for h in hazards]
    session.flush()
    return referral


def record_case_feedback(session: Session, inspection: Inspection, *, feedback_on: date, measures: str, result: str,
                         user: User | None) -> None:
    """The case's 登记处理反馈 step answers its referral's addressees that have not answered themselves; a
    department's answer that lands meanwhile stands (the UPDATE only takes rows still unanswered)."""
    rows = session.scalars(select(ReferralAddressee).join(Referral).where(Referral.inspection_id == inspection.id,
                                                                          ReferralAddressee.status != "answered"))
    for row in list(rows):
        session.execute(update(ReferralAddressee)
                        .where(ReferralAddressee.id == row.id, ReferralAddressee.status != "answered")
                        .values(status="answered", feedback_on=feedback_on, measures=measures, result=result,
                                accepted_on=func.coalesce(ReferralAddressee.accepted_on, feedback_on),
                                recorded_by_id=user.id if user else None)
                        .execution_options(synchronize_session=False))
        session.expire(row)
    session.flush()


def lock_case_referrals(session: Session, inspection: Inspection) -> None:
    """The case's referral rows, locked before its 登记处理反馈 writes anything: a department's answer takes
    the same lock first (record_result), so the two wait for each other instead of deadlocking on the
    hazards and the addressee rows they both write (PostgreSQL; SQLite runs one writer at a time anyway)."""
    session.scalars(select(Referral.id).where(Referral.inspection_id == inspection.id).order_by(Referral.id)
                    .with_for_update()).all()


def case_answer(referral: Referral) -> dict:
    """The data of a case's 登记处理反馈 made of its departments' own answers (each named when several)."""
    rows = referral.addressees
    named = len(rows) > 1

    def joined(attribute: str) -> str:
        return "\n".join(f"{r.receiver.name}：{getattr(r, attribute)}" if named else getattr(r, attribute)
                         for r in rows)

    return {"feedback_on": max(r.feedback_on for r in rows).isoformat(), "measures": joined("measures"),
            "result": joined("result"), "feedback_scan": None, "answered_by": [r.receiver.name for r in rows]}


def case_addressees(session: Session, inspection: Inspection) -> list[ReferralAddressee]:
    """The departments a case's letters went to, each with its state (shown on the case page). A case's own
    移交函 follows its 整改通知书, so a record without hazards has none (and needs no query)."""
    if not inspection.hazards:
        return []
    return list(session.scalars(select(ReferralAddressee).join(Referral).where(Referral.inspection_id == inspection.id)
                                .order_by(Referral.id, ReferralAddressee.id)))


def desk_receiver_id(session: Session, user: User) -> int | None:
    """The department a 接收部门 login answers for (None for town staff)."""
    if not user.has_role(DESK_ROLE):
        return None
    account = session.get(ReceiverAccount, user.id)
    return account.receiver_id if account else 0


def visible_addressees(session: Session, user: User) -> list[ReferralAddressee]:
    """A department's login: its own referrals; town staff: every referral of the towns in their scope."""
    stmt = select(ReferralAddressee).join(Referral).order_by(Referral.referred_on.desc(), ReferralAddressee.id.desc())
    receiver_id = desk_receiver_id(session, user)
    if receiver_id is not None:
        stmt = stmt.where(ReferralAddressee.receiver_id == receiver_id)
    elif user.has_role(*TOWN_ROLES):
        stmt = stmt.join(GridNode, Referral.town_id == GridNode.id).where(GridNode.path.startswith(user.scope.path))
    else:
        raise OutOfScope("移交事项仅限接收部门和镇（街道）工作人员查看。")
    return list(session.scalars(stmt))


def addressee_for(session: Session, user: User, addressee_id: int) -> ReferralAddressee:
    """One addressee row the user may see; another department's (or another town's) is refused and logged."""
    row = session.get(ReferralAddressee, addressee_id)
    if row is None:
        raise NotFound("没有这个移交事项。")
    receiver_id = desk_receiver_id(session, user)
    if receiver_id is not None:
        if row.receiver_id != receiver_id:
            raise OutOfScope("该移交事项不是移交给您部门的。")
    elif user.has_role(*TOWN_ROLES):
        grid.ensure_in_scope(user, row.referral.town)
    else:
        raise OutOfScope("移交事项仅限接收部门和镇（街道）工作人员查看。")
    return row


def accept(session: Session, row: ReferralAddressee, *, accepted_by: str, accepted_on: date, user: User,
           now: datetime) -> None:
    """接收: the department confirms it took the referral on."""
    if not accepted_by.strip():
        raise InvalidInput("请填写接收人。", fields={"accepted_by": "请填写接收人。"})
    _not_before(accepted_on, row.referral.referred_on, "accepted_on", now)
    row.accepted_on, row.accepted_by = accepted_on, accepted_by.strip()
    row.status = "accepted" if row.status == "sent" else row.status
    audit.record(session, at=now, user=user, action="referral_accept", object_type="referral", object_id=row.id,
                 summary=f"{row.receiver.name}接收《{row.referral.title}》")
    session.flush()


def answered_by_department(session: Session, row: ReferralAddressee) -> bool:
    """The answer came from the department's own login (not recorded for it by the town)."""
    return row.status == "answered" and row.recorded_by_id is not None and session.scalar(
        select(ReceiverAccount.user_id).where(ReceiverAccount.user_id == row.recorded_by_id,
                                              ReceiverAccount.receiver_id == row.receiver_id)) is not None


def may_answer(session: Session, user: User, row: ReferralAddressee) -> bool:
    """Not answered yet; or answered for the department by the town and this is the department's own login,
    whose later answer is still recorded (and shown) even after the case has moved on."""
    if row.status != "answered":
        return True
    return desk_receiver_id(session, user) == row.receiver_id and not answered_by_department(session, row)


def record_result(session: Session, runtime: CaseRuntime, row: ReferralAddressee, *, feedback_on: date,
                  measures: str, result: str, files: list[dict], seen_status: str | None, user: User,
                  now: datetime) -> None:
    """处理情况反馈, by the department itself or by the clerk for it; the letter's hazards close when every
    addressee has answered, and for a case's letter that last answer completes the case's 登记处理反馈.

    `seen_status` is the state the page showed: an answer someone else recorded since (the clerk on the case,
    a colleague) wins, and this one is refused with a message, nothing saved."""
    asked = (("measures", measures, "请填写采取的措施。"), ("result", result, "请填写处理结果。"))
    problems = {name: message for name, value, message in asked if not value.strip()}
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    _not_before(feedback_on, row.referral.referred_on, "feedback_on", now)
    if not may_answer(session, user, row):
        raise InvalidInput(ANSWERED_MEANWHILE)
    # FOR UPDATE before any write: a joint referral's answers take turns, so the last one sees every other,
    # and the case's own 登记处理反馈 takes this lock first too (lock_case_referrals) (PostgreSQL)
    referral = session.scalar(select(Referral).where(Referral.id == row.referral_id).with_for_update()
                              .execution_options(populate_existing=True))
    # the row as it is now, under the lock: a colleague's answer since may have made this one unwelcome, and
    # its files are the ones to add to
    session.refresh(row)
    if not may_answer(session, user, row):
        raise InvalidInput(ANSWERED_MEANWHILE)
    recorder = ReferralAddressee.recorded_by_id
    claimed = session.execute(
        update(ReferralAddressee).where(ReferralAddressee.id == row.id,
                                        ReferralAddressee.status == (seen_status or row.status),
                                        recorder.is_(None) if row.recorded_by_id is None
                                        else recorder == row.recorded_by_id)
        .values(status="answered", feedback_on=feedback_on, measures=measures.strip(), result=result.strip(),
                files=[*row.files, *files], recorded_by_id=user.id,
                accepted_on=func.coalesce(ReferralAddressee.accepted_on, feedback_on))
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise InvalidInput(ANSWERED_MEANWHILE)
    session.scalars(select(ReferralAddressee).where(ReferralAddressee.referral_id == referral.id)
                    .execution_options(populate_existing=True)).all()
    session.expire(referral, ["addressees"])
    audit.record(session, at=now, user=user, action="referral_feedback", object_type="referral", object_id=row.id,
                 summary=f"{row.receiver.name}反馈《{referral.title}》")
    if referral.inspection_id is not None:
        _answer_case(session, runtime, referral, row, files, user, now)
    if all(a.status == "answered" for a in referral.addressees):
        _close_items(session, referral)
    session.flush()


def _answer_case(session: Session, runtime: CaseRuntime, referral: Referral, row: ReferralAddressee,
                 files: list[dict], user: User, now: datetime) -> None:
    """A case letter's answer: its files join the letter's 反馈 attachments on the case; the last answer of
    the case's latest letter completes the case's 登记处理反馈 when the case still waits there."""
    docs = runtime.documents
    if referral.document is not None:
        for upload in files:
            documents.attach(session, docs, referral.document, content=docs.store.read(upload["file"]),
                             name=upload["name"], media_type=upload["type"], role=AttachmentRole.FEEDBACK, now=now)
    latest = session.scalar(select(func.max(Referral.id)).where(Referral.inspection_id == referral.inspection_id))
    if latest != referral.id or any(a.status != "answered" for a in referral.addressees):
        return
    inspection = session.get(Inspection, referral.inspection_id)
    opinion = (f"{row.receiver.name}已反馈处理结果" if len(referral.addressees) == 1
               else f"各接收部门均已反馈处理结果（最后反馈：{row.receiver.name}）")
    try:
        actions.complete_waiting_step(session, runtime, instance=inspection.instance, step_key=FEEDBACK_STEP,
                                      data=case_answer(referral), opinion=opinion, now=now, user=user)
    except TaskConflict as error:
        raise InvalidInput(ANSWERED_MEANWHILE) from error


def _close_items(session: Session, referral: Referral) -> None:
    for item in referral.items:
        hazard = session.get(Hazard, item.hazard_id) if item.hazard_id else None
        if hazard is not None and hazard.status == "referred":
            hazard.status = "closed"


def _not_before(day: date, earliest: date, field: str, now: datetime) -> None:
    if day < earliest or day > now.date():
        message = f"日期应在{earliest.isoformat()}至今天之间。"
        raise InvalidInput(message, fields={field: message})
