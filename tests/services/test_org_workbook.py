"""The organisation workbook: all-or-nothing import naming every refused row, updates, and the round trip."""

from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tests.org_workbook_support import FIVE_BAD, GOOD, five_bad_rows, workbook
from webapp.cases import org_workbook
from webapp.clock import TZ
from webapp.models import CommitteeMember, GridNode, GridPost, Unit, User
from webapp.procedures.inspection.models import ReferralReceiver

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=TZ)

def counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (GridNode, Unit, GridPost, User, CommitteeMember, ReferralReceiver)}


def test_five_bad_rows_on_three_sheets_import_nothing_and_are_all_named(session, small_town):
    before = counts(session)
    rows = five_bad_rows()
    with pytest.raises(org_workbook.WorkbookRefused) as refused:
        org_workbook.import_workbook(session, small_town.town, workbook(rows), now=NOW)
    session.rollback()
    named = [(p.sheet, p.row) for p in refused.value.rows]
    assert named == FIVE_BAD
    reasons = [p.reason for p in refused.value.rows]
    assert "大商场" in reasons[0] and "不存在村/一组" in reasons[1] and "组长" in reasons[2]
    assert "nobody" in reasons[3] and "局长" in reasons[4]
    assert str(refused.value.rows[0]) == f"“单位”表第3行：{reasons[0]}"
    assert counts(session) == before


def test_a_good_workbook_creates_the_organisation(session, small_town):
    town = small_town.town
    result = org_workbook.import_workbook(session, town, workbook(GOOD), now=NOW)
    session.commit()
    by_sheet = dict(result.sheets)
    assert by_sheet["网格"].added == ["桃源村", "桃源村/桃源一组", "桃源村/桃源二组", "新街社区", "新街社区/新街一号院"]
    assert sorted(by_sheet["单位"].added) == ["新街饭店", "桃源超市"]
    assert len(by_sheet["网格职务"].added) == 3 and by_sheet["账号"].added == ["zhouyuan", "wenshu2"]
    # the town's committee and receivers exist from its setup: rows update them, or add a member
    assert by_sheet["消安委成员单位"].updated == ["松林镇人民政府"]
    assert by_sheet["消安委成员单位"].added == ["松林镇安全生产监督管理站"]
    assert by_sheet["移交接收部门"].updated == ["派出所 松林派出所", "消防救援机构 示例区消防救援大队"]

    unit = session.scalar(select(Unit).where(Unit.name == "新街饭店"))
    assert unit.grid.display_path() == "新街社区/新街一号院" and unit.floor_area == 150.5 and unit.staff_count == 8
    worker = session.scalar(select(GridPost).where(GridPost.person_name == "周员"))
    assert worker.post == "grid_worker" and worker.user.username == "zhouyuan"
    assert worker.node.display_path() == "桃源村/桃源一组"
    clerk = session.scalar(select(User).where(User.username == "wenshu2"))
    assert clerk.roles == {"clerk", "archivist"} and clerk.scope_id == town.id and clerk.display_name == "郑文"
    head = session.scalar(select(CommitteeMember).where(CommitteeMember.organ == "松林镇人民政府"))
    assert (head.committee_role, head.contact_person, head.town_id) == ("head", "钱主任", town.id)
    police = session.scalar(select(ReferralReceiver).where(ReferralReceiver.kind == "police"))
    assert (police.name, police.feedback_days, police.grid_id) == ("松林派出所", 10, town.id)

    passwords = {a.username: a.password for a in result.new_accounts}
    assert set(passwords) == {"zhouyuan", "wenshu2"}
    assert passwords["zhouyuan"] != passwords["wenshu2"] and len(passwords["zhouyuan"]) >= 12
    assert check_password_hash(clerk.password_hash, passwords["wenshu2"])


