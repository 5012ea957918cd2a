from pathlib import Path

from openpyxl import load_workbook

from webapp.cli import main


def _run(app, *args):
    runner = app.test_cli_runner()
    return runner.invoke(main, list(args))


def test_demo_is_idempotent_and_prints_accounts(app, session):
    first = _run(app, "demo")
    assert first.exit_code == 0, first.output
    assert "已加载演示数据" in first.output and "clerk_shiqiao" in first.output and "firegrid-demo" in first.output
    second = _run(app, "demo")
    assert "未重复加载" in second.output and "单位：60 个" in second.output


def test_units_export_then_import(app, session, demo, tmp_path: Path):
    out = tmp_path / "units.xlsx"
    assert _run(app, "units", "export", str(out), "--town", "青石镇").exit_code == 0  # the demo has two towns
    assert load_workbook(out).active.max_row == 61
    result = _run(app, "units", "import", str(out), "--town", "青石镇")
    assert result.exit_code == 0 and "新增0个单位，更新0个单位，60个单位无变化" in result.output


def test_units_import_reports_errors_with_exit_code(app, session, demo, tmp_path: Path):
    from openpyxl import Workbook

    from webapp.services.unit_ledger import HEADERS

    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(["某单位", "不知道", "青石村/青石一组"])
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    result = _run(app, "units", "import", str(bad), "--town", "青石镇")
    assert result.exit_code == 1 and "第2行：未知的单位类别“不知道”" in result.output


def test_templates_render_pdf_runs_the_layout_check(app, tmp_path: Path):
    import pytest

    if not app.extensions["firegrid.runtime"].documents.pdf.available():
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "opinion.docx"
    result = _run(app, "templates", "render", "reinspection_opinion", "--sample", "--out", str(out), "--pdf")
    assert result.exit_code == 0, result.output
    assert "版式检查：通过" in result.output
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


def test_users_add_makes_a_county_account_at_the_region(app, session, small_town):
    from sqlalchemy import select

    from webapp.models import User

    region = small_town.town.parent.name
    result = _run(app, "users", "add", "county", "--role", "county", "--scope", region, "--name", "县消防督导",
                  "--password", "supervisor-2026")
    assert result.exit_code == 0, result.output
    assert "县级督导（只读）" in result.output
    user = session.scalar(select(User).where(User.username == "county"))
    assert user.roles == {"county"} and user.scope_id == small_town.town.parent_id
    refused = _run(app, "users", "add", "other", "--role", "county", "--scope", "无此区", "--password", "x-pass-2026")
    assert refused.exit_code == 1 and "找不到唯一的区（县）或镇（街道）“无此区”" in refused.output
    taken = _run(app, "users", "add", "county", "--role", "county", "--scope", region, "--password", "x-pass-2026")
    assert taken.exit_code == 1 and "已被使用" in taken.output
