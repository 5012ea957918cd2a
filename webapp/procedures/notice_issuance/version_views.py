"""稿本 pages of a notice case: the versions, the difference between any two, and the 痕迹稿 DOCX."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from webapp.documents import textdiff
from webapp.extensions import db
from webapp.models import ProcessInstance
from webapp.procedures.notice_issuance import notices, tracked, versions
from webapp.services import documents, grid
from webapp.services.errors import NotFound
from webapp.web.common import acting_user
from webapp.web.converters import db_int
from webapp.web.responses import download_response, runtime

bp = Blueprint("notice_versions", __name__, url_prefix="/notices")


@bp.app_context_processor
def version_helpers() -> dict:
    def notice_versions(instance: ProcessInstance) -> dict:
        """For the case panel: how many versions, and whether a 核稿 is on record (then its 痕迹稿 is offered)."""
        return {"count": len(versions.versions_of(db.session, instance)),
                "reviewed": versions.review_pair(db.session, instance) is not None}

    return {"notice_versions": notice_versions}


def _case(instance_id: int) -> ProcessInstance:
    instance = grid.get_in_scope(db.session, acting_user(), ProcessInstance, instance_id, "案件不存在。")
    if instance.procedure != notices.PROCEDURE_KEY:
        raise NotFound("案件不存在。")
    return instance


def _chosen(instance: ProcessInstance) -> versions.Pair | None:
    return versions.pair(db.session, instance, request.args.get("base", type=db_int),
                         request.args.get("revised", type=db_int))


@bp.get("/cases/<int:instance_id>/versions")
@login_required
def version_list(instance_id: int):
    instance = _case(instance_id)
    by = request.args.get("by") if request.args.get("by") in textdiff.BY_LABELS else "word"
    pair = _chosen(instance)
    changes = [(label, textdiff.diff_html(pair.base.texts.get(key, ""), pair.revised.texts.get(key, ""), by),
                pair.base.texts.get(key, "") != pair.revised.texts.get(key, ""))
               for key, label in versions.TEXT_FIELDS.items()] if pair else []
    return render_template("procedures/notice_issuance/versions.html", instance=instance, pair=pair, by=by,
                           all_versions=versions.versions_of(db.session, instance), changes=changes,
                           by_labels=textdiff.BY_LABELS, final=versions.final_version(db.session, instance))


@bp.get("/cases/<int:instance_id>/versions/tracked.docx")
@login_required
def tracked_download(instance_id: int):
    """The 痕迹稿 of the chosen pair, or by default of the latest 核稿."""
    instance = _case(instance_id)
    chosen = _chosen(instance) if request.args.get("base") else versions.review_pair(db.session, instance)
    if chosen is None:
        raise NotFound("该发文尚无核稿修改，没有修改痕迹稿。")
    content = tracked.tracked_file(db.session, runtime(), instance, chosen)
    return download_response(content, tracked.file_name(instance, chosen), documents.DOCX)
