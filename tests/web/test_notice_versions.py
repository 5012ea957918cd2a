"""Issue 22 item 4: 发文 稿本 and 痕迹保留 through HTTP — every 拟稿/核稿/会签 is a version, the diff page escapes
user text, the 核稿 痕迹稿 is a DOCX with w:ins/w:del by the reviewer, 签发 freezes the 定稿 and files the 痕迹稿."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import zipfile
from datetime import datetime
from urllib.parse import unquote

import docx
import pytest
from docx.oxml.ns import qn
from sqlalchemy import func, select

from tests import factories
from webapp.archive.export import ExportOptions, export_year
from webapp.clock import TZ
from webapp.models import AttachmentRole, AuditEvent, Document, GridNode, ProcessInstance, WorkTask
from webapp.procedures.notice_issuance import notices, versions
from webapp.procedures.notice_issuance.models import NoticeDistribution
from webapp.services.errors import InvalidInput

TITLE = "关于<script>alert(1)</script>开展消防检查的通知"
BODY = "为做好冬春火灾防控工作，现通知如下：\n一、逐户检查隐患\n二、本段将被删除。\n请遵照执行。"
EDITED_TITLE = "关于<script>alert(1)</script>开展消防排查的通知"
EDITED_BODY = "为做好冬春火灾防控工作，现通知如下：\n一、逐户排查隐患，建立台账\n请遵照执行。\n三、新增一段要求。"
REVIEWER = "秦志远"  # factories.STAFF["office_head"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def draft_form(**overrides) -> dict:
    form = {"kind": "通知", "issuing_body": "town", "direction": "down", "title": TITLE,
            "addressees": ["各村（社区）"], "addressees_other": "", "cc": "松林派出所", "body": BODY, "note": "",
            "copies": "10", "printer": "松林镇党政办公室", "co_signers": ["leader"]}
    return {**form, **overrides}


@pytest.fixture()
def people(app, sign_in, small_town):  # noqa: ANN001, ANN201
    app.extensions["firegrid.clock"].set(at("2026-03-02T09:00"))
    return sign_in("clerk"), sign_in("office_head"), sign_in("leader")


def _reviewed_case(app, clerk, office_head, leader) -> int:  # noqa: ANN001
    """拟稿 → 核稿 with edits → 会签 with a remark; returns the case id (waiting for 签发)."""
    clock = app.extensions["firegrid.clock"]
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": TITLE}).status_code == 302
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", draft_form()).status_code == 302
    clock.set(at("2026-03-02T10:30"))
    review = office_head.inbox_task_id("核稿")
    page = office_head.get(f"/tasks/{review}").get_data(as_text=True)
    assert "逐户检查隐患" in page and "&lt;script&gt;" in page  # the reviewer edits the draft's text
    assert office_head.post(f"/tasks/{review}", {"decision": "approve", "opinion": "已核，改了措辞",
                                                 "title": EDITED_TITLE, "body": EDITED_BODY}).status_code == 302
    clock.set(at("2026-03-02T11:00"))
    assert leader.post(f"/tasks/{leader.inbox_task_id('会签')}",
                       {"decision": "approve", "opinion": "会签同意"}).status_code == 302
    from webapp.extensions import db

    return max(db.session.scalars(select(ProcessInstance.id)))


def _revisions(content: bytes) -> tuple[list, list]:
    body = docx.Document(io.BytesIO(content)).element.body
    return list(body.iter(qn("w:ins"))), list(body.iter(qn("w:del")))


def _text(elements: list, tag: str) -> str:
    return "".join(t.text or "" for e in elements for t in e.iter(qn(tag)))


def test_versions_diff_tracked_docx_and_frozen_final(app, session, people, tmp_path):
    clerk, office_head, leader = people
    case_id = _reviewed_case(app, clerk, office_head, leader)

    page = clerk.get(f"/notices/cases/{case_id}/versions").get_data(as_text=True)
    for expected in ("第1稿", "第2稿", "第3稿", "拟稿", "核稿", "会签", "苏晓梅", REVIEWER, "郝国强",
                     "已核，改了措辞", "会签同意", "2026-03-02 10:30"):
        assert expected in page, expected
    assert "<script>alert" not in page  # default pair 2 → 3: 会签 changed no text
    assert page.count("未改动") == len(versions.TEXT_FIELDS)

    diff = clerk.get(f"/notices/cases/{case_id}/versions?base=1&revised=2").get_data(as_text=True)
    assert "<script>alert" not in diff and "&lt;script&gt;alert(1)&lt;/script&gt;" in diff
    assert '<del class="diff-del">检查</del><ins class="diff-ins">排查</ins>' in diff  # by jieba word
    assert '<ins class="diff-ins">，建立台账</ins>' in diff and "本段将被删除" in diff
    by_char = clerk.get(f"/notices/cases/{case_id}/versions?base=2&revised=1&by=char").get_data(as_text=True)
    assert '<del class="diff-del">检</del><ins class="diff-ins">排</ins>' in by_char  # order normalised

    case_page = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/notices/cases/{case_id}/versions/tracked.docx" in case_page and "稿本与修改痕迹（3稿）" in case_page
    response = leader.get(f"/notices/cases/{case_id}/versions/tracked.docx")
    assert response.status_code == 200 and "修改痕迹" in unquote(response.headers["Content-Disposition"])
    inserted, deleted = _revisions(response.data)
    assert inserted and deleted
    assert {e.get(qn("w:author")) for e in inserted + deleted} == {REVIEWER}
    assert {e.get(qn("w:date")) for e in inserted + deleted} == {"2026-03-02T10:30:00"}
    assert "排查" in _text(inserted, "w:t") and "新增一段要求" in _text(inserted, "w:t")
    assert "检查" in _text(deleted, "w:delText") and "本段将被删除" in _text(deleted, "w:delText")

    assert leader.post(f"/tasks/{leader.inbox_task_id('签发')}",
                       {"decision": "approve", "opinion": "同意印发"}).status_code == 302
    withdrawn = leader.post(f"/cases/{case_id}/withdraw")  # the 定稿 is issued: 签发 cannot be taken back
    assert withdrawn.status_code == 409 and "该步骤已生成公文" in withdrawn.get_data(as_text=True)
    session.expire_all()
    instance = session.get(ProcessInstance, case_id)
    final = versions.final_version(session, instance)
    assert final.number == 4 and final.texts["title"] == EDITED_TITLE and final.step_key == "sign_off"
    document = session.scalar(select(Document).where(Document.instance_id == case_id))
    assert document.title == EDITED_TITLE  # the 定稿 is what 核稿 made of the draft
    filed = [a for a in document.attachments if a.role == AttachmentRole.TRACKED]
    assert len(filed) == 1 and filed[0].name.endswith("（第1稿至第2稿修改痕迹）.docx")
    filed_ins, _ = _revisions(app.extensions["firegrid.runtime"].documents.store.read(filed[0].file_sha256))
    assert {e.get(qn("w:author")) for e in filed_ins} == {REVIEWER}
    with pytest.raises(InvalidInput, match="定稿不能再修改"):
        versions.record(session, instance=instance, step_key="draft", data={"title": "改"}, user=None,
                        now=at("2026-03-03T09:00"))
    session.rollback()  # as a refused request does: the attempt held the case
    assert "第4稿为定稿" in clerk.get(f"/notices/cases/{case_id}/versions").get_data(as_text=True)

    assert clerk.post(f"/tasks/{clerk.inbox_task_id('印发登记')}", {"printed_on": "2026-03-02", "copies": "10",
                                                                   "recipients": "各村（社区）"}).status_code == 302
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    export_year(session, app.extensions["firegrid.runtime"].documents, town=town, year=2026,
                out=tmp_path / "a.zip", now=at("2026-12-31T16:00"), options=ExportOptions(pdf=False))
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert any("修改痕迹稿" in name and name.endswith("修改痕迹）.docx") for name in names), names


def test_out_of_scope_and_absurd_requests(app, session, people, sign_in):
    clerk, office_head, leader = people
    case_id = _reviewed_case(app, clerk, office_head, leader)
    village = sign_in("village_clerk")
    assert village.get(f"/notices/cases/{case_id}/versions").status_code == 403
    assert village.get(f"/notices/cases/{case_id}/versions/tracked.docx").status_code == 403
    refusals = session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "access_denied")).all()
    assert any(f"/notices/cases/{case_id}/versions" in summary for summary in refusals)
    assert clerk.get("/notices/cases/99999999/versions").status_code == 404
    assert clerk.get(f"/notices/cases/{case_id}/versions?base=1&revised=77").status_code == 404
    assert clerk.get(f"/notices/cases/{case_id}/versions?base=1").status_code == 400
    assert clerk.get(f"/notices/cases/{case_id}/versions?base=x&revised=99999999999999999999").status_code == 200
    assert clerk.get(f"/notices/cases/{case_id}/versions?by=<b>").status_code == 200


def test_no_review_yet_has_no_tracked_file(app, session, people):
    clerk, _, _ = people
    started = clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": "关于春检的通知"})
    assert started.status_code == 302
    case_id = max(session.scalars(select(ProcessInstance.id)))
    page = clerk.get(f"/notices/cases/{case_id}/versions").get_data(as_text=True)
    assert "尚无稿本" in page
    assert "tracked.docx" not in clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert clerk.get(f"/notices/cases/{case_id}/versions/tracked.docx").status_code == 404


@pytest.mark.slow
def test_libreoffice_opens_the_tracked_file_with_the_reviewers_changes(app, session, people, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    clerk, office_head, leader = people
    case_id = _reviewed_case(app, clerk, office_head, leader)
    source = tmp_path / "tracked.docx"
    source.write_bytes(clerk.get(f"/notices/cases/{case_id}/versions/tracked.docx").data)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "odt", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=120)
    content = zipfile.ZipFile(tmp_path / "tracked.odt").read("content.xml").decode("utf-8")
    assert "<text:tracked-changes" in content and "<text:insertion>" in content and "<text:deletion>" in content
    assert f"<dc:creator>{REVIEWER}</dc:creator>" in content
    assert "<dc:date>2026-03-02T10:30:00</dc:date>" in content


def _in_two_threads(work) -> dict:  # noqa: ANN001
    """work(0) and work(1) in two threads at once; what each returned (a thread that raised has none)."""
    results: dict[int, int] = {}

    def run(index: int) -> None:
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_co_signers_at_once_never_get_a_server_error(app, session, people, sign_in, small_town, monkeypatch):
    """Two 会签 of one notice submitted at the same moment both number a version (each held until both have
    read the case, so they overlap every time): they take turns on the case, the second is told the case
    changed (409) — never a 500 from a duplicate version number. Told, it submits again and the case goes
    on."""
    clerk, office_head, _ = people
    factories.user(session, "leader2", "leader", scope=small_town.town, display_name="韩立新")
    session.commit()
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": TITLE}).status_code == 302
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}",
                      draft_form(co_signers=["leader", "leader2"])).status_code == 302
    review = office_head.inbox_task_id("核稿")
    assert office_head.post(f"/tasks/{review}", {"decision": "approve", "opinion": "已核"}).status_code == 302
    signers = [sign_in("leader"), sign_in("leader2")]
    tasks = [signer.inbox_task_id("会签") for signer in signers]
    both_read, hold = threading.Barrier(2, timeout=60), versions.hold_case

    def hold_together(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        both_read.wait()
        hold(*args, **kwargs)

    monkeypatch.setattr(versions, "hold_case", hold_together)
    answers = _in_two_threads(lambda index: signers[index].post(
        f"/tasks/{tasks[index]}", {"decision": "approve", "opinion": f"同意{index}"}))
    monkeypatch.setattr(versions, "hold_case", hold)
    codes = {index: answer.status_code for index, answer in answers.items()}
    assert sorted(codes.values()) == [302, 409], codes
    told = next(index for index, code in codes.items() if code == 409)
    page = answers[told].get_data(as_text=True)
    assert "本案件的另一步骤刚刚办理完毕" in page and f"同意{told}" in page  # its own form, as posted
    for index, code in codes.items():
        if code == 409:
            again = signers[index].post(f"/tasks/{tasks[index]}", {"decision": "approve", "opinion": "同意"})
            assert again.status_code == 302
    case_id = max(session.scalars(select(ProcessInstance.id)))
    session.expire_all()
    numbers = session.scalars(select(versions.NoticeVersion.number)
                              .where(versions.NoticeVersion.instance_id == case_id)).all()
    assert sorted(numbers) == [1, 2, 3, 4]
    assert session.scalars(select(WorkTask.title).where(WorkTask.instance_id == case_id)).all() == ["签发"]


def test_two_clerks_recording_one_distribution_at_once_one_is_told(app, session, people, sign_in, small_town,
                                                                   monkeypatch):
    """Two clerks submit the one 印发登记 at the same moment (both held until both have completed it in memory):
    one records it, the other is told someone else did (409) — not a 500 from the second distribution row."""
    clerk, office_head, leader = people
    factories.user(session, "clerk2", "clerk", scope=small_town.town, display_name="何雨婷")
    session.commit()
    case_id = _reviewed_case(app, clerk, office_head, leader)
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发')}",
                       {"decision": "approve", "opinion": "同意印发"}).status_code == 302
    clerks = [clerk, sign_in("clerk2")]
    task = clerk.inbox_task_id("印发登记")
    both_done, record = threading.Barrier(2, timeout=60), notices.record_distribution

    def record_together(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        both_done.wait()
        return record(*args, **kwargs)

    monkeypatch.setattr(notices, "record_distribution", record_together)
    codes = _in_two_threads(lambda index: clerks[index].post(f"/tasks/{task}", {
        "printed_on": "2026-03-02", "copies": "10", "recipients": f"各村（社区）{index}"}).status_code)
    monkeypatch.setattr(notices, "record_distribution", record)
    assert sorted(codes.values()) == [302, 409], codes
    session.expire_all()
    document = session.scalar(select(Document).where(Document.instance_id == case_id, Document.step_key == "sign_off"))
    assert session.scalar(select(func.count(NoticeDistribution.id))
                          .where(NoticeDistribution.document_id == document.id)) == 1
