"""Issue 9 through HTTP: 自评 tasks go to the right users, a deduction needs a reason, the leader approves,
the 通报 (after its own 核稿/签发) lists every body in rank order, and each 考评表 shows its scores."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date

from sqlalchemy import func, select

from tests.docx_checks import assert_red_header_document, check_gbt9704, download_docx, staged_preview_text
from tests.services.test_evaluation_records import YEAR, at, make_world
from tests.services.test_evaluation_scoring import build_year
from webapp.models import Document
from webapp.procedures.evaluation.models import Evaluation
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter

ROW = re.compile(r'<a href="/tasks/(\d+)">[^<]*</a></td>\s*<td[^>]*>([^<]+)<')


def task_ids(visitor, title: str) -> list[int]:  # noqa: ANN001
    rows = ROW.findall(visitor.get("/tasks/").get_data(as_text=True))
    return [int(task_id) for task_id, step in rows if step.strip() == title]


def form_values(page: str) -> dict[str, str]:
    """The entries-N-field inputs of a task page, as the browser would post them back."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="(entries-\d+-\w+)"', tag)
        if name:
            value = re.search(r'value="([^"]*)"', tag)
            values[name.group(1)] = html_lib.unescape(value.group(1)) if value else ""
    return values


def self_assess(visitor, task_id: int) -> str:  # noqa: ANN001
    page = visitor.get(f"/tasks/{task_id}").get_data(as_text=True)
    values = form_values(page)
    for name in values:
        if name.endswith("-self_score"):
            values[name] = "4"
    response = visitor.post(f"/tasks/{task_id}", values)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return page


def body_links(visitor, group: int) -> list[str]:  # noqa: ANN001
    page = visitor.get(f"/tasks/{group}").get_data(as_text=True)
    return list(dict.fromkeys(re.findall(rf'href="(/evaluation/tasks/{group}/bodies/\d+)"', page)))


