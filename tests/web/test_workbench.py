"""The workbench (工作台): role menu with a 待办 badge, counts with links, quick actions, inboxes that say
what to do, and a paged, searchable 已办."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.inbox_support import bulk_cases
from webapp.clock import TZ
from webapp.models import WorkTask

MENU = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def menu(visitor, url: str = "/") -> list[str]:
    """The menu's entries as the user reads them (badge numbers left out)."""
    html = MENU.search(visitor.get(url).get_data(as_text=True)).group(1)
    return [re.sub(r"<span.*?</span>|<[^>]+>|\s", "", a) for a in re.findall(r"<a [^>]*>(.*?)</a>", html, re.S)]


def badge(visitor, url: str) -> str:
    html = MENU.search(visitor.get(url).get_data(as_text=True)).group(1)
    found = re.search(r'href="/tasks/">待办 <span class="badge"[^>]*>(\d+)</span>', html)
    return found.group(1) if found else ""


def _start_notice(clerk, title: str = "冬季防火通知") -> None:
    assert clerk.post("/procedures/test_notice/start", {"title": title}).status_code == 302


def test_menu_lists_only_each_roles_entries_in_work_order(sign_in, small_town):
    assert menu(sign_in("clerk"))[:4] == ["首页", "待办", "已办", "发起"]
    leader = menu(sign_in("leader"))
    assert "发起" not in leader and "归档" not in leader and "用户" not in leader and "网格" in leader
    archivist = menu(sign_in("archivist"))
    assert "归档" in archivist and "会议" not in archivist and "网格" not in archivist and "单位" not in archivist
    admin = menu(sign_in("admin"))
    assert admin[-3:] == ["用户", "审计日志", "设置"]
    assert "发起" not in admin  # no procedure starts with the admin role
    village_clerk = menu(sign_in("village_clerk"))
    assert "网格" not in village_clerk and "审计日志" not in village_clerk and "发起" in village_clerk
    assert len(village_clerk) < 15, "、".join(village_clerk)


def test_todo_badge_on_every_page_with_one_count_query(app, sign_in, small_town):
    clerk = sign_in("clerk")
    assert badge(clerk, "/units/") == ""  # nothing to do: no badge
    _start_notice(clerk)
    for url in ("/", "/units/", "/tasks/done", "/letters/"):
        assert badge(clerk, url) == "1", url
    from tests.inbox_support import count_queries
    from webapp.extensions import db

    with app.app_context():
        engine = db.engine
    with count_queries(engine) as statements:
        clerk.get("/units/")
    assert sum("count(" in s.lower() and "work_task" in s for s in statements) == 1


def test_home_counts_overdue_and_due_within_three_working_days_with_links(app, session, sign_in, small_town):
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-29T10:00"))  # Tuesday before National Day: 3 working days end on 10-09
    leader = sign_in("leader")
    bulk_cases(session, 40, at("2026-09-29T10:00"))  # due from now-10 days to now+19 days
    mine = [t for t in session.scalars(select(WorkTask)) if t.role == "leader"]
    overdue = sum(t.due_at < at("2026-09-29T10:00") for t in mine)
    soon = sum(at("2026-09-29T10:00") <= t.due_at <= at("2026-10-09T23:59:59") for t in mine)
    assert overdue and soon and overdue + soon < len(mine)
    home = leader.get("/").get_data(as_text=True)
    assert f'<a class="tile" href="/tasks/"><strong>{len(mine)}</strong>' in home
    assert f'href="/tasks/?due=overdue"><strong>{overdue}</strong><span>已逾期' in home
    assert f'href="/tasks/?due=soon"><strong>{soon}</strong><span>即将到期' in home
    for due, expected in (("overdue", overdue), ("soon", soon)):
        page = leader.get(f"/tasks/?due={due}").get_data(as_text=True)
        assert f'<span class="tag">{expected}</span>' in page
        assert len(re.findall(r'href="/tasks/\d+"', page)) == expected


def test_quick_actions_are_what_the_user_may_start(sign_in, small_town):
    clerk = sign_in("clerk").get("/").get_data(as_text=True)
    assert 'href="/procedures/notice_issuance/start"' in clerk and 'href="/procedures/meeting/start"' in clerk
    assert 'href="/procedures/inspection/start"' not in clerk
    inspector = sign_in("inspector").get("/").get_data(as_text=True)
    assert 'href="/procedures/inspection/start"' in inspector and "notice_issuance/start" not in inspector
    assert "快捷发起" not in sign_in("leader").get("/").get_data(as_text=True)


