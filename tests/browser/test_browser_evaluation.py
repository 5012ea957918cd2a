"""Issue 14 in a real browser on a 390 px phone: the evaluation group scores one body per page and per
submit; prefilled self-scores need no reasons; every error of a submit is shown at once beside its field."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import check_page, inbox_row, open_inbox, open_task

pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")
from playwright.sync_api import expect  # noqa: E402


def _self_assess_all(clerk) -> None:  # noqa: ANN001
    """Each 自评 in the clerk's inbox: every item self-scored 4 (within every item's points), then submitted."""
    while inbox_row(open_inbox(clerk), "自评").count():
        open_task(clerk, "自评")
        inputs = clerk.locator("input[name$='-self_score']")
        for index in range(inputs.count()):
            inputs.nth(index).fill("4")
        clerk.get_by_role("button", name="提交").click()
        expect(clerk.get_by_role("status")).to_contain_text("已提交")


def _open_evaluation(clerk, village_clerk) -> None:  # noqa: ANN001
    clerk.goto("/procedures/evaluation/start")
    clerk.get_by_role("button", name="发起").click()
    expect(clerk.get_by_role("status")).to_contain_text("已发起")
    open_task(clerk, "核对测算数据")
    clerk.get_by_role("button", name="提交").click()
    expect(clerk.get_by_role("status")).to_contain_text("已提交")
    for person in (village_clerk, clerk):
        _self_assess_all(person)


def _entry(page, nth: int):  # noqa: ANN001, ANN201
    """The nth 10-point item the body self-assessed at 4 (its legend shows the 自评分)."""
    return page.locator("fieldset.entry").filter(has_text=re.compile("（10分） · 自评4分")).nth(nth)


@pytest.mark.slow
def test_group_scores_one_body_in_one_submit(log_in, live_server):  # noqa: ANN001
    live_server.set_clock("2026-12-21T09:00")
    _open_evaluation(log_in("clerk"), log_in("clerk_shiqiao"))

    group = log_in("office_head")
    open_task(group, "考评组评分")
    bodies = group.locator("ol.group-bodies li")
    count = bodies.count()
    assert count >= 3
    first_name = bodies.first.get_by_role("link").inner_text()
    bodies.first.get_by_role("link").click()
    expect(group.get_by_role("heading", level=1)).to_have_text(f"考评组评分：{first_name}")
    check_page(group, "60-evaluation-group-body")
    expect(group.get_by_text("无需另写原因")).to_be_visible()
    lowered = _entry(group, 0)
    lowered.get_by_label("考评得分").fill("3")
    lowered.get_by_label("扣分原因").fill("台账资料不完整")
    group.get_by_role("button", name=f"保存{first_name}的评分").click()  # the other items as prefilled
    expect(group.get_by_role("status")).to_contain_text(f"{first_name}的评分已保存")
    expect(group.locator("details").get_by_text("已评1/")).to_be_visible()

    second = _entry(group, 0)
    second.get_by_label("考评得分").fill("2")  # below the body's own 4: a reason is needed
    third = _entry(group, 1)
    third.get_by_label("考评得分").fill("99")
    group.locator("form.task-form button.primary").click()
    expect(second.get_by_role("alert")).to_have_text("扣分须填写扣分原因。")
    expect(third.locator(".field", has=group.locator("input[name$='-score']")).get_by_role("alert")).to_contain_text(
        "分数应在0到")
    expect(third.get_by_label("考评得分")).to_have_value("99")  # the input is kept
    check_page(group, "61-evaluation-group-errors")
