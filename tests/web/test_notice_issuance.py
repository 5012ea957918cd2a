"""Issue 8 part 1: 发文 through HTTP — draft, 核稿 send-back, 签发, numbering, DOCX, distribution."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import tiny_pdf
from tests.docx_checks import assert_red_header_document, check_gbt9704, download_docx, staged_preview_text
from webapp.clock import TZ
from webapp.models import (
    Document,
    DocumentReceipt,
    GridNode,
    IssuedNumber,
    NumberSequence,
    ProcessInstance,
    User,
    WorkTask,
)
from webapp.procedures.notice_issuance import notices
from webapp.procedures.notice_issuance.models import NoticeDistribution

ORGAN_MARK = "松林镇人民政府文件"
PDF = tiny_pdf()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)




def draft_form(**overrides) -> dict:
    form = {
        "kind": "通知", "issuing_body": "town", "direction": "down", "title": "关于开展冬春火灾防控工作的通知",
        "addressees": ["各村（社区）", "镇直各部门"], "addressees_other": "", "cc": "松林派出所",
        "body": "为做好冬春火灾防控工作，现通知如下：\n一、排查隐患\n（一）入户检查\n1.逐户建立台账。\n请遵照执行。",
        "note": "", "copies": "12", "printer": "松林镇党政办公室",
    }
    form.update(overrides)
    return form


def _open_case(clerk, title: str, kind: str = "通知") -> tuple[int, int]:
    assert clerk.post("/procedures/notice_issuance/start", {"kind": kind, "title": title}).status_code == 302
    case_id = max(clerk_case.id for clerk_case in _cases())
    return case_id, clerk.inbox_task_id("拟稿")


def _cases():
    from webapp.extensions import db

    return db.session.scalars(select(ProcessInstance)).all()


def _issue(clerk, office_head, leader, form: dict, files=None) -> Document:
    """The straight path: 拟稿 → 核稿 → 签发; returns the issued document."""
    case_id, draft = _open_case(clerk, form["title"], form["kind"])
    payload = {**form, **({"new_attachments": files} if files else {})}
    assert clerk.post(f"/tasks/{draft}", payload).status_code == 302
    assert office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"}).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发')}",
                       {"decision": "approve", "opinion": "同意印发"}).status_code == 302
    return _document(case_id)


def _document(case_id: int) -> Document:
    from webapp.extensions import db

    return db.session.scalar(select(Document).where(Document.instance_id == case_id))


def _check_format(path: Path, document: Document, *body: str) -> None:
    """Own format assertions (red mark, 〔〕 number, title and body fonts), then the shared checker."""
    assert_red_header_document(path, mark=ORGAN_MARK, number=document.number, title=document.title, body=body)
    check_gbt9704(path)


@pytest.fixture()
def people(app, sign_in, small_town):  # noqa: ANN001, ANN201
    app.extensions["firegrid.clock"].set(at("2026-03-02T09:00"))
    return sign_in("clerk"), sign_in("office_head"), sign_in("leader")


def test_draft_send_back_redraft_sign_off_and_distribute(app, session, people, tmp_path):
    clerk, office_head, leader = people
    title = "关于<青石>&石桥消防检查的通知"
    case_id, draft = _open_case(clerk, title)
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    assert "以“一、”开头的行为一级标题" in page and "松林派出所" in page  # hint, 主送 list

    bad = clerk.post(f"/tasks/{draft}", draft_form(title=title, body="", copies="0"))
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请输入正文" in html and "份数应在1到999之间" in html
    assert "&lt;青石&gt;&amp;石桥" in html  # input kept, escaped
    upward = clerk.post(f"/tasks/{draft}", draft_form(kind="报告", direction="down"))
    assert upward.status_code == 400 and "报告、请示属于上行文" in upward.get_data(as_text=True)

    files = [(io.BytesIO(PDF), "冬春火灾防控工作方案.pdf")]
    assert clerk.post(f"/tasks/{draft}", {**draft_form(title=title), "new_attachments": files}).status_code == 302
    review = office_head.inbox_task_id("核稿")
    assert office_head.get(f"/tasks/{review}/preview/notice.docx").status_code == 200
    sent_back = office_head.post(f"/tasks/{review}", {"decision": "send_back", "opinion": "请补充工作要求"})
    assert sent_back.status_code == 302

    redraft = clerk.inbox_task_id("拟稿")
    page = clerk.get(f"/tasks/{redraft}").get_data(as_text=True)
    assert "请补充工作要求" in page and "&lt;青石&gt;&amp;石桥" in page and "冬春火灾防控工作方案.pdf" in page
    kept = f"{hashlib.sha256(PDF).hexdigest()}:冬春火灾防控工作方案.pdf"
    body = draft_form()["body"] + "\n二、工作要求\n各村（社区）于3月底前报送排查情况。"
    redrafted = clerk.post(f"/tasks/{redraft}", draft_form(title=title, body=body, kept_attachments=[kept]))
    assert redrafted.status_code == 302
    assert office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}",
                            {"decision": "approve", "opinion": "已核"}).status_code == 302
    sign_off = leader.inbox_task_id("签发")
    assert leader.get(f"/tasks/{sign_off}/preview/notice.docx").status_code == 200
    assert leader.post(f"/tasks/{sign_off}", {"decision": "approve", "opinion": "同意印发"}).status_code == 302

    document = _document(case_id)
    assert document.number == "松林府发〔2026〕1号" and document.title == title
    assert [a.name for a in document.attachments] == ["冬春火灾防控工作方案.pdf"]
    text, path = download_docx(clerk, document, tmp_path)
    assert "松林府发〔2026〕1号" in text and title in text.splitlines()
    assert "冬春火灾防控工作方案" in text and "附件" in text and "工作要求" in text
    _check_format(path, document, "各村（社区）、镇直各部门：", "为做好冬春火灾防控工作，现通知如下：")

    distribute = clerk.inbox_task_id("印发登记")
    form = clerk.get(f"/tasks/{distribute}").get_data(as_text=True)
    assert "2026-03-02" in form and "各村（社区）、镇直各部门、松林派出所" in form  # prefilled
    assert clerk.post(f"/tasks/{distribute}", {"printed_on": "2026-03-02", "copies": "12",
                                               "recipients": "各村（社区）、镇直各部门"}).status_code == 302
    row = session.scalar(select(NoticeDistribution))
    assert row.document_id == document.id and row.copies == 12 and str(row.printed_on) == "2026-03-02"

    session.expire_all()
    assert session.get(ProcessInstance, case_id).status == "completed"
    page = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    for expected in ("拟稿", "核稿", "签发", "印发登记", "请补充工作要求", "已核", "同意印发", "&lt;青石&gt;&amp;石桥"):
        assert expected in page, expected
    register = clerk.get("/notices/register?year=2026").get_data(as_text=True)
    assert "松林府发〔2026〕1号" in register and "郝国强" in register
    assert f'href="/documents/{document.id}.docx"' in register  # the archivist downloads from here
    export = clerk.get("/notices/register.xlsx?year=2026")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_numbers_follow_each_organ_sequence_and_upward_shows_signer(app, session, people, tmp_path):
    clerk, office_head, leader = people
    first = _issue(clerk, office_head, leader, draft_form(title="关于开展冬春火灾防控工作的通知"))
    second = _issue(clerk, office_head, leader, draft_form(title="关于加强春节期间消防安全工作的通知"))
    assert (first.number, second.number) == ("松林府发〔2026〕1号", "松林府发〔2026〕2号")
    report = _issue(clerk, office_head, leader, draft_form(
        kind="报告", direction="up", title="关于青石镇一季度消防安全工作情况的报告", addressees=[],
        addressees_other="江岸区人民政府"))
    assert report.number == "松林府文〔2026〕1号" and report.template_key == "notice_upward"
    text, path = download_docx(clerk, report, tmp_path)
    assert "签发人" in text and "郝国强" in text and "江岸区人民政府" in text
    _check_format(path, report, "江岸区人民政府：", "为做好冬春火灾防控工作，现通知如下：")
    letter = _issue(clerk, office_head, leader, draft_form(kind="函", title="关于商请协助开展联合检查的函"))
    assert letter.number == "松林府函〔2026〕1号"


def test_failure_after_number_allocation_keeps_nothing(app, session, people, monkeypatch):
    clerk, office_head, leader = people
    case_id, draft = _open_case(clerk, "关于开展消防安全大检查的通知")
    files = [(io.BytesIO(PDF), "检查表.pdf")]
    clerk.post(f"/tasks/{draft}", {**draft_form(title="关于开展消防安全大检查的通知"), "new_attachments": files})
    office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"})
    store_root = Path(app.config["DATA_DIR"]) / "files"
    files_before = sorted(p for p in store_root.rglob("*") if p.is_file())

    def broken_attach(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(notices.documents, "attach", broken_attach)
    sign_off = leader.inbox_task_id("签发")
    failed = leader.post(f"/tasks/{sign_off}", {"decision": "approve", "opinion": "同意"})
    assert failed.status_code == 400 and "文号未被占用" in failed.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    assert session.scalar(select(func.count()).select_from(IssuedNumber)) == 0
    assert (session.scalar(select(NumberSequence.last_serial)) or 0) == 0
    assert sorted(p for p in store_root.rglob("*") if p.is_file()) == files_before  # no orphan DOCX
    assert session.scalar(select(WorkTask).where(WorkTask.instance_id == case_id)).step_key == "sign_off"

    monkeypatch.undo()
    assert leader.post(f"/tasks/{sign_off}", {"decision": "approve", "opinion": "同意"}).status_code == 302
    assert _document(case_id).number == "松林府发〔2026〕1号"


def test_countersign_any_one_sends_back(app, session, people):
    clerk, office_head, leader = people
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    factories.user(session, "leader2", "leader", scope=town, display_name="王副镇长")
    session.commit()
    from tests.conftest import Browser

    leader2 = Browser(app.test_client())
    leader2.login("leader2", factories.PASSWORD)
    case_id, draft = _open_case(clerk, "关于联合开展消防检查的通知")
    clerk.post(f"/tasks/{draft}", draft_form(title="关于联合开展消防检查的通知", co_signers=["leader", "leader2"]))
    office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"})
    rows = session.scalars(select(WorkTask).where(WorkTask.step_key == "countersign")).all()
    assert sorted(t.assignee.username for t in rows) == ["leader", "leader2"]
    summary = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "<dt>会签</dt><dd>郝国强、王副镇长</dd>" in summary  # names, not usernames
    leader.post(f"/tasks/{leader.inbox_task_id('会签')}", {"decision": "approve", "opinion": "同意"})
    leader2.post(f"/tasks/{leader2.inbox_task_id('会签')}", {"decision": "send_back", "opinion": "第二条需修改"})
    session.expire_all()
    assert not session.scalars(select(WorkTask).where(WorkTask.step_key == "countersign")).all()
    office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"})
    for visitor in (leader, leader2):
        visitor.post(f"/tasks/{visitor.inbox_task_id('会签')}", {"decision": "approve", "opinion": "同意"})
    session.expire_all()  # work_task ids are reused: drop the rows this session saw earlier
    sign_off = session.scalar(select(WorkTask).where(WorkTask.step_key == "sign_off"))
    assert sign_off is not None and sign_off.assignee_id is None  # the co-signer variable does not leak
    leader.post(f"/tasks/{leader.inbox_task_id('签发')}", {"decision": "approve"})
    assert _document(case_id).number == "松林府发〔2026〕1号"


def test_withdraw_before_review(app, session, people):
    clerk, office_head, _ = people
    case_id, draft = _open_case(clerk, "关于撤回测试的通知")
    clerk.post(f"/tasks/{draft}", draft_form(title="关于撤回测试的通知"))
    assert "撤回我的上一步" in clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert clerk.post(f"/cases/{case_id}/withdraw").status_code == 302
    assert clerk.inbox_task_id("拟稿")
    assert session.scalar(select(WorkTask).where(WorkTask.instance_id == case_id)).step_key == "draft"


def test_start_notice_publishes_a_bulletin_for_other_procedures(app, session, people, tmp_path):
    clerk, office_head, leader = people
    user = session.scalar(select(User).where(User.username == "clerk"))
    ranking = [{"rank": 1, "unit": "河湾社区", "score": 96.5, "grade": "优秀"},
               {"rank": 2, "unit": "石桥村", "score": 78, "grade": "合格"}]
    instance = notices.start_notice(
        session, app.extensions["firegrid.runtime"], user=user, grid=user.scope, now=at("2026-03-02T09:00"),
        draft={"kind": "通报", "title": "关于2025年度消防安全工作考评结果的通报", "addressees": ["各村（社区）"],
               "body": "现将考评结果通报如下：", "table_title": "2025年度考评结果", "ranking": ranking},
    )
    session.commit()
    draft = clerk.inbox_task_id("拟稿")
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    assert "关于2025年度消防安全工作考评结果的通报" in page and "通报（含排名表）" in page
    assert clerk.get(f"/tasks/{draft}/preview/bulletin.docx").status_code == 200
    live = staged_preview_text(clerk, clerk.post(f"/tasks/{draft}/preview",
                                                 draft_form(kind="通报", title="考评结果通报")))
    assert "考评结果通报" in live and "河湾社区" in live  # the unsaved title over the ranking the case holds
    clerk.post(f"/tasks/{draft}", draft_form(kind="通报", title="关于2025年度消防安全工作考评结果的通报"))
    office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"})
    leader.post(f"/tasks/{leader.inbox_task_id('签发')}", {"decision": "approve"})
    document = _document(instance.id)
    assert document.template_key == "bulletin" and document.number == "松林府发〔2026〕1号"
    text, path = download_docx(clerk, document, tmp_path)
    assert "河湾社区" in text and "96.5" in text
    _check_format(path, document, "各村（社区）、镇直各部门：", "为做好冬春火灾防控工作，现通知如下：")


@pytest.mark.slow
def test_demo_history_plays_notices(app, session, demo):
    from webapp.cases import registry
    from webapp.cases.registry import DemoContext

    clock = app.extensions["firegrid.clock"]
    context = DemoContext(session=session, services=app.extensions["firegrid.runtime"], clock=clock, year=2026,
                          today=at("2026-08-01T10:00"))
    registry.get("notice_issuance").play_demo_history(context)
    session.commit()
    numbers = sorted(d.number for d in session.scalars(select(Document).where(Document.number.is_not(None))))
    assert numbers == ["青石府发〔2026〕1号", "青石府发〔2026〕2号", "青石府文〔2026〕1号"]
    sheets = session.scalars(select(Document).where(Document.template_key == "issuing_sheet")).all()
    assert len(sheets) == 3  # each notice's 发文稿纸
    # 主送 各村（社区）: delivered to the demo's village with a clerk account; the 报告 to the district is not
    assert {(r.document.number, r.recipient.name) for r in session.scalars(select(DocumentReceipt))} == {
        ("青石府发〔2026〕1号", "石桥村"), ("青石府发〔2026〕2号", "石桥村")}
    assert session.scalar(select(func.count()).select_from(NoticeDistribution)) == 3
    assert all(i.status == "completed" for i in session.scalars(select(ProcessInstance)))


def test_joint_notice_stacks_the_organs_in_its_header(app, session, people, tmp_path):
    """联合行文: the co-issuing organ comes from the town's organ identities; the lead organ first."""
    clerk, office_head, leader = people
    case_id, draft = _open_case(clerk, "关于联合开展消防安全检查的通知")
    refused = clerk.post(f"/tasks/{draft}", draft_form(title="关于联合开展消防安全检查的通知",
                                                       joint_organs=["外镇人民政府"]))
    assert refused.status_code == 400 and "联合发文机关不在本镇的发文机关中。" in refused.get_data(as_text=True)
    form = draft_form(title="关于联合开展消防安全检查的通知", joint_organs=["松林镇消防安全委员会"])
    assert clerk.post(f"/tasks/{draft}", form).status_code == 302
    assert office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"}).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发')}", {"decision": "approve"}).status_code == 302
    document = _document(case_id)
    assert document.number == "松林府发〔2026〕1号"  # numbered by the lead organ
    text, path = download_docx(clerk, document, tmp_path)
    lines = text.split("\n")
    lead, partner = lines.index("松林镇人民政府"), lines.index("松林镇消防安全委员会")
    assert lead < partner and "文件" in lines[partner:partner + 3] and ORGAN_MARK not in lines
    check_gbt9704(path)
    summary = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "<dt>联合发文</dt><dd>松林镇消防安全委员会</dd>" in summary
