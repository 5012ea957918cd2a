"""单位自助链接: without an account, only for its own notice, only until it expires, images and PDFs only within
the upload limit; a tampered link is refused (403) and the application starts the 3-working-day 复查 clock."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from tests.conftest import Browser
from tests.web.test_inspection_flow import PNG, at, draft_and_sign_notice, serve, start_inspection, unit_in
from webapp.models import AuditEvent, WorkTask
from webapp.procedures.inspection import unit_link
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.inspection.referral_models import UnitSubmission

DOCX = Path(__file__).parents[2] / "doc_templates" / "notice.docx"


def _noisy_png(size: int) -> bytes:
    """A real PNG that does not compress: random pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(out, "PNG")
    return out.getvalue()


def _pdf_scan() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(out, "PDF")
    return out.getvalue()


def _served_notice(app, session, login_as, village: str = "青石村") -> tuple[Inspection, str]:
    """A served notice, and the path of its link as the slip prints it."""
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    clerk, leader = login_as("clerk"), login_as("leader")
    case = start_inspection(login_as("inspector"), session, unit_in(session, village), {1: "灭火器压力不足"})
    draft_and_sign_notice(clerk, leader, session)
    serve(clerk)
    inspection = session.scalar(select(Inspection).where(Inspection.instance_id == case.id))
    slip = clerk.get(f"/inspection/{inspection.id}/unit-link").get_data(as_text=True)
    assert "<svg" in slip
    url = re.search(r'href="(http[^"]*/n/[^"]+)"', slip).group(1)
    return inspection, url[url.index("/n/"):]


def _post(visitor: Browser, path: str, data: dict):  # noqa: ANN202
    return visitor.post(path, data, content_type="multipart/form-data")


def test_the_unit_uploads_photos_and_applies_for_reinspection_without_an_account(app, session, login_as):
    inspection, path = _served_notice(app, session, login_as)
    unit = Browser(app.test_client())  # nobody logged in
    page = unit.get(path).get_data(as_text=True)
    assert inspection.unit.name in page and inspection.notice_number in page and "申请复查" in page

    html = _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(b"<html><script>x</script>"), "a.png")})
    assert html.status_code == 400 and "只能上传图片" in html.get_data(as_text=True)
    docx_file = _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(DOCX.read_bytes()), "plan.docx")})
    assert docx_file.status_code == 400  # the upload service takes DOCX elsewhere; a unit sends images and PDFs
    assert "店主" in docx_file.get_data(as_text=True)  # input kept
    app.config["MAX_CONTENT_LENGTH"], limit = 20_000, app.config["MAX_CONTENT_LENGTH"]
    try:
        big = _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(_noisy_png(100)), "big.png")})
        assert big.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert session.scalar(select(UnitSubmission)) is None

    app.extensions["firegrid.clock"].set(at("2026-10-09T10:00"))
    done = _post(unit, path, {"applicant": "店主", "note": "已更换灭火器", "apply": "y",
                              "files": [(io.BytesIO(PNG), "after.png"), (io.BytesIO(_pdf_scan()), "invoice.pdf")]})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    session.expire_all()
    sent = session.scalar(select(UnitSubmission))
    assert sent.kind == "reinspection" and [f["type"] for f in sent.files] == ["image/png", "application/pdf"]
    task = session.scalar(select(WorkTask).where(WorkTask.instance_id == inspection.instance_id,
                                                 WorkTask.step_key == "reinspect"))
    # the 复查 is due 3 working days after the application, not after the notice's deadline
    assert task.due_at.date() == app.extensions["firegrid.runtime"].calendar(session).add_workdays(
        date(2026, 10, 9), 3)
    case_page = login_as("clerk").get(f"/cases/{inspection.instance_id}").get_data(as_text=True)
    files = re.findall(r'href="(/inspection/\d+/unit-files/\d+/\d+)">([^<]+)</a>', case_page)
    assert [name for _url, name in files] == ["after.png", "invoice.pdf"] and "已更换灭火器" in case_page
    assert login_as("clerk").get(files[0][0]).data == PNG
    assert login_as("clerk_shiqiao").get(files[0][0]).status_code == 403
    again = _post(unit, path, {"applicant": "店主", "apply": "y"})
    assert again.status_code == 400 and "已不在整改期内" in again.get_data(as_text=True)


def test_a_tampered_another_or_expired_link_is_refused(app, session, login_as):
    inspection, path = _served_notice(app, session, login_as)
    assert login_as("clerk_shiqiao").get(f"/inspection/{inspection.id}/unit-link").status_code == 403  # the slip
    assert login_as("clerk").get("/inspection/99999999/unit-link").status_code == 404
    unit = Browser(app.test_client())
    token = path.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert unit.get(f"/n/{tampered}").status_code == 403
    forged = unit_link.token_for("another-secret", inspection)
    assert unit.get(f"/n/{forged}").status_code == 403
    other = Inspection(id=inspection.id + 1000)  # a link for a notice that does not exist (same secret)
    other.deadline = inspection.deadline
    assert unit.get(f"/n/{unit_link.token_for(app.config['SECRET_KEY'], other)}").status_code == 403
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied")) is not None
    last = unit_link.last_day(inspection)
    app.extensions["firegrid.clock"].set(at(f"{last.isoformat()}T23:00"))
    assert unit.get(path).status_code == 200
    app.extensions["firegrid.clock"].set(at(f"{(last + timedelta(days=1)).isoformat()}T08:00"))
    assert unit.get(path).status_code == 403
    assert _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(PNG), "late.png")}).status_code == 403
