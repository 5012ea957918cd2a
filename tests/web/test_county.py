"""A county install: two towns under one region, the county overview (全县概览) and the read-only county account."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.services.test_evaluation_records import at
from tests.web.test_page_queries import _statements
from webapp.cases import actions as cases
from webapp.cases.coverage import month_coverage
from webapp.clock import TZ
from webapp.models import AuditEvent, GridNode, ProcessInstance, Unit, User, WorkTask
from webapp.models.drafts import FormDraft
from webapp.procedures.inspection.setup import checklist_for
from webapp.procedures.meeting import meetings
from webapp.procedures.responsibility_letters.campaigns import campaign_for_instance, organ_name
from webapp.procedures.responsibility_letters.demo import _draft_data
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter
from webapp.procedures.responsibility_letters.signing import Signing, sign
from webapp.services import jobs

TODAY = datetime(2026, 9, 28, 10, 0, tzinfo=TZ)  # a Monday; the town A inspection was on September 1


@dataclass
class County:
    region: GridNode
    town_a: GridNode
    town_b: GridNode
    unit_a: Unit
    unit_b: Unit
    users: dict[str, User]
    inspection_a: ProcessInstance


class Actor:
    """Moves the clock and runs steps through the case services, as the pages would."""

    def __init__(self, app, session) -> None:  # noqa: ANN001
        self.app, self.session = app, session
        self.runtime = app.extensions["firegrid.runtime"]

    def move(self, moment: datetime) -> datetime:
        self.app.extensions["firegrid.clock"].set(moment)
        return moment

    def start(self, key: str, user: User, grid: GridNode, data: dict, moment: datetime, **kwargs) -> ProcessInstance:  # noqa: ANN003
        return cases.start_case(self.session, self.runtime, procedure_key=key, user=user, grid=grid, title=key,
                                data=data, now=self.move(moment), **kwargs)

    def submit(self, instance: ProcessInstance, step: str, user: User, data: dict, moment: datetime) -> None:
        task = self.session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id,
                                                          WorkTask.step_key == step))
        cases.submit_task(self.session, self.runtime, user=user, work_task_id=task.id, data=data,
                          now=self.move(moment))


def _inspection_data(session, unit: Unit, inspectors: list[User], day: date) -> dict:  # noqa: ANN001
    """An inspection record with one hazard (the first checklist entry), left for the clerk's notice."""
    items = [{"item_id": str(item.id), "item_name": item.name, "result": "hazard" if index == 0 else "passed",
              "description": "疏散通道堆放杂物" if index == 0 else "", "location": "后门" if index == 0 else "",
              "photos": [], "corrected_on_spot": False}
             for index, item in enumerate(checklist_for(session, unit.grid, unit.category))]
    return {"unit_id": unit.id, "unit_name": unit.name, "inspected_on": day.isoformat(), "inspected_time": "09:30",
            "inspector_ids": [u.id for u in inspectors], "items": items, "major_hazard": False, "measures": "",
            "unit_representative": unit.manager}


def _letters_in_town_b(actor: Actor, county: County, year: int) -> None:
    """Town B's campaign with its two units; one letter signed, the other not."""
    from webapp.cases.registry import DemoContext

    clerk, leader = county.users["clerk_b"], county.users["leader_b"]
    data = {"year": year, "grid_id": county.town_b.id, "counterparty_set": "units", "categories": [],
            "print_pdf": False}
    instance = actor.start("responsibility_letters", clerk, county.town_b, data, at(date(year, 9, 2)))
    context = DemoContext(actor.session, actor.runtime, actor.app.extensions["firegrid.clock"], year,
                          at(date(year, 9, 2)))
    actor.submit(instance, "draft", clerk, _draft_data(context, county.town_b), at(date(year, 9, 2)))
    actor.submit(instance, "approve", leader, {}, at(date(year, 9, 3)))
    actor.session.commit()
    jobs.run_due_jobs(actor.session, actor.runtime, worker="test", clock=lambda: at(date(year, 9, 3), 11))
    campaign = campaign_for_instance(actor.session, instance.id)
    first = actor.session.scalars(select(ResponsibilityLetter).where(ResponsibilityLetter.campaign_id == campaign.id)
                                  .order_by(ResponsibilityLetter.id)).first()
    sign(actor.session, first, Signing(date(year, 9, 10)), user=clerk, now=at(date(year, 9, 10)))
    assert organ_name(county.town_b) == campaign.party_a_name


