"""Read before signing through HTTP: the approval step shows the document built from the task data in the
page, the drafting step previews the unsaved form and changes nothing, previews are per user, and without
LibreOffice a text preview says so. No decision is preselected."""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import time
from datetime import datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.conftest import tiny_pdf
from tests.docx_checks import PREVIEW_DOCX, staged_preview_text
from webapp.cases import previews
from webapp.clock import TZ
from webapp.models import AuditEvent, Document, IssuedNumber, ProcessInstance, StoredFile

BODY = "为做好冬春火灾防控工作，现通知如下：\n一、排查隐患\n各村（社区）逐户排查出租屋。"
FRAME = re.compile(r'<iframe class="doc-frame" src="([^"]+)"')
needs_libreoffice = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")


def _docs(app):
    return app.extensions["firegrid.runtime"].documents


def _form(**overrides) -> dict:
    form = {"kind": "通知", "issuing_body": "town", "direction": "down", "title": "关于开展冬春火灾防控工作的通知",
            "addressees": ["各村（社区）"], "addressees_other": "", "cc": "", "body": BODY, "note": "",
            "copies": "12", "printer": "松林镇党政办公室"}
    return {**form, **overrides}


@pytest.fixture()
def people(app, sign_in, small_town):  # noqa: ANN001, ANN201
    app.extensions["firegrid.clock"].set(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    return sign_in("clerk"), sign_in("office_head")


def _drafted(clerk, office_head, **overrides) -> int:
    """A notice drafted by the clerk; returns the office head's 核稿 task."""
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": "冬春防火"}).status_code == 302
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", _form(**overrides)).status_code == 302
    return office_head.inbox_task_id("核稿")


def _links(page: str) -> tuple[str, str]:
    frame, docx = FRAME.search(page), PREVIEW_DOCX.search(page)
    assert frame and docx, page[:3000]
    return html.unescape(frame.group(1)), html.unescape(docx.group(1))


@needs_libreoffice
def test_approval_step_shows_the_pages_built_from_the_task_data(app, session, people):
    clerk, office_head = people
    review = _drafted(clerk, office_head, body=BODY + "\n二、工作要求\n三月底前报送。")
    page = office_head.get(f"/tasks/{review}").get_data(as_text=True)
    assert "预览通知（DOCX）" not in page  # read in the page, not by downloading first
    assert "三月底前报送。" in staged_preview_text(office_head, office_head.get(f"/tasks/{review}"))
    frame, _ = _links(page)

    viewer = office_head.get(frame)
    images = re.findall(r'<img class="doc-page" src="([^"]+)"', viewer.get_data(as_text=True))
    assert viewer.status_code == 200 and images
    image = office_head.get(html.unescape(images[0]))
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:8] == b"\x89PNG\r\n\x1a\n"
    sha256 = frame.split("/")[2].split("?")[0]
    pdf = PdfReader(_docs(app).preview_dir / f"{sha256}.pdf").pages
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pdf))
    assert len(pdf) == len(images) and "逐户排查出租屋" in text and "三月底前报送" in text
    # The same content again is served from the cache: the pages exist once, under the DOCX's hash.
    assert office_head.get(frame).get_data(as_text=True) == viewer.get_data(as_text=True)
    as_text = office_head.get(frame + "&view=text").get_data(as_text=True)  # easier to read on a phone
    assert "各村（社区）逐户排查出租屋。" in as_text and "<img" not in as_text and "未安装" not in as_text
    assert session.scalar(select(func.count()).select_from(Document)) == 0


def test_draft_preview_shows_the_unsaved_form_and_changes_nothing(app, session, people):
    clerk, office_head = people
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": "冬春防火"}).status_code == 302
    draft = clerk.inbox_task_id("拟稿")
    first = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    assert "预览（不保存）" in first and "<iframe" not in first  # a drafting step previews on request
    instance = session.scalar(select(ProcessInstance))
    version, state = instance.version, instance.state_json
    counts = [session.scalar(select(func.count()).select_from(model)) for model in (Document, IssuedNumber, StoredFile)]

    unsaved = "二、未保存的新段落\n请于四月十日前完成。"
    attachment = [(io.BytesIO(tiny_pdf()), "冬春防火工作方案.pdf")]
    response = clerk.post(f"/tasks/{draft}/preview", {**_form(title="关于预览测试的通知", body=BODY + "\n" + unsaved),
                                                      "new_attachments": attachment})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "请于四月十日前完成。</textarea>" in page  # the input is kept
    assert "预览未保存所选文件，提交前请重新选择要上传的文件。" in page  # a browser never refills a file input
    assert f'action="/tasks/{draft}"' in page  # 提交 from the preview page submits, it does not preview again
    text = staged_preview_text(clerk, response)
    assert "关于预览测试的通知" in text and "请于四月十日前完成。" in text and "〔2026〕　号" in text
    assert "附件：冬春防火工作方案" in text  # named in the preview, stored nowhere (counted below)

    session.expire_all()
    instance = session.get(ProcessInstance, instance.id)
    assert (instance.version, instance.state_json) == (version, state)
    assert [session.scalar(select(func.count()).select_from(m)) for m in (Document, IssuedNumber, StoredFile)] == counts
    assert "请于四月十日前完成" not in clerk.get(f"/tasks/{draft}").get_data(as_text=True)


