"""The `firegrid` command line (design.md §8): one group, commands grouped by noun."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from webapp import create_app
from webapp.demo import organisation as demo_service
from webapp.extensions import db
from webapp.services.errors import InvalidInput

if TYPE_CHECKING:
    from webapp.models import GridNode


def _now():
    return current_app.extensions["firegrid.clock"].now()


def upgrade_schema() -> None:
    """Create or upgrade the schema with Alembic (existing rows are kept), then add missing defaults."""
    from flask_migrate import upgrade

    from webapp.cases import defaults

    upgrade()
    defaults.ensure_defaults(db.session)
    db.session.commit()


def load_demo_and_print() -> None:
    summary = demo_service.load_demo(db.session, now=_now())
    db.session.commit()
    click.echo("已加载演示数据。" if summary.created else "演示数据已存在，未重复加载。")
    click.echo(f"单位：{summary.units} 个。演示账号（密码均为 {demo_service.DEMO_PASSWORD}）：")
    for username, display_name, roles in summary.users:
        click.echo(f"  {username:<18} {display_name}  {roles}")


def _cli_app():
    """Commands load the app without the start-up check, so `check` can report what is broken;
    `serve` runs the check itself and refuses to start on any problem. Commands marked read_only
    create no data dir and no secret key."""
    context = click.get_current_context(silent=True)
    read_only = bool(context and getattr(context.command, "read_only", False))
    return create_app({"CHECK_WORKFLOWS": False, "READ_ONLY": read_only})


def read_only(command: click.Command) -> click.Command:
    """Mark a command that only reads: its app writes nothing to the working directory."""
    command.read_only = True
    return command


class FiregridGroup(FlaskGroup):
    """Flask's group loads the app to list app-provided commands (so `--help` would create the data
    dir and secret key); Firegrid declares all its commands here, so listing needs no app."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return click.Group.list_commands(self, ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, name)


def workflow_problems() -> list[str]:
    from webapp.documents.lint import lint
    from webapp.forms.registry import form_keys

    runtime = _runtime()
    problems = [str(p) for p in runtime.problems(form_keys())]
    return problems + [f"doc_templates/{p.key}: {p.message}" for p in lint(runtime.documents.library)]


@click.group(cls=FiregridGroup, create_app=_cli_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Firegrid 消防网格公文系统."""


@main.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database schema."""
    upgrade_schema()
    click.echo("数据库结构已是最新。")


@main.command("demo")
@click.option("--history", is_flag=True, help="Also play this year's activity through the services.")
@click.option("--check-layout", is_flag=True,
              help="With --history: every document through the PDF layout check and adjuster (LibreOffice; slow).")
@with_appcontext
def demo_command(history: bool, check_layout: bool) -> None:
    """Load the demo organisation (idempotent)."""
    upgrade_schema()
    load_demo_and_print()
    if history:
        play_history_and_print(check_layout=check_layout)


def play_history_and_print(*, check_layout: bool = False) -> None:
    from webapp.demo import history as demo_history

    clock = current_app.extensions["firegrid.clock"]
    played = demo_history.play(db.session, _runtime(), clock, clock.now(), check_layout=check_layout)
    if played is None:
        click.echo("已有业务记录，未重复生成。")
    else:
        click.echo("已生成本年度业务记录：" + ("、".join(played) or "（无）"))


def _runtime():
    return current_app.extensions["firegrid.runtime"]


@main.command("tick")
@click.option("--now", "moment", default=None, help="Pretend it is this moment (ISO date/time, Beijing time).")
@with_appcontext
def tick_command(moment: str | None) -> None:
    """Fire due timers and make due-soon/overdue notices once (for cron, or several app hosts)."""
    from webapp.cases import alerts, timers
    from webapp.clock import parse_moment
    from webapp.services import background, jobs

    now = parse_moment(moment) if moment else _now()
    fired = timers.fire_due_timers(db.session, _runtime(), now)
    notices = alerts.sweep(db.session, _runtime(), now)
    sent = background.send_deliveries(current_app, jobs.worker_id(), now)
    chunks = jobs.run_due_jobs(db.session, _runtime(), worker=jobs.worker_id(), clock=lambda: now)
    click.echo(f"{now:%Y-%m-%d %H:%M}：处理到期定时事项 {fired} 件，到期提醒 {notices} 条，"
               f"提醒外发 {sent.sent} 条（失败 {sent.failed} 次），后台任务 {chunks} 批。")


@read_only
@main.command("check")
@with_appcontext
def check_command() -> None:
    """Cross-check workflows, forms, templates and roles; exit non-zero on any problem."""
    runtime = _runtime()
    problems = workflow_problems()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"检查通过：{len(runtime.specs.process_ids())} 个流程，{len(runtime.documents.library.keys())} 个模板。")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="Initialise and load the demo first.")
