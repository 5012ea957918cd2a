"""`firegrid org import|export`: exit codes, the listed problems, and the one-time passwords."""

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from tests.org_workbook_support import GOOD, five_bad_rows, workbook
from webapp.cli import main
from webapp.models import User


def _run(app, *args):  # noqa: ANN001, ANN002, ANN202
    return app.test_cli_runner().invoke(main, list(args))


def _save(rows: dict, path: Path) -> Path:
    path.write_bytes(workbook(rows).getvalue())
    return path


def test_org_export_then_import_changes_nothing(app, session, small_town, tmp_path: Path):
    out = tmp_path / "org.xlsx"
    exported = _run(app, "org", "export", str(out), "--town", "松林镇")
    assert exported.exit_code == 0, exported.output
    assert load_workbook(out)["单位"].max_row == 5
    result = _run(app, "org", "import", str(out))
    assert result.exit_code == 0, result.output
    assert "单位新增0、更新0、无变化4" in result.output and "初始密码" not in result.output


def test_org_import_refuses_bad_rows_with_exit_code_1(app, session, small_town, tmp_path: Path):
    result = _run(app, "org", "import", str(_save(five_bad_rows(), tmp_path / "bad.xlsx")))
    assert result.exit_code == 1
    assert "共5处错误，未导入任何数据" in result.output
    assert "“单位”表第3行：未知的单位类别“大商场”" in result.output and "“账号”表第3行" in result.output
    assert session.scalar(select(User).where(User.username == "zhouyuan")) is None


def test_org_import_prints_new_passwords_and_refuses_an_unknown_town(app, session, small_town, tmp_path: Path):
    path = _save(GOOD, tmp_path / "good.xlsx")
    assert _run(app, "org", "import", str(path), "--town", "没有镇").exit_code == 1
    result = _run(app, "org", "import", str(path), "--town", "松林镇")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines() if line.startswith("  ")]
    assert {line[0] for line in lines} == {"zhouyuan", "wenshu2"} and all(len(line[-1]) == 12 for line in lines)
    session.expire_all()  # a one-time password printed on a console is changed at the first login
    assert session.scalar(select(User).where(User.username == "zhouyuan")).must_change_password