def _meeting_in_town_b(actor: Actor, county: County, held_on: date) -> None:
    clerk = county.users["clerk_b"]
    series = meetings.series_of_town(actor.session, county.town_b)[0]
    members = meetings.members(actor.session, county.town_b)
    data = {"series_key": series.key, "held_on": held_on.isoformat()}
    instance = actor.start("meeting", clerk, county.town_b, data, at(held_on, 8))
    actor.submit(instance, "schedule", clerk, {**data, "place": "镇政府会议室", "chair": "章志明", "recorder": "顾小雨",
                                               "invited": [m.organ for m in members], "start_time": "14:30",
                                               "agenda": "通报工作", "requirements": "不得无故缺席。",
                                               "contact": "顾小雨", "contact_phone": "0571-86120119"},
                 at(held_on, 8))
    actor.submit(instance, "notice", clerk, {}, at(held_on, 8))  # 会议通知印发
    actor.submit(instance, "record", clerk, {
        "attendees": "\n".join(f"{m.organ} 章志明" for m in members), "absentees": "", "observers": "",
        "agenda": "通报工作", "summary": "会议研究了消防工作", "decisions": []}, at(held_on, 16))


@pytest.fixture()
def county(app, session, small_town) -> County:  # noqa: ANN001
    region = small_town.town.parent
    town_b = factories.town(session, "柏树镇", region=region)
    village_b = factories.village(session, town_b, "柏树村", areas=("柏树一组",))
    unit_b = factories.unit(session, village_b.children[0], "柏树超市")
    factories.unit(session, village_b.children[0], "柏树饭店", "small_restaurant")
    users = dict(small_town.users)
    for username, role, scope in [("county", "county", region), ("county_admin", "admin", region),
                                  ("clerk_b", "clerk", town_b), ("leader_b", "leader", town_b)]:
        users[username] = factories.user(session, username, role, scope=scope)
    session.commit()
    actor = Actor(app, session)
    unit_a = small_town.units["丰收便利店"]
    inspection = actor.start("inspection", users["inspector"], unit_a.grid, _inspection_data(
        session, unit_a, [users["inspector"], users["inspector2"]], date(2026, 9, 1)), at(date(2026, 9, 1)),
        unit=unit_a)
    session.commit()
    built = County(region, small_town.town, town_b, unit_a, unit_b, users, inspection)
    _letters_in_town_b(actor, built, 2026)
    _meeting_in_town_b(actor, built, date(2026, 9, 15))
    session.commit()
    actor.move(TODAY)
    return built


def _row(html: str, town: str) -> dict[str, str]:
    """The overview row of `town`: column label → the cell's text."""
    row = re.search(rf'<tr data-town="{town}">(.*?)</tr>', html, re.S)
    assert row, html[:2000]
    cells = re.findall(r'<td data-label="([^"]+)">(.*?)</td>', row.group(1), re.S)
    return {label: re.sub(r"<[^>]+>", "", text).strip() for label, text in cells if label != "镇（街道）"}


