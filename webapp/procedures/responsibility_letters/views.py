"""Responsibility letters: campaigns, generation progress, signing registration, 签订率 dashboard."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.extensions import db
from webapp.procedures.responsibility_letters import batch, campaigns, queries
from webapp.procedures.responsibility_letters import dashboard as letters_dashboard
from webapp.procedures.responsibility_letters import signing as letters_signing
from webapp.procedures.responsibility_letters.forms import BulkSignForm, ReasonForm, SignForm
from webapp.procedures.responsibility_letters.models import COUNTERPARTY_KINDS, COUNTERPARTY_SETS, LETTER_STATUSES
from webapp.services import jobs
from webapp.services.errors import InvalidInput, NotFound
from webapp.web.common import acting_user, local_url, now, referrer_path, roles_required
from webapp.web.converters import db_int
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import flash_invalid, show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import DOCX, runtime, stored_download, stored_file_response, xlsx_download

bp = Blueprint("letters", __name__, url_prefix="/letters")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("letters.index", "责任书", ("clerk", "office_head", "leader", "inspector")),
)
PDF = "application/pdf"


@bp.app_context_processor
def _helpers() -> dict:
    return {"letter_campaign_for": lambda instance: campaigns.campaign_for_instance(db.session, instance.id),
            "COUNTERPARTY_KINDS": COUNTERPARTY_KINDS, "COUNTERPARTY_SETS": COUNTERPARTY_SETS}


@bp.get("/")
@login_required
def index():
    return render_template("letters/index.html", campaigns=queries.campaigns_for(db.session, acting_user()))


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int):
    user = acting_user()
    found = queries.visible_campaign(db.session, user, campaign_id)
    status, text = request.args.get("status", ""), request.args.get("q", "").strip()
    page = db.paginate(queries.letters_query(user, found, status=status, text=text), per_page=100,
                       error_out=False)
    bulk = BulkSignForm(signed_on=now().date())
    return render_template("letters/campaign.html", campaign=found, page=page, bulk=bulk, status=status, q=text,
                           statuses=LETTER_STATUSES, can_record=user.has_role("clerk", "leader"))


@bp.get("/jobs/<int:job_id>/progress")
@login_required
def job_progress(job_id: int):
    job = jobs.get_job(db.session, job_id)
    queries.campaign_of_job(db.session, acting_user(), job)
    return jsonify(id=job.id, status=job.status, status_label=job.status_label, phase=job.phase, done=job.done,
                   total=job.total, percent=job.percent, error=job.error)


@bp.get("/campaigns/<int:campaign_id>/combined.<ext>")
@login_required
def combined(campaign_id: int, ext: str):
    found = queries.owned_campaign(db.session, acting_user(), campaign_id)
    sha256 = {"docx": found.combined_docx_sha256, "pdf": found.combined_pdf_sha256}.get(ext)
    if not sha256:
        raise NotFound("合订打印文件尚未生成。")
    name = f"{found.title}_合订打印稿.{ext}"
    return stored_download(sha256, name, DOCX if ext == "docx" else PDF)


@bp.post("/campaigns/<int:campaign_id>/combined/rebuild")
@roles_required("clerk", "leader")
def rebuild_combined(campaign_id: int):
    found = queries.owned_campaign(db.session, acting_user(), campaign_id)
    batch.rebuild_combined(db.session, found, now())
    db.session.commit()
    flash("已提交后台任务，正在重新生成合订打印文件。", "success")
    return redirect(url_for("letters.campaign", campaign_id=campaign_id))


@bp.get("/campaigns/<int:campaign_id>/dashboard")
@login_required
def dashboard(campaign_id: int):
    found = queries.visible_campaign(db.session, acting_user(), campaign_id)
    board = letters_dashboard.build(db.session, acting_user(), found, request.args.get("node", type=db_int))
    return render_template("letters/dashboard.html", board=board, campaign=found)


@bp.get("/campaigns/<int:campaign_id>/unsigned.xlsx")
@login_required
def unsigned_xlsx(campaign_id: int):
    found = queries.visible_campaign(db.session, acting_user(), campaign_id)
    board = letters_dashboard.build(db.session, acting_user(), found, request.args.get("node", type=db_int))
    name = f"{found.year}年度责任书未签订名单_{board.node.name}.xlsx"
    return xlsx_download(letters_dashboard.reminder_xlsx(board), name)


@bp.post("/campaigns/<int:campaign_id>/bulk-sign")
@roles_required("clerk", "leader")
def bulk_sign(campaign_id: int):
    user = acting_user()
    found = queries.visible_campaign(db.session, user, campaign_id)
    form = BulkSignForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("letters.campaign", campaign_id=campaign_id))
    count = letters_signing.bulk_sign(db.session, found, form.letter_ids.data or [], form.signed_on.data,
                                      user=user, now=now())
    finished = letters_signing.finish_if_all_signed(db.session, runtime(), found, user=user, now=now())
    db.session.commit()
    flash(f"已登记{count}份责任书签订。" + _closing_note(found, finished), "success")
    return redirect(local_url(request.form.get("next"), url_for("letters.campaign", campaign_id=campaign_id)))


def _closing_note(campaign, finished: bool) -> str:
    if finished:
        return "全部签订，签订活动已办结。"
    if letters_signing.all_signed(db.session, campaign):
        return "已全部签订，请甲方层级的文书在待办中完成“组织签订”以办结本次签订活动。"
    return ""


def _letter_page(letter, sign_form=None, reason_form=None, status: int = 200):
    from webapp.procedures.responsibility_letters.models import LetterEvent

    events = db.session.query(LetterEvent).filter_by(letter_id=letter.id).order_by(LetterEvent.id).all()
    return render_template("letters/letter.html", letter=letter, events=events,
                           sign_form=sign_form or SignForm(signed_on=now().date()),
                           reason_form=reason_form or ReasonForm()), status


@bp.get("/<int:letter_id>")
@login_required
def letter(letter_id: int):
    return _letter_page(letters_signing.get_letter(db.session, acting_user(), letter_id))


def _store_scan(form: SignForm) -> str | None:
    upload = form.scan.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return store_posted(upload)["file"]


@bp.post("/<int:letter_id>/sign")
@roles_required("clerk", "leader")
def sign(letter_id: int):
    user = acting_user()
    found = letters_signing.get_letter(db.session, user, letter_id)
    form = SignForm()
    if not form.validate_on_submit():
        return _letter_page(found, sign_form=form, status=400)
    signing = letters_signing.Signing(form.signed_on.data, form.signatory_a.data or "", form.signatory_b.data or "",
                                      _store_scan(form))
    try:
        letters_signing.sign(db.session, found, signing, user=user, now=now())
    except InvalidInput as error:
        show_invalid(form, error)
        return _letter_page(found, sign_form=form, status=400)
    finished = letters_signing.finish_if_all_signed(db.session, runtime(), found.campaign, user=user, now=now())
    db.session.commit()
    flash(f"已登记“{found.party_b_name}”签订。" + _closing_note(found.campaign, finished), "success")
    return redirect(url_for("letters.letter", letter_id=letter_id))


@bp.post("/<int:letter_id>/<any(undo, void):action>")
@roles_required("clerk", "leader")
def change(letter_id: int, action: str):
    user = acting_user()
    found = letters_signing.get_letter(db.session, user, letter_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _letter_page(found, reason_form=form, status=400)
    if action == "undo":
        letters_signing.undo(db.session, found, form.reason.data, user=user, now=now())
        target, message = found.id, "已撤销签订登记。"
    else:
        new = letters_signing.void_and_reissue(db.session, runtime().documents, found, form.reason.data, user=user,
                                               now=now())
        target, message = new.id, f"已作废并重新出具第{new.revision}版责任书。"
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("letters.letter", letter_id=target))


@bp.get("/<int:letter_id>/scan")
@login_required
def scan(letter_id: int):
    found = letters_signing.get_letter(db.session, acting_user(), letter_id)
    if not found.scan:
        raise NotFound("没有上传签字盖章件。")
    return stored_file_response(found.scan_sha256, f"{found.party_b_name}_签字盖章件")


@bp.errorhandler(InvalidInput)
def _invalid(error: InvalidInput):
    flash_invalid(error)
    return redirect(local_url(referrer_path(), url_for("letters.index")))
