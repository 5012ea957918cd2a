"""收文 承办 → 由此发起的办理 through HTTP: the handling person starts a 发文 and a meeting prefilled from the
received document, the cases are linked both ways, the 收文处理单 names them, and nobody else may start one."""

from __future__ import annotations

import io

import docx
from sqlalchemy import select

from tests.web.test_incoming_http import FIELDS, post_start, task_id, town  # noqa: F401 (fixture)
from webapp.demo.scans import scan_pdf
from webapp.models import AuditEvent, CaseLink, Document, ProcessInstance
from webapp.procedures.incoming.models import IncomingDocument

BASIS = "示例县消防安全委员会办公室《关于开展冬春火灾防控工作的通知》（示消安办〔2026〕31号）"


def _to_handling(session, sign_in) -> int:  # noqa: ANN001
    clerk, office_head, leader = sign_in("clerk"), sign_in("office_head"), sign_in("leader")
    assert post_start(clerk, "来文.pdf", scan_pdf("来文")).status_code == 302
    assert office_head.post(f"/tasks/{task_id(session, 'propose')}", {"proposal": "请阅示。"}).status_code == 302
    assert leader.post(f"/tasks/{task_id(session, 'assign')}", {"instruction": "请办理。", "handler": "clerk",
                                                                "readers": ["leader"]}).status_code == 302
    return session.scalar(select(IncomingDocument)).instance_id


def _read_and_closed(session, sign_in, clerk) -> str:  # noqa: ANN001
    """The leader reads, the clerk closes: the 收文处理单's 办结 line."""
    assert sign_in("leader").post(f"/tasks/{task_id(session, 'read')}", {"read_remark": ""}).status_code == 302
    assert clerk.post(f"/tasks/{task_id(session, 'close')}", {"closing_note": ""}).status_code == 302
    session.expire_all()
    sheet = session.scalar(select(Document).where(Document.template_key == "incoming_sheet"))
    opened = docx.Document(io.BytesIO(clerk.get(f"/documents/{sheet.id}.docx").data))
    return {row.cells[0].text: row.cells[1].text for table in opened.tables for row in table.rows}["办结"]


def test_the_handler_starts_a_notice_and_a_meeting_linked_both_ways(session, town, sign_in):  # noqa: F811
    instance_id = _to_handling(session, sign_in)
    clerk = sign_in("clerk")
    handle = task_id(session, "handle")
    page = clerk.get(f"/tasks/{handle}").get_data(as_text=True)
    assert "由此发起的办理" in page and "另行发文" in page and "召开会议" in page

    response = clerk.post(f"/incoming/{instance_id}/follow-up/notice_issuance")
    assert response.status_code == 302
    session.expire_all()
    notice = session.scalar(select(ProcessInstance).where(ProcessInstance.procedure == "notice_issuance"))
    assert response.headers["Location"].endswith(f"/cases/{notice.id}")
    assert notice.title == "发文：关于贯彻落实《关于开展冬春火灾防控工作的通知》的通知"
    shown = clerk.get(f"/cases/{notice.id}").get_data(as_text=True)
    assert f"依据来文：<a href=\"/cases/{instance_id}\">{BASIS}</a>" in shown
    draft = clerk.get(f"/tasks/{task_id(session, 'draft')}").get_data(as_text=True)
    assert 'value="关于贯彻落实《关于开展冬春火灾防控工作的通知》的通知"' in draft
    assert f"根据{BASIS}要求" in draft

    assert clerk.post(f"/incoming/{instance_id}/follow-up/meeting").status_code == 302
    session.expire_all()
    meeting = session.scalar(select(ProcessInstance).where(ProcessInstance.procedure == "meeting"))
    assert "依据来文" in clerk.get(f"/cases/{meeting.id}").get_data(as_text=True)
    assert f"传达学习{BASIS}精神" in clerk.get(f"/tasks/{task_id(session, 'schedule')}").get_data(as_text=True)
    links = session.scalars(select(CaseLink).order_by(CaseLink.id)).all()
    assert [(link.source_id, link.target_id, link.basis) for link in links] == [
        (instance_id, notice.id, BASIS), (instance_id, meeting.id, BASIS)]

    case = clerk.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "由此发起的办理" in case and notice.title in case and meeting.title in case

    assert clerk.post(f"/tasks/{handle}", {"handling": "已另行发文并召开会议部署。"}).status_code == 302
    assert "/follow-up/" not in clerk.get(f"/cases/{instance_id}").get_data(as_text=True)  # 承办 is over
    late = clerk.post(f"/incoming/{instance_id}/follow-up/notice_issuance", follow_redirects=True)
    assert "本件已承办完毕" in late.get_data(as_text=True)
    assert len(session.scalars(select(CaseLink)).all()) == 2
    assert _read_and_closed(session, sign_in, clerk) == f"办结。由此发起：{notice.title}、{meeting.title}"


