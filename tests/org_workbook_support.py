"""Workbooks for the organisation-workbook tests: the blank template with rows filled in."""

from io import BytesIO

from openpyxl import load_workbook

from webapp.cases import org_workbook

GOOD = {
    "网格": [["桃源村", ""], ["桃源村", "桃源一组"], ["桃源村", "桃源二组"], ["新街社区", "新街一号院"]],
    "单位": [["桃源超市", "小商店", "桃源村/桃源一组", "桃源路1号", "王一", "13800000001", "", "", 80, 3],
             ["新街饭店", "小餐饮", "新街社区/新街一号院", "新街2号", "赵二", "13800000002", "", "", 150.5, 8]],
    "网格职务": [["桃源村", "网格长", "孙长", "13800000003", ""],
                 ["桃源村/桃源一组", "网格员", "周员", "13800000004", "zhouyuan"],
                 ["新街社区/新街一号院", "楼院长", "吴院", "13800000005", ""]],
    "账号": [["zhouyuan", "周员", "网格员/检查员", "桃源村/桃源一组", "13800000004"],
             ["wenshu2", "郑文", "文书、档案员", "松林镇", ""]],
    "消安委成员单位": [["松林镇人民政府", "主任", "钱主任", "0712-5861000"],
                       ["松林镇安全生产监督管理站", "成员", "冯站", "0712-5861002"]],
    "移交接收部门": [["派出所", "松林派出所", "冯所", "0712-5861001", 10],
                     ["消防救援机构", "示例区消防救援大队", "陈队", "0712-5861119", 15]],
}


def workbook(rows_by_sheet: dict[str, list[list]]) -> BytesIO:
    """The blank template with these rows filled in below each sheet's header."""
    book = load_workbook(BytesIO(org_workbook.blank_template()))
    for title, rows in rows_by_sheet.items():
        for row in rows:
            book[title].append(row)
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


# Where five_bad_rows() goes wrong: (sheet, row) in the order the import names them.
FIVE_BAD = [("单位", 3), ("单位", 4), ("网格职务", 2), ("网格职务", 4), ("账号", 3)]


def five_bad_rows() -> dict[str, list[list]]:
    """GOOD with five bad rows on three sheets."""
    rows = {title: [list(r) for r in values] for title, values in GOOD.items()}
    rows["单位"][1][1] = "大商场"  # 单位 row 3: unknown category
    rows["单位"].append(["无网格店", "小商店", "不存在村/一组", "", "", "", "", "", "", ""])  # 单位 row 4
    rows["网格职务"][0][1] = "组长"  # 网格职务 row 2: unknown post
    rows["网格职务"][2][4] = "nobody"  # 网格职务 row 4: unknown account
    rows["账号"][1][2] = "文书、局长"  # 账号 row 3: unknown role
    return rows