def test_county_user_sees_every_town_with_its_own_figures(county, sign_in):
    visitor = sign_in("county")
    html = visitor.get("/").get_data(as_text=True)
    assert 'href="/county/"' in html and "全县概览" in html
    page = visitor.get("/county/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    a, b = _row(html, "松林镇"), _row(html, "柏树镇")
    assert a == {"未整改隐患": "1", "逾期未办": "1", "2026年责任书签订率": "—", "本月检查": "1",
                 "本月走访覆盖率": "25%（1/4）", "2026年已召开会议": "0"}
    # Town B's 纪要 has waited for the leader's signature since September 18; its letters' signing step has no
    # deadline. Town A's notice was due two working days after the inspection.
    assert b == {"未整改隐患": "0", "逾期未办": "1", "2026年责任书签订率": "50%（1/2）", "本月检查": "0",
                 "本月走访覆盖率": "0%（0/2）", "2026年已召开会议": "1"}
    # Each figure links to the page that lists it for that town.
    assert f'href="/inspection/cases?grid_id={county.town_a.id}&amp;metric=open"' in html
    campaign_link = re.search(r'href="(/letters/campaigns/\d+/dashboard\?node=(\d+))"', html)
    assert campaign_link and int(campaign_link.group(2)) == county.town_b.id
    drill = visitor.get(f"/inspection/cases?grid_id={county.town_a.id}&metric=open")
    assert drill.status_code == 200 and "丰收便利店" in drill.get_data(as_text=True)
    assert visitor.get(campaign_link.group(1).replace("&amp;", "&")).status_code == 200
    overdue = visitor.get(f"/county/overdue?town={county.town_b.id}").get_data(as_text=True)
    assert f'href="/county/overdue?town={county.town_b.id}"' in html
    assert "柏树镇逾期未办（1项）" in overdue and "2026-09-18" in overdue and "丰收便利店" not in overdue
    assert f'href="/coverage/?grid={county.town_b.id}"' in html
    coverage = visitor.get(f"/coverage/?grid={county.town_b.id}").get_data(as_text=True)
    assert "柏树超市" in coverage and "柏树饭店" in coverage and "丰收便利店" not in coverage
    meetings_link = f"/meetings/plan?town={county.town_b.id}&year=2026"
    assert f'href="{meetings_link.replace("&", "&amp;")}"' in html
    plan = visitor.get(meetings_link).get_data(as_text=True)
    assert "会议计划（柏树镇）" in plan and "2026-09-15" in plan


def test_overview_sends_as_many_statements_for_4_towns_as_for_2(app, county, session, sign_in):
    """Each figure is one grouped query for every town (issue 24, item 4): two more towns, no more statements;
    and each town's coverage is the one its coverage page counts."""
    visitor = sign_in("county")
    two_towns = _statements(app, visitor, "/county/")
    for index in range(2):
        town = factories.town(session, f"新建{index}镇", region=county.region)
        village = factories.village(session, town, f"新建{index}村", areas=(f"新建{index}一组",))
        factories.unit(session, village.children[0], f"新建{index}商店")
    session.commit()
    four_towns = _statements(app, visitor, "/county/")
    assert len(four_towns) <= len(two_towns), (two_towns, four_towns)
    html = visitor.get("/county/").get_data(as_text=True)
    assert _row(html, "新建1镇") == {"未整改隐患": "0", "逾期未办": "0", "2026年责任书签订率": "—", "本月检查": "0",
                                  "本月走访覆盖率": "0%（0/1）", "2026年已召开会议": "0"}
    for town in (county.town_a, county.town_b):
        total = month_coverage(session, town, "2026-09").total
        assert _row(html, town.name)["本月走访覆盖率"] == f"{total.rate_text}（{total.visited}/{total.total}）"


def test_overview_counts_a_moved_unit_in_its_new_town(county, session, sign_in):
    """Coverage counts units by the grid they lie in now (as the coverage page does): a unit inspected in town A
    this month and then moved to town B is a visited unit of town B; its hazard stays with the inspection's grid."""
    county.unit_a.grid_id = county.unit_b.grid_id
    session.commit()
    html = sign_in("county").get("/county/").get_data(as_text=True)
    assert _row(html, "松林镇")["本月走访覆盖率"] == "0%（0/3）"
    assert _row(html, "柏树镇")["本月走访覆盖率"] == "33%（1/3）"
    assert _row(html, "松林镇")["未整改隐患"] == "1" and _row(html, "柏树镇")["未整改隐患"] == "0"
    for town in (county.town_a, county.town_b):
        total = month_coverage(session, town, "2026-09").total
        assert _row(html, town.name)["本月走访覆盖率"] == f"{total.rate_text}（{total.visited}/{total.total}）"


def test_this_months_inspections_are_counted_up_to_now(app, county, session, sign_in):
    """本月检查 counts the month's inspections up to now (read from the kept monthly totals, less any dated later
    this month): one on September 20 counts; one entered for September 29 (after today, the 28th) and one on
    August 31 at 23:00 (August in Beijing) do not."""
    actor, users = Actor(app, session), county.users
    shop = session.scalar(select(Unit).where(Unit.name == "松香面馆"))
    for day, hour in ((date(2026, 9, 20), "09:00"), (date(2026, 9, 29), "09:00"), (date(2026, 8, 31), "23:00")):
        data = _inspection_data(session, shop, [users["inspector"], users["inspector2"]], day)
        actor.start("inspection", users["inspector"], shop.grid, {**data, "inspected_time": hour}, at(day),
                    unit=shop)
    session.commit()
    actor.move(TODAY)
    html = sign_in("county").get("/county/").get_data(as_text=True)
    assert _row(html, "松林镇")["本月检查"] == "2" and _row(html, "柏树镇")["本月检查"] == "0"


def test_overview_exports_the_same_table_to_excel(county, sign_in):
    response = sign_in("county_admin").get("/county/overview.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows[0] == ["镇（街道）", "未整改隐患", "逾期未办", "2026年责任书签订率", "本月检查", "本月走访覆盖率",
                       "2026年已召开会议"]
    assert rows[1:] == [["松林镇", 1, 1, "—", 1, "25%（1/4）", 0], ["柏树镇", 0, 1, "50%（1/2）", 0, "0%（0/2）", 1]]


def test_town_users_are_refused_the_overview(county, sign_in, session):
    """A town's users (its admin and leader too) have one town: the overview is refused, not narrowed."""
    for username in ("admin", "leader_b"):
        visitor = sign_in(username)
        assert "全县概览" not in visitor.get("/").get_data(as_text=True)
        assert visitor.get("/county/").status_code == 403
        assert visitor.get(f"/county/overdue?town={county.town_b.id}").status_code == 403
    denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert {d.username for d in denials} == {"admin", "leader_b"} and len(denials) == 4


def test_county_user_reads_town_pages_of_both_towns(county, sign_in):
    visitor = sign_in("county")
    for url in ["/units/", f"/units/{county.unit_a.id}", f"/units/{county.unit_b.id}", "/inspection/",
                f"/cases/{county.inspection_a.id}", "/letters/", "/notices/register", "/meetings/plan",
                f"/grid/{county.town_b.id}"]:
        assert visitor.get(url).status_code == 200, url
    units = visitor.get("/units/").get_data(as_text=True)
    assert "丰收便利店" in units and "柏树超市" in units


@pytest.mark.parametrize("url, data", [
    ("/procedures/inspection/start", {"unit_id": "1"}),
    ("/units/{unit_b}/edit", {"name": "改名超市"}),
    ("/units/new", {"name": "新单位"}),
    ("/cases/{case}/withdraw", {}),
])
def test_county_user_changes_nothing_and_is_audited(county, sign_in, session, url, data):
    visitor = sign_in("county")
    target = url.format(unit_b=county.unit_b.id, case=county.inspection_a.id)
    response = visitor.post(target, data)
    assert response.status_code == 403
    assert "只能查看" in response.get_data(as_text=True)
    denial = session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied"))
    assert denial.username == "county" and target in denial.summary
    session.expire_all()
    assert session.get(Unit, county.unit_b.id).name == "柏树超市"
    assert session.scalar(select(Unit).where(Unit.name == "新单位")) is None
    assert session.get(ProcessInstance, county.inspection_a.id).status == "running"


def test_county_user_signs_out_and_sees_no_work_menu(county, sign_in):
    visitor = sign_in("county")
    html = visitor.get("/").get_data(as_text=True)
    assert 'href="/procedures/' not in html and ">用户<" not in html and ">设置<" not in html
    assert visitor.post("/logout").status_code == 302


def test_town_a_user_gets_403_on_town_b_objects(county, sign_in, session):
    clerk_b = county.users["clerk_b"]
    other_case = session.scalar(select(ProcessInstance).where(ProcessInstance.grid_id.in_(
        select(GridNode.id).where(GridNode.path.startswith(county.town_b.path)))))
    letter_document = session.scalar(select(ResponsibilityLetter.document_id).where(
        ResponsibilityLetter.document_id.is_not(None)))
    assert sign_in("county").get(f"/documents/{letter_document}.docx").status_code == 200
    visitor = sign_in("clerk")
    for url in [f"/units/{county.unit_b.id}", f"/units/{county.unit_b.id}/edit", f"/cases/{other_case.id}",
                f"/grid/{county.town_b.id}", f"/documents/{letter_document}.docx"]:
        assert visitor.get(url).status_code == 403, url
    assert sign_in("clerk_b").get(f"/units/{county.unit_a.id}").status_code == 403
    assert clerk_b.scope_id == county.town_b.id


def _task_towns(session) -> dict[int, tuple[str, int | None]]:  # noqa: ANN001
    return {t.id: (t.scope_path, t.town_id) for t in session.scalars(select(WorkTask))}


def test_each_step_keeps_the_town_its_scope_lies_in_and_the_migration_fills_it(county, session):
    """逾期未办 counts steps by work_task.town_id: the town whose path begins the step's scope, for a step scoped at
    a village as for one at its town; the migration that added the column fills it in for existing steps."""
    towns = {t.path: t.id for t in session.scalars(select(GridNode).where(GridNode.level == "town"))}
    made = _task_towns(session)
    assert len(made) >= 3 and any(path not in towns for path, _ in made.values())  # some scoped below a town
    for path, town_id in made.values():
        assert town_id == next(i for p, i in towns.items() if path.startswith(p)), path
    task_id = min(made)
    session.add(FormDraft(user_id=county.users["clerk"].id, place=f"task:{task_id}", task_id=task_id,
                          fields=[["opinion", "暂存的意见"]], saved_at=datetime(2026, 9, 28, 9, tzinfo=TZ)))
    session.commit()
    downgrade(revision="0047due")  # and the step's 暂存 draft stays (a copy of the table would cascade to it)
    assert session.scalar(select(func.count()).select_from(FormDraft).where(FormDraft.task_id == task_id)) == 1
    upgrade()
    session.expire_all()
    assert _task_towns(session) == made
