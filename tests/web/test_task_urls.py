"""A task URL names one task forever; revisiting a finished one is a friendly page, not a refusal."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select

from webapp.models import AuditEvent, ProcessInstance, WorkTask


def _audit_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "access_denied"))


def _start_and_draft(clerk) -> int:
    assert clerk.post("/procedures/test_notice/start", {"title": "冬季防火通知"}).status_code == 302
    draft = clerk.inbox_task_id("拟稿")
    assert clerk.post(f"/tasks/{draft}", {"title": "冬季防火通知", "body": "各村：……",
                                          "approver_names": "leader"}).status_code == 302
    return draft


def test_back_after_submitting_shows_the_step_done_and_audits_nothing(session, sign_in, small_town):
    clerk, leader = sign_in("clerk"), sign_in("leader")
    draft = _start_and_draft(clerk)
    denied = _audit_count(session)

    page = clerk.get(f"/tasks/{draft}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "该步骤已办理" in html and "苏晓梅" in html and "拟稿" in html
    case = session.scalar(select(ProcessInstance))
    assert f'href="/cases/{case.id}"' in html
    # another in-scope user sees the same page; nothing is refused or audited
    assert leader.get(f"/tasks/{draft}").status_code == 200
    assert _audit_count(session) == denied


def test_a_sent_back_task_names_the_reason(session, sign_in, small_town):
    clerk, leader = sign_in("clerk"), sign_in("leader")
    _start_and_draft(clerk)
    review = leader.inbox_task_id("审核")
    assert leader.post(f"/tasks/{review}", {"decision": "send_back", "opinion": "请补充检查范围"}).status_code == 302
    html = leader.get(f"/tasks/{review}").get_data(as_text=True)
    assert "该步骤已办理" in html and "退回" in html and "请补充检查范围" in html


def test_finished_task_of_a_case_outside_scope_is_refused_and_audited(session, sign_in, small_town):
    clerk, village_clerk = sign_in("clerk"), sign_in("village_clerk")
    draft = _start_and_draft(clerk)
    denied = _audit_count(session)
    assert village_clerk.get(f"/tasks/{draft}").status_code == 403
    assert _audit_count(session) == denied + 1


def test_a_task_id_is_never_reused_after_its_row_is_deleted(session, sign_in, small_town):
    """The highest id is the one SQLite would hand out again without AUTOINCREMENT."""
    clerk = sign_in("clerk")
    assert clerk.post("/procedures/test_notice/start", {"title": "冬季防火通知"}).status_code == 302
    row = session.scalar(select(WorkTask))
    last_id = session.scalar(select(func.max(WorkTask.id)))
    copy = {c.name: getattr(row, c.name) for c in WorkTask.__table__.columns if c.name != "id"}
    session.execute(delete(WorkTask))
    session.execute(insert(WorkTask), [copy])
    session.commit()
    assert session.scalar(select(WorkTask.id)) > last_id


def test_an_unknown_or_withdrawn_task_is_no_longer_open(session, sign_in, small_town):
    clerk = sign_in("clerk")
    page = clerk.get("/tasks/987654")
    assert page.status_code == 200 and "已不在待办中" in page.get_data(as_text=True)
