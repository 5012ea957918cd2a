from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from webapp.clock import TZ
from webapp.models import Unit
from webapp.services import unit_ledger, units
from webapp.services.errors import InvalidInput

IMPORT_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def _sheet(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(unit_ledger.HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def _good_rows(count):
    grids = ["松林村/松林一组", "松林村/松林二组", "柳岸社区/柳岸一号院"]
    return [
        [f"导入测试商店{i:02d}", "小商店", grids[i % 3], f"测试路{i}号", "张三", "13800000000", "李四", "0712-5861234",
         120.5, 6]
        for i in range(count)
    ]


def test_bad_rows_are_all_named_and_nothing_is_imported(session, small_town):
    rows = _good_rows(50)
    rows[6][2] = "不存在村/一组"  # sheet row 8
    rows[31][5] = "12345"  # sheet row 33
    with pytest.raises(InvalidInput) as raised:
        unit_ledger.import_units(session, small_town.town, _sheet(rows), now=IMPORT_NOW)
    problems = raised.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("第8行") and "未知的网格" in problems[0]
    assert problems[1].startswith("第33行") and "电话号码" in problems[1]
    session.rollback()
    assert session.query(Unit).count() == 4


def test_fixed_file_imports_fifty_and_round_trips(session, small_town):
    result = unit_ledger.import_units(session, small_town.town, _sheet(_good_rows(50)), now=IMPORT_NOW)
    session.commit()
    assert (result.created, result.changed, result.unchanged) == (50, 0, 0)
    assert session.query(Unit).count() == 54

    units_before = _snapshot(session)
    exported = unit_ledger.export_units(list(session.scalars(select(Unit))))
    again = unit_ledger.import_units(session, small_town.town, BytesIO(exported), now=IMPORT_NOW)
    session.commit()
    assert (again.created, again.changed, again.unchanged) == (0, 0, 54)
    assert _snapshot(session) == units_before


def test_reimport_counts_only_the_row_that_changed(session, small_town):
    book = load_workbook(BytesIO(unit_ledger.export_units(list(session.scalars(select(Unit))))))
    book.active.cell(row=5, column=4).value = "新地址路1号"
    edited = BytesIO()
    book.save(edited)
    edited.seek(0)
    result = unit_ledger.import_units(session, small_town.town, edited, now=IMPORT_NOW)
    assert (result.created, result.changed, result.unchanged) == (0, 1, 3)
    assert result.summary() == "新增0个单位，更新1个单位，3个单位无变化"
    assert session.scalar(select(Unit).where(Unit.address == "新地址路1号")) is not None


@pytest.mark.parametrize("phone", ["12345", "1234567", "12812345678", "0571-8123"])
def test_phone_numbers_need_a_mobile_or_an_area_code(phone):
    assert "格式不正确" in units.phone_problem(phone)


@pytest.mark.parametrize("phone", ["13907120001", "0571-81234567", "057181234567", "0712-5861234-801"])
def test_valid_phone_numbers_pass(phone):
    assert units.phone_problem(phone) is None


def test_export_import_into_empty_town_recreates_units(session, small_town):
    exported = unit_ledger.export_units(list(session.scalars(select(Unit))))
    before = _snapshot(session)
    for unit in session.scalars(select(Unit)):
        session.delete(unit)
    session.flush()
    result = unit_ledger.import_units(session, small_town.town, BytesIO(exported), now=IMPORT_NOW)
    assert result.created == 4 and _snapshot(session) == before


def test_duplicates_and_missing_fields_are_reported(session, small_town):
    rows = _good_rows(3)
    rows[2][0] = rows[0][0]
    rows[2][2] = rows[0][2]
    rows.append(["", "火星类别", "", "", "", "", "", "", "abc", -1])
    with pytest.raises(InvalidInput) as raised:
        unit_ledger.import_units(session, small_town.town, _sheet(rows), now=IMPORT_NOW)
    text = "\n".join(raised.value.problems)
    assert "第4行：与第2行重复" in text
    assert "第5行：未知的单位类别“火星类别”" in text and "所属网格不能为空" in text
    assert "建筑面积”应为数字" in text


def test_not_an_xlsx(session, small_town):
    with pytest.raises(InvalidInput, match="xlsx"):
        unit_ledger.import_units(session, small_town.town, BytesIO(b"not excel"), now=IMPORT_NOW)


def test_blank_template_has_headers_and_category_list():
    book = load_workbook(BytesIO(unit_ledger.blank_template()))
    assert [c.value for c in book.active[1]] == unit_ledger.HEADERS
    assert book["类别"]["A1"].value == "小学校/幼儿园"


def test_import_through_the_web_reports_errors(sign_in, small_town):
    admin = sign_in("admin")
    rows = _good_rows(5)
    rows[1][1] = "未知类"
    response = admin.post("/units/import", {"file": (_sheet(rows), "台账.xlsx")},
                          content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "第3行：未知的单位类别“未知类”" in page and "未导入任何数据" in page
    ok = admin.post("/units/import", {"file": (_sheet(_good_rows(5)), "台账.xlsx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "新增5个单位" in ok.get_data(as_text=True)


def test_upload_over_the_configured_limit_is_refused_in_chinese(app, sign_in, small_town, monkeypatch):
    admin = sign_in("admin")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)  # FIREGRID_MAX_UPLOAD_MB=2
    big = BytesIO(b"PK\x03\x04" + b"\x00" * (2 * 1024 * 1024))
    response = admin.post("/units/import", {"file": (big, "台账.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "一次提交的文件合计不能超过2MB" in response.get_data(as_text=True)


def test_export_download_has_chinese_filename(sign_in, small_town):
    response = sign_in("village_clerk").get("/units/export.xlsx")
    assert "filename*=UTF-8''%E5%8D%95%E4%BD%8D" in response.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.data)).active
    grids = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert grids and all(g.startswith("松林村/") for g in grids)


def _snapshot(session):
    session.expire_all()
    return sorted(
        (u.name, u.category, u.grid_id, u.address, u.responsible_person, u.responsible_phone, u.manager,
         u.manager_phone, u.floor_area, u.staff_count)
        for u in session.scalars(select(Unit))
    )


def test_import_applies_the_input_rules_of_the_forms(session, small_town):
    """Issue 17: the ledger import (web and command line) refuses what the forms refuse, naming row and column."""
    rows = _good_rows(4)
    rows[0][0] = "第一行\n第二行"
    rows[1][3] = "路" * 301
    rows[2][8] = "1e400"
    rows[3][9] = str(2**31)
    with pytest.raises(InvalidInput) as refused:
        unit_ledger.import_units(session, small_town.town, _sheet(rows), now=IMPORT_NOW)
    assert refused.value.problems == [
        "第2行：“单位名称”只能填写一行，请删除换行。", "第3行：“地址”不能超过300个字",
        "第4行：“建筑面积”数值超出范围", "第5行：“从业人数”数值超出范围"]
    assert session.scalar(select(Unit).where(Unit.name.startswith("导入测试"))) is None