def score_all_bodies(visitor, group: int) -> None:  # noqa: ANN001
    """Post every body's page as prefilled; each is one submit."""
    for link in body_links(visitor, group):
        response = visitor.post(link, form_values(visitor.get(link).get_data(as_text=True)))
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def test_evaluation_through_http(app, session, login_as, tmp_path):  # noqa: ANN001, C901
    world = make_world(app, session)
    build_year(world)
    world.move(at(date(YEAR, 12, 20), 9))
    clerk, village_clerk = login_as("clerk"), login_as("clerk_shiqiao")
    office_head, leader = login_as("office_head"), login_as("leader")
    assert clerk.post("/procedures/evaluation/start", {"year": str(YEAR)}).status_code == 302
    second = clerk.post("/procedures/evaluation/start", {"year": str(YEAR)})
    assert second.status_code == 400 and f"{YEAR}年度的考评已经发起，不能重复发起。" in second.get_data(as_text=True)
    assert session.scalar(select(func.count(Evaluation.id))) == 1
    [measure] = task_ids(clerk, "核对测算数据")
    assert "考评" in clerk.get(f"/tasks/{measure}").get_data(as_text=True)
    assert clerk.post(f"/tasks/{measure}", {"note": ""}).status_code == 302

    [village_task] = task_ids(village_clerk, "自评")  # 石桥村 → its own clerk; the rest → the town clerk
    own = task_ids(clerk, "自评")
    assert village_task not in own and len(own) == len(world.departments) + 2
    bad_page = village_clerk.get(f"/tasks/{village_task}").get_data(as_text=True)
    assert "石桥村自评" in bad_page
    values = {**form_values(bad_page), "entries-0-self_score": "99"}
    refused = village_clerk.post(f"/tasks/{village_task}", values)
    assert refused.status_code == 400 and "分数应在0到5分之间" in refused.get_data(as_text=True)
    assert village_clerk.get(f"/tasks/{own[0]}").status_code == 403
    self_assess(village_clerk, village_task)
    for task_id in own:
        self_assess(clerk, task_id)

    [group] = task_ids(office_head, "考评组评分")
    score_all_bodies(office_head, group)
    assert office_head.post(f"/tasks/{group}", {"note": ""}).status_code == 302

    [approve] = task_ids(leader, "审定考评结果")
    page = leader.get(f"/tasks/{approve}")
    assert "一票否决" in page.get_data(as_text=True)
    bulletin = staged_preview_text(leader, page)  # the results 通报 the leader's approval will draft
    assert "考评结果的通报" in bulletin and "石桥村" in bulletin and "一票否决" in bulletin
    assert leader.post(f"/tasks/{approve}", {"decision": "send_back", "opinion": ""}).status_code == 400
    assert leader.post(f"/tasks/{approve}", {"decision": "approve", "opinion": "同意"}).status_code == 302

    evaluation = session.scalar(select(Evaluation))
    session.refresh(evaluation)
    ranked = sorted(evaluation.bodies, key=lambda b: (b.rank, b.sort_order))
    detail = clerk.get(f"/evaluation/{evaluation.id}").get_data(as_text=True)
    assert all(b.name in detail for b in ranked)
    score = next(s for s in ranked[0].scores if s.metric == "signing_rate")
    drill = clerk.get(f"/evaluation/{evaluation.id}/scores/{score.id}").get_data(as_text=True)
    assert re.fullmatch(r"\d+/\d+（[\d.]+%）", score.measured_text), score.measured_text
    assert f"测算结果 <strong>{score.measured_text}</strong>" in drill
    body_grid = ranked[0].grid
    letters = [letter for letter in session.scalars(select(ResponsibilityLetter))
               if letter.status != "void" and (letter.counterparty_key == ranked[0].key
                                               or letter.grid_path.startswith(body_grid.path))]
    assert letters and re.search(rf"<td[^>]*>{letters[0].party_b_name}</td>", drill)

    for body in evaluation.bodies:  # the group agreed with the self-scores: the reason says so
        text, _ = download_docx(clerk, body.document, tmp_path)
        assert body.name in text
        for s in body.scores:
            if s.kind == "assessed" and s.deduction_reason:
                assert s.deduction_reason in text and f"{s.self_score:g}" in text and f"{s.score:g}" in text

    _issue_bulletin(clerk, office_head, leader)
    bulletin = session.scalar(select(Document).where(Document.template_key == "bulletin"))
    text, path = download_docx(clerk, bulletin, tmp_path)
    positions = [text.index(b.name) for b in ranked]
    assert positions == sorted(positions)
    for body in ranked:
        assert f"{body.total:g}" in text and body.grade in text
    assert "通报表扬" in text and "通报批评" in text
    assert_red_header_document(path, mark="青石镇人民政府文件", number=bulletin.number, title=bulletin.title,
                               body=("各村（社区）、镇直各部门：", "根据考评细则，现将考评结果通报如下："))
    check_gbt9704(path)


def _issue_bulletin(clerk, office_head, leader) -> None:  # noqa: ANN001
    [draft] = task_ids(clerk, "拟稿")
    page = clerk.get(f"/tasks/{draft}").get_data(as_text=True)
    assert f"关于{YEAR}年度消防安全工作考评结果的通报" in page
    form = {"kind": "通报", "issuing_body": "town", "direction": "down",
            "title": f"关于{YEAR}年度消防安全工作考评结果的通报", "addressees": ["各村（社区）", "镇直各部门"],
            "addressees_other": "", "cc": "江岸区消防安全委员会办公室",
            "body": "根据考评细则，现将考评结果通报如下：", "note": "", "copies": "12", "printer": "青石镇党政办公室"}
    assert clerk.post(f"/tasks/{draft}", form).status_code == 302
    assert office_head.post(f"/tasks/{task_ids(office_head, '核稿')[0]}", {"decision": "approve"}).status_code == 302
    assert leader.post(f"/tasks/{task_ids(leader, '签发')[0]}", {"decision": "approve"}).status_code == 302