def test_export_then_import_changes_nothing_and_an_edit_updates(session, small_town):
    town = small_town.town
    org_workbook.import_workbook(session, town, workbook(GOOD), now=NOW)
    session.commit()
    before = counts(session)
    exported = org_workbook.export_workbook(session, town)
    again = org_workbook.import_workbook(session, town, BytesIO(exported), now=NOW)
    session.commit()
    assert again.changes == 0 and again.new_accounts == []
    assert dict(again.sheets)["单位"].unchanged == 6  # the small town's four and the two imported
    assert counts(session) == before

    book = load_workbook(BytesIO(exported))
    for row in book["账号"].iter_rows(min_row=2):
        if row[0].value == "wenshu2":
            row[2].value = "文书"
    for row in book["移交接收部门"].iter_rows(min_row=2):
        if row[0].value == "派出所":
            row[4].value = 20
    edited = BytesIO()
    book.save(edited)
    edited.seek(0)
    third = org_workbook.import_workbook(session, town, edited, now=NOW)
    session.commit()
    sheets = dict(third.sheets)
    assert sheets["账号"].updated == ["wenshu2"] and sheets["移交接收部门"].updated == ["派出所 松林派出所"]
    assert third.changes == 2
    assert session.scalar(select(User).where(User.username == "wenshu2")).roles == {"clerk"}


def test_a_plain_unit_ledger_imports_as_the_units_sheet(session, small_town):
    from webapp.services import unit_ledger

    ledger = unit_ledger.export_units(list(session.scalars(select(Unit))))
    result = org_workbook.import_workbook(session, small_town.town, BytesIO(ledger), now=NOW)
    assert [title for title, _ in result.sheets] == ["单位"] and result.changes == 0


def test_an_account_of_another_town_is_refused(session, small_town):
    from tests import factories

    other = factories.town(session, "柏树镇")
    factories.user(session, "outsider", "clerk", scope=other)
    session.commit()
    rows = {"账号": [["outsider", "外人", "文书", "松林镇", ""]]}
    with pytest.raises(org_workbook.WorkbookRefused) as refused:
        org_workbook.import_workbook(session, small_town.town, workbook(rows), now=NOW)
    assert [(p.sheet, p.row) for p in refused.value.rows] == [("账号", 2)]
    assert "松林镇以外" in refused.value.rows[0].reason


def test_the_demo_town_round_trips(session, demo):
    from webapp.services.grid import towns

    for town in towns(session):
        exported = org_workbook.export_workbook(session, town)
        result = org_workbook.import_workbook(session, town, BytesIO(exported), now=NOW)
        assert result.changes == 0, result.summary()
        assert dict(result.sheets)["网格职务"].unchanged > 0


def test_departments_import_by_name_and_export_again(session, small_town):
    """主管部门 rows: any number, matched by name; the two kinds every town has stay one row each."""
    town = small_town.town
    sheet = [["派出所", "松林派出所", "冯所", "0712-5861001", 10],
             ["主管部门", "松林镇安全生产监督管理站", "李站长", "0712-5861200", 20],
             ["主管部门", "松林市场监督管理所", "", "", ""]]
    first = dict(org_workbook.import_workbook(session, town, workbook({"移交接收部门": sheet}), now=NOW).sheets)
    session.commit()
    assert first["移交接收部门"].added == ["主管部门 松林镇安全生产监督管理站", "主管部门 松林市场监督管理所"]
    again = [*sheet[:2], ["主管部门", "松林市场监督管理所", "王所", "", 15],
             ["主管部门", "松林市场监督管理所", "", "", ""]]
    with pytest.raises(org_workbook.WorkbookRefused) as refused:
        org_workbook.import_workbook(session, town, workbook({"移交接收部门": again}), now=NOW)
    assert [p.row for p in refused.value.rows] == [5] and "重复" in refused.value.rows[0].reason
    session.rollback()
    second = dict(org_workbook.import_workbook(session, town, workbook({"移交接收部门": again[:3]}), now=NOW).sheets)
    session.commit()
    assert second["移交接收部门"].updated == ["主管部门 松林市场监督管理所"] and not second["移交接收部门"].added
    rows = {r.name: r for r in session.scalars(select(ReferralReceiver).where(ReferralReceiver.grid_id == town.id))}
    assert rows["松林市场监督管理所"].feedback_days == 15 and rows["松林市场监督管理所"].kind.startswith("dept")
    exported = load_workbook(BytesIO(org_workbook.export_workbook(session, town)))
    names = [row[1].value for row in exported["移交接收部门"].iter_rows(min_row=2)]
    assert names[2:] == ["松林镇安全生产监督管理站", "松林市场监督管理所"]
