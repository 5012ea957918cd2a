"""单位自助链接, issue 21 item 5 finished: the notice itself prints the link and its QR code, the unit applies
for 延期 through it (the leader approves as usual), and the link takes only so many files a day."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import threading
from datetime import timedelta

import pdfplumber
import pytest
import zxingcpp
from sqlalchemy import func, select

from tests.conftest import Browser
from tests.docx_checks import check_gbt9704, check_pdf_text, docx_all_text
from tests.web.test_inspection_flow import PNG, at, document_text
from tests.web.test_unit_link import _noisy_png, _pdf_scan, _post, _served_notice
from webapp.models import AuditEvent, StoredFile
from webapp.procedures.inspection import unit_link
from webapp.procedures.inspection.models import RectificationPlan
from webapp.procedures.inspection.referral_models import UnitSubmission
from webapp.services.errors import InvalidInput
from webapp.services.file_store import FileStore
from webapp.services.storage.database import DatabaseFileStore

PUBLIC = "https://xf.town.invalid"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


@pytest.fixture()
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)


@pytest.mark.slow  # one notice through LibreOffice
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_the_notice_prints_the_link_and_its_qr_code_decodes_to_it(app, session, login_as, public_url, tmp_path):
    inspection, path = _served_notice(app, session, login_as)
    assert path.startswith(f"{unit_link.PATH}/")
    notice, text, content = document_text(session, app, "rectification_notice")
    link = f"{PUBLIC}{path}"
    assert "扫码上传整改照片、申请复查或延期：" in text and link in docx_all_text(content).splitlines()
    check_gbt9704(content, "--allow-di", tmp_path=tmp_path, name="notice")
    pdf = login_as("clerk").get(f"/documents/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    check_pdf_text(content, pdf.data, tmp_path, name="notice")
    with pdfplumber.open(io.BytesIO(pdf.data)) as opened:
        decoded = [found.text for page in opened.pages
                   for found in zxingcpp.read_barcodes(page.to_image(resolution=200).original)]
    assert decoded == [link]
    assert Browser(app.test_client()).get(path).status_code == 200  # what the phone opens: no login


def test_without_a_public_address_the_notice_prints_no_link(app, session, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "")
    _served_notice(app, session, login_as)
    _notice, text, _content = document_text(session, app, "rectification_notice")
    assert "扫码上传" not in text and "/n/" not in text


def _extension_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'name="ext-plan_items-(\d+)-hazard_id" type="hidden" value="(\d+)"', page)


def test_the_unit_applies_for_an_extension_and_the_leader_approves_it(app, session, login_as):
    inspection, path = _served_notice(app, session, login_as)
    due = inspection.hazards[0].due_on
    unit = Browser(app.test_client())
    page = unit.get(path).get_data(as_text=True)
    assert "申请延期" in page and "延期理由" in page and "（申请延期时填写）" not in page
    rows = _extension_rows(page)
    assert len(rows) == 1
    data = {"ext-applicant": "店主", "ext-reason": "", "ext-measures": "", "ext-interim_measures": "",
            f"ext-plan_items-{rows[0][0]}-hazard_id": rows[0][1], f"ext-plan_items-{rows[0][0]}-due_on": ""}
    empty = unit.post(f"{path}/extension", data)
    text = empty.get_data(as_text=True)
    assert empty.status_code == 400
    for message in ("申请延期时请填写延期理由。", "申请延期时请填写整改计划。",
                    "申请延期时请填写整改期间的安全防范措施。", "请至少为一项隐患填写新的整改期限。"):  # all at once
        assert message in text, message
    assert 'value="店主"' in text  # input kept
    data.update({"ext-reason": "灭火器需向厂家订购<到货约两周>", "ext-measures": "订购4具ABC干粉灭火器，到货即更换。",
                 "ext-interim_measures": "借用邻店灭火器2具放在收银台旁。",
                 f"ext-plan_items-{rows[0][0]}-due_on": due.isoformat()})
    same_day = unit.post(f"{path}/extension", data).get_data(as_text=True)
    assert f"应晚于现整改期限（{due.isoformat()}）。" in same_day and "到货约两周" in same_day
    new_due = due + timedelta(days=14)
    data[f"ext-plan_items-{rows[0][0]}-due_on"] = new_due.isoformat()
    done = unit.post(f"{path}/extension", data)
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    again = unit.post(f"{path}/extension", data)  # while the leader decides, the case waits for nothing
    assert again.status_code == 400 and "已不在整改期内" in again.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(UnitSubmission.kind)).all() == ["extension"]
    plan = session.scalar(select(RectificationPlan))
    assert plan.status == "pending" and plan.applicant == "店主" and "到货约两周" in plan.reason
    leader = login_as("leader")
    review = leader.inbox_task_id("审批整改计划")  # in the leader's 待办, as when the inspector records it
    assert leader.post(f"/tasks/{review}", {"verdict": "approve", "review_opinion": "同意"}).status_code == 302
    session.expire_all()
    assert session.get(type(inspection), inspection.id).hazards[0].due_on == new_due
    assert unit.get(path).status_code == 200  # the printed link still opens: its last day follows the new date
    assert unit_link.last_day(session.get(type(inspection), inspection.id)) == new_due + unit_link.VALID_AFTER_DEADLINE


def _stored() -> int:
    return select(func.count()).select_from(StoredFile)


def test_the_link_takes_so_many_files_a_day_and_a_refused_post_stores_nothing(app, session, login_as, monkeypatch):
    inspection, path = _served_notice(app, session, login_as)
    monkeypatch.setitem(app.config, "UNIT_LINK_DAILY_FILES", 2)
    unit = Browser(app.test_client())
    app.extensions["firegrid.clock"].set(at("2026-09-29T10:00"))
    first = _post(unit, path, {"applicant": "店主", "files": [(io.BytesIO(PNG), "a.png"),
                                                                (io.BytesIO(_pdf_scan()), "b.pdf")]})
    assert first.status_code == 302
    stored = session.scalar(_stored())
    third = _noisy_png(40)
    over = _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(third), "c.png")})
    assert over.status_code == 400 and "本链接每日最多接收2个文件" in over.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(_stored()) == stored and session.scalar(select(func.count(UnitSubmission.id))) == 1
    monkeypatch.setitem(app.config, "UNIT_LINK_DAILY_FILES", 20)
    monkeypatch.setitem(app.config, "UNIT_LINK_DAILY_MB", 1)
    big = _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(_noisy_png(620)), "big.png")})
    assert big.status_code == 400 and "共1MB" in big.get_data(as_text=True)
    app.extensions["firegrid.clock"].set(at("2026-09-30T08:00"))  # a new day
    assert _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(third), "c.png")}).status_code == 302


def test_a_pdf_or_a_program_renamed_jpg_is_refused(app, session, login_as):
    _inspection, path = _served_notice(app, session, login_as)
    unit = Browser(app.test_client())
    for content in (_pdf_scan(), EXE):
        refused = _post(unit, path, {"applicant": "店主", "files": (io.BytesIO(content), "photo.jpg")})
        assert refused.status_code == 400 and "文件名与内容相符：photo.jpg" in refused.get_data(as_text=True)
    assert session.scalar(select(UnitSubmission)) is None


@pytest.mark.parametrize("backend", ["local", "database"])
def test_an_error_after_a_file_was_stored_leaves_no_orphan(app, session, login_as, tmp_path, backend):
    inspection, _path = _served_notice(app, session, login_as)
    store = FileStore(tmp_path / "files") if backend == "local" else DatabaseFileStore(lambda: session)
    cap = unit_link.DailyCap(files=20, megabytes=50)
    good, too_big = _noisy_png(30), _noisy_png(100)  # new bytes: nothing stored them before
    with pytest.raises(InvalidInput, match="超过"):  # the second is over the upload limit once the first is in
        unit_link.store_files(session, store, inspection, [(good, "a.png"), (too_big, "b.png")],
                              max_bytes=len(too_big) - 1, cap=cap, now=at("2026-09-29T10:00"))
    session.rollback()  # what the view's error path does (show_invalid)
    sha = hashlib.sha256(good).hexdigest()
    assert not store.exists(sha) and session.get(StoredFile, sha) is None


def test_another_notices_id_with_this_signature_is_refused_and_logged(app, session, login_as):
    inspection, path = _served_notice(app, session, login_as)
    unit = Browser(app.test_client())
    signature = path.rsplit("-", 1)[1]
    assert unit.get(f"{unit_link.PATH}/{inspection.id + 1}-{signature}").status_code == 403
    assert unit.post(f"{unit_link.PATH}/{inspection.id + 1}-{signature}/extension", {}).status_code == 403
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert len(denied) >= 2
    legacy = unit_link._legacy(app.config["SECRET_KEY"]).dumps({"i": inspection.id, "e": "2026-12-31"})
    assert unit.get(f"/notice-link/{legacy}").status_code == 200  # a slip printed before still opens


def test_two_posts_at_once_cannot_both_pass_the_days_cap(app, session, login_as, monkeypatch):
    """Each post alone fits the cap, both together do not: the second to count must see the first's files, on
    SQLite (where FOR UPDATE does nothing) as on PostgreSQL."""
    inspection, path = _served_notice(app, session, login_as)
    monkeypatch.setitem(app.config, "UNIT_LINK_DAILY_FILES", 3)
    app.extensions["firegrid.clock"].set(at("2026-09-29T10:00"))
    visitors, start, codes = [Browser(app.test_client()) for _ in range(2)], threading.Barrier(2), []

    def post(visitor: Browser, seed: int) -> None:
        files = [(io.BytesIO(_noisy_png(30 + seed * 2 + i)), f"{seed}-{i}.png") for i in range(2)]
        start.wait()
        codes.append(_post(visitor, path, {"applicant": "店主", "files": files}).status_code)

    threads = [threading.Thread(target=post, args=(visitor, seed)) for seed, visitor in enumerate(visitors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(codes) == [302, 400]
    session.expire_all()
    [row] = session.scalars(select(UnitSubmission).where(UnitSubmission.inspection_id == inspection.id)).all()
    assert len(row.files) == 2
