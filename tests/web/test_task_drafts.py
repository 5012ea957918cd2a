"""暂存 through HTTP: a draft keeps what was typed (unchecked), changes nothing in the case, reopens with the
form, is only for who may fill the form, and is gone once the step is submitted or sent back (or the case started)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.conftest import tiny_pdf
from tests.web.test_inspection_flow import at, record_form
from tests.web.test_notice_issuance import _open_case, draft_form, people  # noqa: F401
from webapp.models import AuditEvent, CaseEvent, IssuedNumber, ProcessInstance
from webapp.models.drafts import FormDraft


def _count(session, model) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(model))


def test_draft_round_trip(app, session, people):  # noqa: ANN001, F811
    clerk, office_head, _leader = people
    case_id, task_id = _open_case(clerk, "关于开展冬春火灾防控工作的通知")
    page = clerk.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'formaction="/tasks/{task_id}/draft"' in page and "不保存上传的文件" in page
    version, events = session.get(ProcessInstance, case_id).version, _count(session, CaseEvent)

    typed = draft_form(title="关于冬春防火的通知（未完）", body="一、排查隐患\n（待补充）", copies="十二")
    saved = clerk.post(f"/tasks/{task_id}/draft",
                       {**typed, "new_attachments": [(io.BytesIO(tiny_pdf()), "方案.pdf")]})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/tasks/{task_id}")
    session.expire_all()
    assert session.get(ProcessInstance, case_id).version == version  # no workflow step, no number, no event
    assert _count(session, CaseEvent) == events and _count(session, IssuedNumber) == 0
    assert clerk.inbox_task_id("拟稿") == task_id

    reopened = clerk.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "已恢复您" in reopened and "关于冬春防火的通知（未完）" in reopened
    assert "（待补充）" in reopened and 'value="十二"' in reopened

    denied_before = _count(session, AuditEvent)
    assert office_head.post(f"/tasks/{task_id}/draft", {"title": "别人的草稿"}).status_code == 403
    assert _count(session, FormDraft) == 1 and _count(session, AuditEvent) == denied_before + 1

    assert clerk.post(f"/tasks/{task_id}", draft_form()).status_code == 302
    assert _count(session, FormDraft) == 0

    review = office_head.inbox_task_id("核稿")
    assert office_head.post(f"/tasks/{review}/draft", {"opinion": "正文第二段再斟酌"}).status_code == 302
    assert "正文第二段再斟酌" in office_head.get(f"/tasks/{review}").get_data(as_text=True)
    sent_back = office_head.post(f"/tasks/{review}", {"decision": "send_back", "opinion": "请补充工作要求"})
    assert sent_back.status_code == 302 and _count(session, FormDraft) == 0


def test_draft_of_a_long_start_form_starts_no_case(app, session, sign_in, small_town):  # noqa: ANN001
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector = sign_in("inspector")
    unit = small_town.units["丰收便利店"]
    typed = record_form(inspector, session, unit, {1: "灭火器过期（未写完"})
    assert 'formaction="/procedures/inspection/start/draft"' in inspector.get(
        f"/procedures/inspection/start?unit_id={unit.id}").get_data(as_text=True)
    saved = inspector.post("/procedures/inspection/start/draft", typed, content_type="multipart/form-data")
    assert saved.status_code == 302 and _count(session, ProcessInstance) == 0

    reopened = inspector.get("/procedures/inspection/start").get_data(as_text=True)
    assert "已恢复您" in reopened and "灭火器过期（未写完" in reopened and 'value="店主"' in reopened
    assert sign_in("clerk").post("/procedures/inspection/start/draft", {"measures": "x"}).status_code == 403

    started = inspector.post("/procedures/inspection/start", record_form(inspector, session, unit, {1: "灭火器过期"}),
                             content_type="multipart/form-data")
    assert started.status_code == 302 and _count(session, ProcessInstance) == 1
    assert _count(session, FormDraft) == 0