def test_inbox_row_names_sender_and_marks_a_return_whose_reason_heads_the_form(sign_in, small_town):
    clerk, leader = sign_in("clerk"), sign_in("leader")
    _start_notice(clerk)
    draft = clerk.inbox_task_id("拟稿")
    clerk.post(f"/tasks/{draft}", {"title": "冬季防火通知", "body": "各村：……", "approver_names": "leader"})
    row = _row(leader.get("/tasks/").get_data(as_text=True), "审核")
    assert "苏晓梅" in row and "松林镇" in row and "被退回" not in row
    review = leader.inbox_task_id("审核")
    leader.post(f"/tasks/{review}", {"decision": "send_back", "opinion": "请补充检查范围"})
    row = _row(clerk.get("/tasks/").get_data(as_text=True), "拟稿")
    assert "被退回" in row and "郝国强" in row and "row-returned" in row
    page = clerk.get(f"/tasks/{clerk.inbox_task_id('拟稿')}").get_data(as_text=True)
    banner = page.index("退回理由：请补充检查范围")
    assert banner < page.index("<form method=\"post\"")


def _row(html: str, step: str) -> str:
    rows = [r for r in re.findall(r"<tr class=.*?</tr>", html, re.S) if re.search(rf"<td[^>]*>{step}", r)]
    assert rows, html
    return rows[0]


@pytest.mark.slow
def test_self_assessment_rows_name_their_body_and_the_village_part_refuses_nothing(app, session, login_as,
                                                                                   without_libreoffice):
    from tests.services.test_evaluation_records import YEAR, make_world
    from tests.services.test_evaluation_records import at as eval_at
    from tests.services.test_evaluation_scoring import build_year
    from tests.web.test_evaluation_http import self_assess, task_ids
    from tests.web.test_role_pages import crawl

    world = make_world(app, session)
    build_year(world)
    world.move(eval_at(date(YEAR, 12, 20), 9))
    clerk = login_as("clerk")
    clerk.post("/procedures/evaluation/start", {"year": str(YEAR)})
    [measure] = task_ids(clerk, "核对测算数据")
    clerk.post(f"/tasks/{measure}", {"note": ""})
    html = clerk.get("/tasks/").get_data(as_text=True)
    rows = [r for r in re.findall(r"<tr class=.*?</tr>", html, re.S) if re.search(r"<td[^>]*>自评", r)]
    subjects = [re.search(r'data-label="对象">([^<]*)<', r).group(1) for r in rows]
    assert len(subjects) == len(set(subjects)) == len(world.departments) + 2
    assert "青石村" in subjects
    # the village clerk's own 自评 in the town's case: done, listed in 已办, the town case not linked
    village_clerk = login_as("clerk_shiqiao")
    [own] = task_ids(village_clerk, "自评")
    self_assess(village_clerk, own)
    done = village_clerk.get("/tasks/done").get_data(as_text=True)
    assert "自评" in done and 'href="/cases/' not in done
    assert [url for url, status in crawl(village_clerk).items() if status == 403] == []


@pytest.mark.slow
def test_done_is_paged_and_found_by_number_title_date_and_person(app, session, sign_in, small_town):
    clock = app.extensions["firegrid.clock"]
    clerk, leader = sign_in("clerk"), sign_in("leader")
    for day in range(55):
        clock.set(at("2026-03-02T09:00") + timedelta(days=day))
        _start_notice(clerk, f"通知{day:02d}")
    clock.set(at("2026-05-06T09:00"))
    draft = clerk.inbox_task_id("拟稿")
    clerk.post(f"/tasks/{draft}", {"title": "防汛通知", "body": "各村：……", "approver_names": "leader"})
    [review] = re.findall(r'href="/tasks/(\d+)"', leader.get("/tasks/").get_data(as_text=True))
    assert leader.post(f"/tasks/{review}", {"decision": "send_back", "opinion": "请改"}).status_code == 302

    first = clerk.get("/tasks/done").get_data(as_text=True)
    assert '<span class="tag">56</span>' in first and "下一页" in first  # 55 starts and 1 draft
    assert len(re.findall(r'href="/cases/\d+"', first)) == 50
    second = clerk.get("/tasks/done?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/cases/\d+"', second)) == 6
    assert '<span class="tag">1</span>' in clerk.get("/tasks/done?text=通知07").get_data(as_text=True)
    march = clerk.get("/tasks/done?date_from=2026-03-10&date_to=2026-03-12").get_data(as_text=True)
    assert '<span class="tag">3</span>' in march and "通知08" in march and "通知11" not in march
    # the leader finds what the clerk drafted by the clerk's name
    assert "测试：" in leader.get("/tasks/done?person=苏晓梅").get_data(as_text=True)
    assert '<span class="tag">0</span>' in leader.get("/tasks/done?person=无此人").get_data(as_text=True)
    wrong = clerk.get("/tasks/done?date_from=2026-13-40")
    assert wrong.status_code == 200 and "日期格式不正确" in wrong.get_data(as_text=True)
