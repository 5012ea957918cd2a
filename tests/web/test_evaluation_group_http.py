"""考评组评分 through HTTP: one page and one submit per evaluated body, every error of a submit beside its
field at once with the input kept, prefilled self-scores (the body's own deductions) need no reason, and
the step completes only when every body is scored."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.form_support import error_beside
from tests.services.test_evaluation_records import YEAR, at, make_world
from tests.services.test_evaluation_scoring import build_year
from tests.web.test_evaluation_http import body_links, form_values, self_assess, task_ids
from webapp.procedures.evaluation.models import Evaluation


def _at_group_step(app, session, login_as):  # noqa: ANN001, ANN202
    world = make_world(app, session)
    build_year(world)
    world.move(at(date(YEAR, 12, 20), 9))
    clerk, village_clerk, office_head = login_as("clerk"), login_as("clerk_shiqiao"), login_as("office_head")
    assert clerk.post("/procedures/evaluation/start", {"year": str(YEAR)}).status_code == 302
    [measure] = task_ids(clerk, "核对测算数据")
    assert clerk.post(f"/tasks/{measure}", {"note": ""}).status_code == 302
    for visitor in (village_clerk, clerk):
        for task_id in task_ids(visitor, "自评"):
            self_assess(visitor, task_id)
    [group] = task_ids(office_head, "考评组评分")
    return office_head, group


def test_one_body_one_submit_all_errors_beside_fields(app, session, login_as):  # noqa: ANN001
    office_head, group = _at_group_step(app, session, login_as)
    evaluation = session.scalar(select(Evaluation))
    links = body_links(office_head, group)
    assert len(links) == len(evaluation.bodies) >= 3

    early = office_head.post(f"/tasks/{group}", {"note": ""})
    assert early.status_code == 400 and f"还有{len(links)}个单位未评分" in early.get_data(as_text=True)

    page = office_head.get(links[0]).get_data(as_text=True)
    assert "评分与自评分" in page and "无需另写原因" in page  # the rule, in the form's help text
    values = form_values(page)
    assessed = [n.removesuffix("-score") for n in values if n.endswith("-score") and values[n] == "4.0"]
    assert len(assessed) >= 3  # self-scored 4 of 10: the body's own deduction, prefilled
    values[f"{assessed[0]}-score"], values[f"{assessed[0]}-deduction_reason"] = "2.5", ""
    values[f"{assessed[1]}-score"] = "十分"
    values[f"{assessed[2]}-score"] = "99"
    refused = office_head.post(links[0], values)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert error_beside(text, f"{assessed[0]}-deduction_reason", "扣分须填写扣分原因")
    assert error_beside(text, f"{assessed[1]}-score", "请填写数字")
    assert error_beside(text, f"{assessed[2]}-score", "分数应在0到10分之间")
    assert 'value="2.5"' in text and 'value="十分"' in text and 'value="99"' in text
    session.expire_all()
    assert all(b.group_scored_at is None for b in evaluation.bodies)

    values[f"{assessed[0]}-deduction_reason"] = "台账资料不完整"
    values[f"{assessed[1]}-score"], values[f"{assessed[2]}-score"] = "4", "4"
    saved = office_head.post(links[0], values)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(links[1])
    session.expire_all()
    first = evaluation.bodies[0]
    lowered = next(s for s in first.scores if s.score == 2.5)
    assert lowered.deduction_reason == "台账资料不完整" and first.group_scored_at is not None
    agreed = [s for s in first.scores if s.kind == "assessed" and s.score == 4.0]
    assert agreed and all(s.deduction_reason for s in agreed)  # the 考评表 still says why points are missing

    for link in links[1:]:  # prefilled self-scores: no reason demanded, one submit each
        assert office_head.post(link, form_values(office_head.get(link).get_data(as_text=True))).status_code == 302
    done = office_head.get(f"/tasks/{group}")
    assert "未评分" not in done.get_data(as_text=True)
    assert office_head.post(f"/tasks/{group}", {"note": ""}).status_code == 302
    assert evaluation.bodies[0].scores[0].score is not None


def test_scoring_page_is_only_for_the_holder_of_the_step(app, session, login_as):  # noqa: ANN001
    office_head, group = _at_group_step(app, session, login_as)
    link = body_links(office_head, group)[0]
    assert login_as("clerk_shiqiao").get(link).status_code == 403
    assert login_as("leader").post(link, {}).status_code == 403
