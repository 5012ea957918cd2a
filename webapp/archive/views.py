"""归档: the archivist's page (exports with progress, retry, cancel; paged preview; download) and settings.

Each town is its own fonds: the pages show one town at a time (`?town=`, like every town-by-town page), and
an export of a town outside the user's scope answers 403 (logged), whatever the URL.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for

from webapp.archive import codes, jobs
from webapp.archive import export as archive_export
from webapp.archive import items as archive_items
from webapp.archive.forms import ExportForm, SettingsForm
from webapp.archive.models import RETENTIONS
from webapp.extensions import db
from webapp.models import GridNode
from webapp.services.errors import InvalidInput
from webapp.web.common import (
    acting_user,
    chosen_town,
    now,
    page_arg,
    record_action,
    require_town_scope,
    roles_required,
    year_arg,
)
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import show_invalid
from webapp.web.paging import ListPage
from webapp.web.responses import runtime, stored_download

bp = Blueprint("archive", __name__, url_prefix="/archive")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("archive.index", "归档", ("archivist",)),
)
ITEMS_PER_PAGE = 50


@bp.before_request
def _town_level_only() -> None:
    require_town_scope("归档")


def _data_dir():
    return current_app.config["DATA_DIR"]


def _sync_limit() -> int:
    return current_app.config.get("ARCHIVE_SYNC_LIMIT", jobs.SYNC_LIMIT)


@bp.get("/", endpoint="index")
@roles_required("archivist")
def index():
    year = year_arg()
    town, towns = chosen_town()
    preview = archive_items.preview(db.session, town, year)
    form = ExportForm(year=year)
    form.organ_codes.choices = archive_items.organ_code_choices(preview.items)
    exports = archive_export.recent_exports(db.session, town)
    progress = {e.id: jobs.progress(db.session, _data_dir(), e) for e in exports}
    items = ListPage(preview.items, page_arg(), ITEMS_PER_PAGE)
    db.session.commit()  # the town's archive settings, if this is their first use
    return render_template("archive/index.html", preview=preview, form=form, retentions=RETENTIONS,
                           exports=exports, progress=progress, items=items, town=town, towns=towns)


@bp.post("/export", endpoint="export")
@roles_required("archivist")
def export():
    town, _towns = chosen_town()
    form = ExportForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("archive.index", town=town.id))
    options = archive_export.ExportOptions(set(form.organ_codes.data), set(form.retentions.data), form.pdf.data)
    record = archive_export.start_export(db.session, town=town, year=form.year.data, options=options,
                                         user=acting_user(), now=now())
    record_action(action="archive_export", object_type="archive_export", object_id=record.id,
                  summary=f"{town.name}{record.year}年度")
    queued = jobs.submit(db.session, runtime(), data_dir=_data_dir(), record=record, now=now(),
                         sync_limit=_sync_limit())
    db.session.commit()
    return _outcome(record, queued)


def _outcome(record, queued: bool):
    if queued:
        flash("已提交后台任务，生成进度见上方“归档包”。", "success")
    elif record.status == "failed":
        flash(f"归档包生成失败：{record.message}", "error")
    else:
        flash(f"归档包已生成：{record.message}", "success")
    return redirect(url_for("archive.index", year=record.year, town=record.town_id))


def _export_in_scope(export_id: int):
    return archive_export.get_export_in_scope(db.session, acting_user(), export_id)


@bp.post("/exports/<int:export_id>/retry", endpoint="retry")
@roles_required("archivist")
def retry(export_id: int):
    record = jobs.retry(db.session, runtime(), data_dir=_data_dir(), record=_export_in_scope(export_id), now=now(),
                        sync_limit=_sync_limit())
    db.session.commit()
    return _outcome(record, record.status == "running")


@bp.post("/exports/<int:export_id>/cancel", endpoint="cancel")
@roles_required("archivist")
def cancel(export_id: int):
    record = jobs.cancel(db.session, record=_export_in_scope(export_id), now=now())
    db.session.commit()
    flash(f"已取消{record.year}年度的归档包。", "success")
    return redirect(url_for("archive.index", year=record.year, town=record.town_id))


@bp.get("/exports/<int:export_id>.zip", endpoint="download")
@roles_required("archivist")
def download(export_id: int):
    record = _export_in_scope(export_id)
    path = archive_export.local_package(_data_dir(), record)
    name = f"归档包_{record.town.name}_{record.year}年度_{record.id}.zip"
    record_action(action="archive_download", object_type="archive_export", object_id=record.id,
                  summary=f"{record.town.name}{record.year}年度")
    if path is None:  # built by another host's background loop: the copy in the database file store
        return stored_download(record.sha256 or "", name, archive_export.ZIP)
    db.session.commit()
    return send_file(path, mimetype=archive_export.ZIP, as_attachment=True, download_name=name)


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
@roles_required("admin")
def settings():
    town, towns = chosen_town()
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            codes.update_settings(
                db.session, town, fonds=form.fonds.data, source_organization=form.source_organization.data or "",
                pattern=form.pattern.data, default_organ=form.default_organ.data,
                organ_codes=codes.parse_pairs(form.organ_codes.data or "", "机构代码"),
                retention_rules=codes.parse_pairs(form.retention_rules.data or "", "保管期限规则"),
                item_groups=codes.parse_groups(form.item_groups.data or ""))
            record_action(action="settings_change", object_type="settings",
                          object_id=town.id, summary=f"{town.name}归档设置：全宗号 {form.fonds.data}")
            db.session.commit()
            flash("归档设置已保存。已分配的档号保持不变。", "success")
            return redirect(url_for("archive.settings", town=town.id))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.pattern)
    elif request.method == "GET":
        _fill_settings(form, town)
        db.session.commit()  # the town's archive settings, if this is their first use
    return render_template("archive/settings.html", form=form, town=town, towns=towns)


def _fill_settings(form: SettingsForm, town: GridNode) -> None:
    row, rules = codes.settings(db.session, town), codes.load_rules(db.session, town)
    form.fonds.data, form.source_organization.data = row.fonds_code, row.source_organization
    form.pattern.data, form.default_organ.data = row.code_pattern, row.default_organ_code
    form.organ_codes.data = codes.format_pairs(rules.organ_codes)
    form.retention_rules.data = codes.format_pairs(rules.retention_rules)
    form.item_groups.data = "\n".join(",".join(g) for g in rules.item_groups)