def test_only_the_handler_starts_from_the_document(session, town, sign_in):  # noqa: F811
    instance_id = _to_handling(session, sign_in)
    leader = sign_in("leader")
    assert "/follow-up/" not in leader.get(f"/cases/{instance_id}").get_data(as_text=True)
    denied_before = len(session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all())
    assert leader.post(f"/incoming/{instance_id}/follow-up/notice_issuance").status_code == 403  # not a clerk
    assert sign_in("village_clerk").post(f"/incoming/{instance_id}/follow-up/meeting").status_code in (403, 404)
    session.expire_all()
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()) > denied_before
    unknown = sign_in("clerk").post(f"/incoming/{instance_id}/follow-up/inspection", follow_redirects=True)
    assert "该类办理不能由来文发起" in unknown.get_data(as_text=True)
    assert session.scalars(select(CaseLink)).all() == []
    assert session.scalars(select(ProcessInstance).where(ProcessInstance.procedure != "incoming")).all() == []


def test_the_handler_sets_up_a_special_campaign_from_the_document(session, town, sign_in):  # noqa: F811
    """A county's notice calling for a 专项行动: the handling clerk sets it up from the 收文, named from its title
    and citing it as 依据; the campaign and the 收文 name each other, and the 收文处理单's 办结 line lists it."""
    import html
    import re

    from webapp.models import SpecialCampaign

    instance_id = _to_handling(session, sign_in)
    clerk = sign_in("clerk")
    link = re.search(r'href="([^"]+)">建立专项行动<', clerk.get(f"/cases/{instance_id}").get_data(as_text=True))
    form = clerk.get(html.unescape(link.group(1))).get_data(as_text=True)
    assert 'value="冬春火灾防控工作"' in form and f'value="{BASIS}"' in form
    assert re.search(rf'name="basis_case" type="hidden" value="{instance_id}"', form)
    posted = {"name": "冬春火灾防控工作", "starts_on": "2026-11-25", "ends_on": "2027-02-28", "basis": BASIS,
              "basis_case": str(instance_id), "checklist": "疏散通道是否畅通"}
    assert clerk.post("/campaigns/new", posted).status_code == 302
    campaign = session.scalar(select(SpecialCampaign))
    assert (campaign.basis, campaign.basis_instance_id) == (BASIS, instance_id)
    shown = clerk.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'<a href="/cases/{instance_id}">{BASIS}</a>' in shown
    assert "专项行动：冬春火灾防控工作" in clerk.get(f"/cases/{instance_id}").get_data(as_text=True)

    assert clerk.post(f"/tasks/{task_id(session, 'handle')}", {"handling": "已部署专项行动。"}).status_code == 302
    assert "建立专项行动" not in clerk.get(f"/cases/{instance_id}").get_data(as_text=True)  # 承办 is over
    late = {**posted, "name": "另一行动", "basis_case": str(instance_id)}
    assert clerk.post("/campaigns/new", late).status_code == 403  # a hand-made form: no longer handling it
    odd = clerk.post("/campaigns/new", {**late, "basis_case": "²"})  # not an id: no basis, no error
    assert odd.status_code == 302 and session.scalar(select(SpecialCampaign).where(
        SpecialCampaign.name == "另一行动")).basis_instance_id is None
    assert _read_and_closed(session, sign_in, clerk) == "办结。由此发起：专项行动：冬春火灾防控工作"