@click.option("--history", is_flag=True,
              help="With --demo: also play this year's activity (under a minute of CPU; PDFs follow later).")
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int, with_demo: bool, history: bool, threads: int) -> None:
    """Run the production WSGI server (waitress)."""
    problems = workflow_problems()
    if problems:
        raise click.ClickException("流程或模板配置有误，服务未启动：\n" + "\n".join(problems))
    app = current_app._get_current_object()
    server = _bind(app, host, port, threads)
    upgrade_schema()
    if with_demo:
        load_demo_and_print()
        if history:
            play_history_and_print()
    from webapp.services import background

    background.start(app)
    click.echo(f"Firegrid 已启动：http://{host}:{port}/login")
    server.run()


def _bind(app, host: str, port: int, threads: int):
    """Bind the port before announcing anything, so a busy port is one clear message, not a traceback."""
    from waitress import create_server

    try:
        # ident="": no Server banner. Idle or slow connections cost a socket, not a worker thread, so
        # a high connection limit and a short idle timeout keep them from starving real users.
        return create_server(app, host=host, port=port, threads=threads, ident="",
                             connection_limit=app.config["SERVER_CONNECTION_LIMIT"],
                             channel_timeout=app.config["SERVER_CHANNEL_TIMEOUT"], cleanup_interval=10,
                             backlog=1024)
    except OSError as error:
        click.echo(f"端口 {port} 已被占用或无法使用（{host}:{port}），服务未启动。"
                   f"请先关闭占用该端口的程序，或用 --port 指定其他端口，例如 --port {port + 1}。", err=True)
        raise SystemExit(1) from error


@main.command("setup")
@click.option("--file", "setup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON with the same names as the options (region, town, admin, password, …).")
@click.option("--region", default=None, help="区（县）名称")
@click.option("--town", default=None, help="镇（街道）名称")
@click.option("--government", default=None, help="发文机关（默认：镇名＋人民政府）")
@click.option("--committee", default=None, help="消防安全委员会（默认：镇名＋消防安全委员会）")
@click.option("--admin", default=None, help="The town's first admin account (username); optional for a next town.")
@click.option("--admin-name", default=None, help="管理员姓名")
@click.option("--password", default=None, envvar="FIREGRID_SETUP_PASSWORD",
              help="The admin's password (or FIREGRID_SETUP_PASSWORD).")
@click.option("--prefix", "prefixes", multiple=True, metavar="KEY=代字",
              help="A 机关代字 other than the suggested one.")
@with_appcontext
def setup_command(setup_file: Path | None, prefixes: tuple[str, ...], **given: str | None) -> None:
    """Set up a town and its first admin (a first start), or a county's next town (its admin optional:
    the town's workbook may bring its accounts); upgrades the schema."""
    import json

    from webapp.cases import setup

    values = json.loads(setup_file.read_text(encoding="utf-8")) if setup_file else {}
    values.update({key: value for key, value in given.items() if value is not None})
    codes = dict(values.get("prefixes") or {}) | dict(p.split("=", 1) for p in prefixes if "=" in p)
    upgrade_schema()
    try:
        done = setup.set_up_town(db.session, setup.TownSetup(
            region=values.get("region") or "", town=values.get("town") or "",
            admin_username=values.get("admin") or "", admin_password=values.get("password") or "",
            admin_name=values.get("admin_name") or "", government=values.get("government") or "",
            committee=values.get("committee") or "", prefixes=codes), now=_now(),
            admin_required=not setup.is_set_up(db.session))
    except InvalidInput as error:
        db.session.rollback()
        for message in error.fields.values() or [error.message]:
            click.echo(message, err=True)
        sys.exit(1)
    db.session.commit()
    admin = (f"管理员 {done.admin.username} 可以登录" if done.admin
             else f"请用 firegrid org import --town {done.town.name} 导入其组织架构")
    click.echo(f"已设置 {done.town.name}，{admin}。发文字号：")
    for code in setup.town_prefixes(db.session, done.town):
        click.echo(f"  {code.description}：{code.organ} {code.prefix}")