def test_draft_preview_checks_the_form_like_submit(people):
    clerk, _ = people
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": "冬春防火"}).status_code == 302
    draft = clerk.inbox_task_id("拟稿")
    response = clerk.post(f"/tasks/{draft}/preview", _form(title="保留的标题", body=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请输入正文" in page and 'value="保留的标题"' in page
    assert "<iframe" not in page
    no_token = clerk.request("POST", f"/tasks/{draft}/preview", data=_form())
    assert no_token.status_code == 400  # CSRF-protected like every form


def test_previews_are_for_the_task_holder_only(app, session, people, sign_in, small_town):
    clerk, office_head = people
    review = _drafted(clerk, office_head)
    frame, docx = _links(office_head.get(f"/tasks/{review}").get_data(as_text=True))
    village_clerk = sign_in("village_clerk")
    assert village_clerk.get(f"/tasks/{review}").status_code == 403
    assert village_clerk.get(frame).status_code == 403  # the link was made for the office head
    assert village_clerk.get(docx).status_code == 403
    assert clerk.get(frame).status_code == 403
    assert village_clerk.post(f"/tasks/{review}/preview", {"decision": "approve"}).status_code == 403
    denied = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "access_denied"))
    assert denied >= 5


def test_without_libreoffice_the_preview_is_text_and_says_so(app, session, people, without_libreoffice):
    clerk, office_head = people
    review = _drafted(clerk, office_head)
    frame, _ = _links(office_head.get(f"/tasks/{review}").get_data(as_text=True))
    viewer = office_head.get(frame)
    page = viewer.get_data(as_text=True)
    assert viewer.status_code == 200 and "服务器未安装 LibreOffice，无法按版式显示文件页面。" in page
    assert "<img" not in page
    assert '<p class="doc-heading center" role="heading" aria-level="3">关于开展冬春火灾防控工作的通知</p>' in page
    assert "各村（社区）逐户排查出租屋。" in page and "松林府发〔2026〕　号" in page


def test_no_decision_is_preselected_and_one_is_required(people):
    clerk, office_head = people
    review = _drafted(clerk, office_head)
    page = office_head.get(f"/tasks/{review}").get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="decision"[^>]*>', page)
    assert len(radios) == 2 and not any("checked" in radio for radio in radios)
    missing = office_head.post(f"/tasks/{review}", {"opinion": "看过了"})
    page = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "请选择同意或退回。" in page and "看过了</textarea>" in page
    assert re.search(r'<legend>处理意见</legend>.*?请选择同意或退回。', page, re.S)  # beside the field
    assert office_head.post(f"/tasks/{review}", {"decision": "approve"}).status_code == 302


def test_preview_cache_keeps_what_is_in_use_and_prunes_the_rest(app, session):
    docs = _docs(app)
    old, used = previews.stage(docs, b"old preview"), previews.stage(docs, b"preview in use")
    (docs.preview_dir / f"{old}.pages").mkdir()
    week_ago = time.time() - 8 * 86400
    for path in (docs.preview_dir / f"{old}.docx", docs.preview_dir / f"{old}.pages",
                 docs.preview_dir / f"{used}.docx"):
        os.utime(path, (week_ago, week_ago))
    assert previews.stage(docs, b"preview in use") == used  # staged again: in use
    previews.stage(docs, b"a new preview")  # a new entry prunes what nobody asked for in a week
    assert not (docs.preview_dir / f"{old}.docx").exists() and not (docs.preview_dir / f"{old}.pages").exists()
    assert (docs.preview_dir / f"{used}.docx").exists()
