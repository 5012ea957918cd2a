"""Issue 7 through HTTP: a campaign for the 60 demo units, letters per kind, signing, 签订率 dashboard."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime
from urllib.parse import quote

import docx
import openpyxl
from sqlalchemy import func, select

from tests.conftest import tiny_pdf
from tests.docx_checks import staged_preview_text
from tests.form_support import error_beside
from webapp.clock import TZ
from webapp.models import Document, GridNode, ProcessInstance, Unit, WorkTask
from webapp.models.grid import NINE_SMALL_CATEGORIES
from webapp.procedures.responsibility_letters.campaigns import KINDS, default_text, organ_name
from webapp.procedures.responsibility_letters.models import LetterCampaign, ResponsibilityLetter
from webapp.services import jobs

CUSTOM_CLAUSE = "本年度重点单位须开展一次消防安全评估。"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def task_id(session, instance_id: int, step: str) -> int:
    task = session.scalar(select(WorkTask).where(WorkTask.instance_id == instance_id, WorkTask.step_key == step))
    assert task is not None, f"no {step} task"
    return task.id


def draft_data(app, year: int, party_a: str) -> dict:
    text = default_text(app.extensions["firegrid.runtime"].documents.library, year)
    data = {"year": year, "party_a_name": party_a, "party_a_signatory": "郑国栋",
            "term_start": f"{year}-01-01", "term_end": f"{year}-12-31", "preamble": text["preamble"],
            "targets": "\n".join(text["targets"]), "assessment": "\n".join(text["assessment"]),
            "copies_note": text["copies_note"]}
    data.update({f"duties_{kind}": "\n".join(text["duties"][kind]) for kind in KINDS})
    data["duties_key_unit"] += "\n" + CUSTOM_CLAUSE  # editable for this campaign
    return data


def run_jobs(app, session) -> int:
    clock = app.extensions["firegrid.clock"]
    return jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="tick", clock=clock.now)


def open_campaign(app, session, clerk, leader, *, grid: GridNode, counterparty_set: str = "units") -> LetterCampaign:
    response = clerk.post("/procedures/responsibility_letters/start",
                          {"year": 2026, "grid_id": grid.id, "counterparty_set": counterparty_set})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    instance = session.scalar(select(ProcessInstance).order_by(ProcessInstance.id.desc()))
    draft = task_id(session, instance.id, "draft")
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    party_a = organ_name(grid)
    assert party_a in page and "建立村（社区）消防安全组织" in page  # defaults from the manifest
    typed = {**draft_data(app, 2026, party_a), "assessment": "考评结果在全镇通报（预览用条款）。"}
    preview = staged_preview_text(clerk, clerk.post(f"/tasks/{draft}/preview", typed))
    assert "考评结果在全镇通报（预览用条款）。" in preview  # the clause as typed, not yet saved
    response = clerk.post(f"/tasks/{draft}", draft_data(app, 2026, party_a))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    approve = task_id(session, instance.id, "approve")
    preview = leader.get(f"/tasks/{approve}/preview/responsibility_letter.docx")
    assert preview.status_code == 200
    assert leader.post(f"/tasks/{approve}", {"decision": "approve", "opinion": "同意"}).status_code == 302
    return session.scalar(select(LetterCampaign).where(LetterCampaign.instance_id == instance.id))


def expected_kind(unit: Unit) -> str:
    if unit.category == "key_unit":
        return "key_unit"
    return "small_venue" if unit.category in NINE_SMALL_CATEGORIES else "other_unit"


def check_letter_docx(app, letter: ResponsibilityLetter, unit: Unit) -> None:
    content = app.extensions["firegrid.runtime"].documents.store.read(letter.document.file_sha256)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "甲方：江岸区青石镇人民政府" in text and f"乙方：{unit.name}" in text
    kind = expected_kind(unit)
    clauses = default_text(app.extensions["firegrid.runtime"].documents.library, 2026)["duties"]
    for clause in clauses[kind]:
        assert clause in text
    for other in set(KINDS) - {kind}:
        assert clauses[other][0] not in text
    assert (CUSTOM_CLAUSE in text) == (kind == "key_unit")


def test_campaign_for_demo_units_generates_signs_and_reports(app, session, login_as):
    app.extensions["firegrid.clock"].set(at("2026-03-02T10:00"))
    clerk, leader = login_as("clerk"), login_as("leader")
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    campaign = open_campaign(app, session, clerk, leader, grid=town)
    assert campaign.status == "generating" and campaign.job.total == 60
    progress = clerk.get(f"/letters/jobs/{campaign.job_id}/progress").get_json()
    assert progress["done"] == 0 and progress["total"] == 60 and progress["status"] == "pending"

    assert run_jobs(app, session) >= 3
    session.expire_all()
    assert clerk.get(f"/letters/jobs/{campaign.job_id}/progress").get_json()["percent"] == 100
    letters = list(session.scalars(select(ResponsibilityLetter).where(ResponsibilityLetter.campaign_id == campaign.id)
                                  .order_by(ResponsibilityLetter.id)))
    assert len(letters) == 60 and all(letter.status == "issued" for letter in letters)
    for letter in letters:
        check_letter_docx(app, letter, letter.unit)

    combined = clerk.get(f"/letters/campaigns/{campaign.id}/combined.docx")
    assert combined.status_code == 200
    combined_doc = docx.Document(io.BytesIO(combined.data))
    assert combined_doc.element.xml.count('w:type="page"') == 60
    assert "一式三份" in combined_doc.paragraphs[1].text and "合计180份" in combined_doc.paragraphs[1].text

    signed = letters[:45]
    response = clerk.post(f"/letters/campaigns/{campaign.id}/bulk-sign",
                          {"signed_on": "2026-03-02", "letter_ids": [str(letter.id) for letter in signed]})
    assert response.status_code == 302
    session.expire_all()
    assert session.scalar(select(func.count()).where(ResponsibilityLetter.status == "signed")) == 45

    board = clerk.get(f"/letters/campaigns/{campaign.id}/dashboard").get_data(as_text=True)
    assert re.search(r'data-total="rate">75%<', board)
    unsigned_names = {letter.party_b_name for letter in letters[45:]}
    rows = re.findall(r'<tr class="unsigned-row">.*?<a href="/letters/\d+">([^<]+)</a>', board, re.S)
    assert len(rows) == 15 and set(rows) == unsigned_names
    village_sum = 0
    for village in (n for n in town.children if n.level == "village"):
        own = [letter for letter in letters if letter.grid_path.startswith(village.path)]
        signed_here = sum(1 for letter in own if letter in signed)
        rate = signed_here * 100 / len(own)
        text = f"{rate:.0f}%" if rate == int(rate) else f"{rate:.1f}%"
        row = re.search(rf'<tr data-node="{village.name}">.*?</tr>', board, re.S).group(0)
        assert re.search(rf"<td[^>]*>{len(own)}</td><td[^>]*>{signed_here}</td>", row)
        assert f'class="rate">{text}<' in row
        village_sum += len(own)
        drill = clerk.get(f"/letters/campaigns/{campaign.id}/dashboard?node={village.id}").get_data(as_text=True)
        assert f'data-total="rate">{text}<' in drill
        assert drill.count('<tr class="unsigned-row">') == len(own) - signed_here
    assert village_sum == 60

    sheet = openpyxl.load_workbook(io.BytesIO(clerk.get(f"/letters/campaigns/{campaign.id}/unsigned.xlsx").data)).active
    exported = [row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]]
    assert len(exported) == 15 and {row[1] for row in exported} == unsigned_names
    assert all(row[4] and row[5] for row in exported)  # responsible person and phone


def test_villages_and_departments_single_sign_undo_void_and_auto_close(app, session, login_as):
    app.extensions["firegrid.clock"].set(at("2026-02-10T10:00"))
    clerk, leader = login_as("clerk"), login_as("leader")
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    campaign = open_campaign(app, session, clerk, leader, grid=town, counterparty_set="villages_departments")
    run_jobs(app, session)
    session.expire_all()
    letters = list(session.scalars(select(ResponsibilityLetter).where(ResponsibilityLetter.campaign_id == campaign.id)))
    kinds = sorted(letter.kind for letter in letters)
    assert kinds.count("village") == 3 and kinds.count("department") == 6  # head (the government itself) excluded
    assert "青石派出所" in {letter.party_b_name for letter in letters}

    first = letters[0]
    scan = ("scan.pdf", tiny_pdf())
    future = {"signed_on": "2026-02-11", "signatory_a": "郑国栋", "signatory_b": "孔德厚",
              "scan": (io.BytesIO(scan[1]), scan[0])}
    refused = clerk.post(f"/letters/{first.id}/sign", future, content_type="multipart/form-data")
    assert refused.status_code == 400 and 'value="孔德厚"' in refused.get_data(as_text=True)
    assert error_beside(refused.get_data(as_text=True), "signed_on", "不能晚于今天")
    form = {"signed_on": "2026-02-09", "signatory_a": "郑国栋", "signatory_b": "孔德厚",
            "scan": (io.BytesIO(scan[1]), scan[0])}
    response = clerk.post(f"/letters/{first.id}/sign", form, content_type="multipart/form-data")
    assert response.status_code == 302
    download = clerk.get(f"/letters/{first.id}/scan")
    assert download.data == scan[1] and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].endswith(quote(f"{first.party_b_name}_签字盖章件.pdf"))
    session.expire_all()
    filed = session.get(ResponsibilityLetter, first.id).document.attachments
    assert [(a.role, a.file_sha256) for a in filed] == [("scan", hashlib.sha256(scan[1]).hexdigest())]
    assert clerk.post(f"/letters/{first.id}/undo", {"reason": ""}).status_code == 400
    assert clerk.post(f"/letters/{first.id}/undo", {"reason": "签订日期登记错误"}).status_code == 302
    session.expire_all()
    assert session.get(ResponsibilityLetter, first.id).status == "issued"
    assert session.get(ResponsibilityLetter, first.id).document.attachments == []

    clerk.post(f"/letters/{first.id}/void", {"reason": "乙方名称有误"})
    session.expire_all()
    old = session.get(ResponsibilityLetter, first.id)
    new = session.scalar(select(ResponsibilityLetter).where(
        ResponsibilityLetter.counterparty_key == old.counterparty_key, ResponsibilityLetter.revision == 2))
    assert old.status == "void" and old.document.status == "void" and new.status == "issued" and new.document_id
    assert session.get(LetterCampaign, campaign.id).combined_stale

    current = [letter.id for letter in session.scalars(select(ResponsibilityLetter).where(
        ResponsibilityLetter.campaign_id == campaign.id, ResponsibilityLetter.status == "issued"))]
    clerk.post(f"/letters/campaigns/{campaign.id}/bulk-sign", {"signed_on": "2026-02-10", "letter_ids": current})
    session.expire_all()
    done = session.get(LetterCampaign, campaign.id)
    assert done.status == "closed" and done.instance.status == "completed" and done.unsigned_at_close == []
    assert session.scalar(select(func.count(Document.id)).where(Document.template_key == "responsibility_letter")) == 10


def test_leader_closes_with_unsigned_listed(app, session, login_as):
    app.extensions["firegrid.clock"].set(at("2026-03-02T10:00"))
    clerk, leader = login_as("clerk"), login_as("leader")
    village = session.scalar(select(GridNode).where(GridNode.name == "石桥村"))
    campaign = open_campaign(app, session, clerk, leader, grid=village)
    signing = task_id(session, campaign.instance_id, "signing")
    too_early = clerk.post(f"/tasks/{signing}", {"close_note": ""})
    assert too_early.status_code == 400 and "仍在批量生成中" in too_early.get_data(as_text=True)
    run_jobs(app, session)
    assert clerk.post(f"/tasks/{signing}", {"close_note": "两户长期停业"}).status_code == 302
    close = task_id(session, campaign.instance_id, "close")
    page = leader.get(f"/tasks/{close}").get_data(as_text=True)
    assert "责任书签订活动" in page
    assert leader.post(f"/tasks/{close}", {"decision": "approve", "close_note": "同意关闭"}).status_code == 302
    session.expire_all()
    closed = session.get(LetterCampaign, campaign.id)
    units_here = session.scalar(select(func.count(Unit.id)).join(Unit.grid)
                                .where(GridNode.path.startswith(village.path)))
    assert closed.status == "closed" and len(closed.unsigned_at_close) == units_here > 15
    assert closed.instance.status == "completed"