def _town_named(town: str | None) -> GridNode:
    from webapp.services import grid

    towns = [t for t in grid.towns(db.session) if town is None or t.name == town]
    if len(towns) != 1:
        raise click.ClickException("请用 --town 指定镇/街道名称。" if towns else "找不到该镇/街道。")
    return towns[0]


def _import_file(importer: Callable[..., Any], path: Path, town: GridNode) -> Any:
    """Run `importer(session, town, stream, now=)` and commit; on InvalidInput roll back, list every
    problem on stderr and exit 1."""
    try:
        with path.open("rb") as stream:
            result = importer(db.session, town, stream, now=_now())
    except InvalidInput as error:
        db.session.rollback()
        click.echo(error.message, err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    return result


@main.group("users")
def users_group() -> None:
    """Accounts the pages cannot make: e.g. a county account, scoped at the region above every town."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="角色，如 county（县级督导，只读）、admin")
@click.option("--scope", required=True, help="管辖范围：区（县）或镇（街道）的名称")
@click.option("--name", "display_name", default="", help="姓名")
@click.option("--password", required=True, envvar="FIREGRID_USER_PASSWORD",
              help="The password (or FIREGRID_USER_PASSWORD).")
@with_appcontext
def users_add(username: str, roles: tuple[str, ...], scope: str, display_name: str, password: str) -> None:
    from sqlalchemy import select

    from webapp.models import GridNode
    from webapp.services import accounts

    nodes = list(db.session.scalars(select(GridNode).where(GridNode.name == scope.strip(),
                                                           GridNode.level.in_(("region", "town")))))
    if len(nodes) != 1:
        click.echo(f"找不到唯一的区（县）或镇（街道）“{scope}”。", err=True)
        sys.exit(1)
    try:
        user = accounts.create_user(db.session, username=username, display_name=display_name, password=password,
                                    roles=list(roles), scope=nodes[0], now=_now())
    except InvalidInput as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"已建立账号 {user.username}（{'、'.join(user.role_labels)}），管辖范围：{nodes[0].name}。")


@main.group("units")
def units_group() -> None:
    """Import or export the unit ledger (Excel)."""


@units_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--town", default=None, help="Town name (default: the only town).")
@with_appcontext
def units_import(path: Path, town: str | None) -> None:
    from webapp.services import unit_ledger

    result = _import_file(unit_ledger.import_units, path, _town_named(town))
    click.echo(f"导入成功：{result.summary()}。")


@units_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--town", default=None, help="Town name (default: every town's units).")
@with_appcontext
def units_export(path: Path, town: str | None) -> None:
    from sqlalchemy import select

    from webapp.models import GridNode, Unit
    from webapp.services import unit_ledger

    query = select(Unit).join(Unit.grid).order_by(GridNode.path, Unit.name)
    if town is not None:
        query = query.where(GridNode.path.startswith(_town_named(town).path))
    rows = db.session.scalars(query)
    path.write_bytes(unit_ledger.export_units(list(rows)))
    click.echo(f"已导出到 {path}")


@main.group("org")
def org_group() -> None:
    """Import or export a town's organisation workbook (Excel): grid, units, posts, accounts, committee, receivers."""


@org_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--town", default=None, help="Town name (default: the only town).")
@with_appcontext
def org_import(path: Path, town: str | None) -> None:
    """All or nothing: any refused row is listed (sheet, row, reason) and nothing is imported (exit 1)."""
    from webapp.cases import org_workbook

    target = _town_named(town)
    result = _import_file(org_workbook.import_workbook, path, target)
    click.echo(f"导入成功（{target.name}）：{result.summary()}。")
    if result.new_accounts:
        click.echo("新账号的初始密码（只显示这一次，请告知本人）：")
        for account in result.new_accounts:
            click.echo(f"  {account.username:<18} {account.display_name}  {account.password}")


@org_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--town", default=None, help="Town name (default: the only town).")
@with_appcontext
def org_export(path: Path, town: str | None) -> None:
    from webapp.cases import org_workbook

    target = _town_named(town)
    path.write_bytes(org_workbook.export_workbook(db.session, target))
    click.echo(f"已导出 {target.name} 的组织架构到 {path}")


@main.group("templates")
def templates_group() -> None:
    """The DOCX template library."""


@read_only
@templates_group.command("list")
@with_appcontext
def templates_list() -> None:
    library = _runtime().documents.library
    for key in library:
        click.echo(f"{key}\t{library.spec(key).title}")


@templates_group.command("render")
@click.argument("key")
@click.option("--sample", is_flag=True, help="Render with the manifest's sample data.")
@click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pdf", is_flag=True, help="Also write a PDF beside the DOCX (needs LibreOffice).")
@with_appcontext
def templates_render(key: str, sample: bool, data_file: Path | None, out_file: Path, pdf: bool) -> None:
    import json

    from webapp.documents.manifest import ContextError, UnknownTemplate
    from webapp.documents.pdf import PdfUnavailable

    docs = _runtime().documents
    if sample == bool(data_file):
        raise click.UsageError("请指定 --sample 或 --data 其中之一。")
    try:
        context = docs.library.spec(key).sample if sample else json.loads(data_file.read_text(encoding="utf-8"))
        content = docs.renderer.render(key, context)
    except UnknownTemplate as error:
        raise click.ClickException(f"没有模板“{key}”，可用：{'、'.join(docs.library)}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.ClickException(f"数据文件不是有效的 UTF-8 JSON：{error}") from error
    except ContextError as error:
        raise click.ClickException(str(error)) from error
    out_file.write_bytes(content)
    click.echo(f"已生成 {out_file}")
    if pdf:
        from webapp.documents import layout_loop

        if not docs.pdf.available():
            raise click.ClickException(str(PdfUnavailable()))
        # the issuing path: PDF, layout verifier and (when the 署名 stands alone) the adjusted DOCX
        outcome = layout_loop.produce(content, docs.pdf, layout=docs.library.spec(key).format,
                                      unbroken=docs.renderer.unbroken(key, context))
        out_file.write_bytes(outcome.docx)
        if outcome.pdf is not None:
            out_file.with_suffix(".pdf").write_bytes(outcome.pdf)
            click.echo(f"已生成 {out_file.with_suffix('.pdf')}")
        click.echo(f"版式检查：{outcome.report.label}")


@templates_group.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory to write into (default: the templates directory).")
@with_appcontext
def templates_build(out_dir: Path | None) -> None:
    """Regenerate the DOCX templates from the GB/T 9704 layout builder."""
    from webapp.documents.template_builder import build_all

    written = build_all(out_dir or Path(current_app.config["TEMPLATES_DIR"]))
    click.echo(f"已生成 {len(written)} 个模板。")


@main.group("documents")
def documents_group() -> None:
    """Issued documents."""


@documents_group.command("check-layout")
@click.option("--year", type=int, required=True)
@click.option("--all", "every", is_flag=True, help="Also documents already checked (default: only 未检查).")
@with_appcontext
def documents_check_layout(year: int, every: bool) -> None:
    """版式检查 of a year's issued documents (PDF via LibreOffice, then the layout verifier); the reports are
    stored with the documents, the issued files stay as they are. Exit 1 when any document fails."""
    from collections import Counter

    from webapp.documents.pdf import PdfConversionError, PdfUnavailable
    from webapp.documents.verify_layout import RULE_LABELS
    from webapp.services import documents

    runtime = _runtime()
    if not runtime.documents.pdf.available():
        raise click.ClickException("服务器未安装 LibreOffice，无法生成 PDF 进行版式检查。")
    failures: Counter[str] = Counter()
    chosen = documents.issued_in_year(db.session, year, unchecked_only=not every)
    failed = 0
    for document in chosen:
        try:
            report = documents.recheck_layout(db.session, runtime.documents, document)
        except (PdfUnavailable, PdfConversionError) as error:
            raise click.ClickException(f"{document.title}：PDF 转换失败（{error}）") from error
        db.session.commit()
        if not report.passed:
            failed += 1
            failures.update(f.rule for f in report.failures)
            click.echo(f"未通过：{document.number or ''}{document.title}——{report.label}")
    click.echo(f"{year} 年已检查 {len(chosen)} 件，通过 {len(chosen) - failed} 件，未通过 {failed} 件。")
    for rule, count in failures.most_common():
        click.echo(f"  {RULE_LABELS.get(rule, rule)}：{count}")
    if failed:
        sys.exit(1)


@main.group("files")
def files_group() -> None:
    """Stored files (documents and uploads) and their backend."""


@files_group.command("migrate")
@click.option("--to", "target_kind", type=click.Choice(["local", "database"]), required=True,
              help="The backend to move every stored file to (from the other one).")
@click.option("--remove-source", is_flag=True, help="Remove each file from the old backend once its copy verifies.")
@with_appcontext
def files_migrate(target_kind: str, remove_source: bool) -> None:
    """Copy every stored file to the other backend, verifying each SHA-256; exit 1 when any is missing or
    corrupt. Then set FIREGRID_FILE_STORE to the new backend on every app host."""
    from webapp.services.storage import backends as file_backends

    source_kind = "local" if target_kind == "database" else "database"
    source, target = (file_backends.build(kind, current_app.config["DATA_DIR"], lambda: db.session)
                      for kind in (source_kind, target_kind))
    report = file_backends.move_all(db.session, source, target, remove_source=remove_source,
                                    progress=lambda count: click.echo(f"已处理 {count} 个文件……"))
    for sha256 in report.missing:
        click.echo(f"缺失：{sha256}（两处均无此文件）", err=True)
    for sha256 in report.corrupt:
        click.echo(f"校验失败：{sha256}（内容与 SHA-256 不符，未迁移）", err=True)
    click.echo(f"已迁移 {report.copied} 个文件，目标已有 {report.already} 个，缺失 {len(report.missing)} 个，"
               f"校验失败 {len(report.corrupt)} 个；每个文件均已核对 SHA-256。")
    if not report.ok:
        sys.exit(1)


@main.group("archive")
def archive_group() -> None:
    """Archive export (归档包) and verification."""


@archive_group.command("export")
@click.option("--year", type=int, required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--no-pdf", is_flag=True, help="Skip PDF/A (no LibreOffice call).")
@click.option("--town", default=None, help="镇/街道名称（服务器上有多个镇时必填；每个镇是一个全宗）。")
@with_appcontext
def archive_export_command(year: int, out: Path | None, no_pdf: bool, town: str | None) -> None:
    from webapp.archive.export import ExportOptions, export_year

    node = _town_named(town)
    out = out or Path(f"archive-{year}.zip")
    try:
        result = export_year(db.session, _runtime().documents, town=node, year=year, out=out, now=_now(),
                             options=ExportOptions(pdf=not no_pdf))
    except InvalidInput as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()  # the 档号 assigned to new items
    verdict = "通过" if result.passed else "未通过，详见包内报告"
    click.echo(f"已导出 {result.item_count} 件到 {out}；四性检测：{verdict}")
    for note in result.report["说明"]:
        click.echo(f"  说明：{note}")


@archive_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def archive_verify_command(path: Path) -> None:
    from webapp.archive.verify import verify_package

    result = verify_package(path)
    for warning in result.warnings:
        click.echo(f"注意：{warning}", err=True)
    for problem in result.problems:
        click.echo(problem, err=True)
    if not result.ok:
        sys.exit(1)
    click.echo(f"校验通过：{result.items} 件，BagIt 完整校验无误。")


@read_only
@main.command("tls-cert")
@click.option("--host", "hosts", multiple=True, required=True,
              help="Address phones use, e.g. 192.168.1.10 or firegrid.local (repeat for several).")
@click.option("--out", "out_dir", default="tls", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", default=5000, show_default=True, type=int, help="Port `firegrid serve` listens on.")
def tls_cert_command(hosts: tuple[str, ...], out_dir: Path, port: int) -> None:
    """Make a local CA and an HTTPS certificate for HOST, and print the reverse-proxy configuration.

    waitress (`firegrid serve`) speaks plain HTTP only; Caddy or nginx in front of it serves HTTPS."""
    from datetime import UTC, datetime

    from webapp import tls

    files = tls.write_certificates(out_dir, list(hosts), now=datetime.now(UTC))
    host = hosts[0]
    click.echo(f"已生成：{files.cert}、{files.key}（服务器证书和私钥），{files.ca_cert}（根证书，装到每部手机上）。")
    click.echo(f"\n1. 启动应用（只在本机监听）：FIREGRID_PROXY_COUNT=1 FIREGRID_SECURE_COOKIES=1 "
               f"FIREGRID_PUBLIC_URL=https://{host} firegrid serve --port {port}")
    click.echo("2. 用 Caddy 提供 HTTPS（Caddyfile）：\n")
    click.echo(tls.caddy_snippet(host, files, port))
    click.echo("   或用 nginx：\n")
    click.echo(tls.nginx_snippet(host, files, port))
    click.echo(f"3. 在每部手机上安装 {files.ca_cert.name} 并信任为根证书（iPhone：设置 → 通用 → 关于本机 → "
               "证书信任设置；安卓：设置 → 安全 → 加密与凭据 → 安装证书 → CA 证书），然后访问 "
               f"https://{host}/ 。手机浏览器只在 HTTPS 下提供定位（签到位置）和稳定的拍照上传。")


if __name__ == "__main__":
    main()
