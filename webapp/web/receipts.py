"""收到的公文 (documents delivered to the user's village) and each 签收回执: read, 签收, 落实情况, and the
issuer's 催办. The rules (who sees, signs, nudges) live in cases.receipts; refusals are 403 and logged."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from webapp.cases import receipts
from webapp.extensions import db
from webapp.forms.receipts import ReceiptReplyForm
from webapp.services import documents
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, form_status, now
from webapp.web.form_errors import flash_invalid, show_invalid
from webapp.web.posted_files import store_posted
from webapp.web.responses import DOCX, download_response, runtime, stored_file_response

bp = Blueprint("receipts", __name__, url_prefix="/receipts")


@bp.app_context_processor
def receipt_helpers() -> dict:
    def case_receipts(instance) -> list:  # noqa: ANN001
        """签收情况 of the documents a case delivered, for the case page (cases/detail.html)."""
        ids = [d.id for d in documents.case_documents(db.session, instance)]
        return receipts.of_documents(db.session, ids) if ids else []

    def unsigned_receipts() -> list | None:
        """待签收 on the home page of a village office (a card, not a menu entry: the village menu is full);
        None for an account that receives nothing."""
        user = acting_user()
        if not receipts.is_receiving_account(user):
            return None
        return [r for r in receipts.received(db.session, user) if r.signed_at is None]

    return {"case_receipts": case_receipts, "unsigned_receipts": unsigned_receipts}


@bp.get("/")
@login_required
def index():
    return render_template("receipts/index.html", rows=receipts.received(db.session, acting_user()))


def _page(receipt, form: ReceiptReplyForm):  # noqa: ANN001, ANN202
    user = acting_user()
    return render_template("receipts/detail.html", receipt=receipt, form=form,
                           receiver=receipts.is_receiver(user, receipt, db.session),
                           may_remind=receipts.may_remind(user, receipt)), form_status()


@bp.get("/<int:receipt_id>")
@login_required
def detail(receipt_id: int):
    """The recipient's first visit marks the document read (已阅读)."""
    receipt = receipts.open_receipt(db.session, acting_user(), receipt_id, now())
    db.session.commit()
    return _page(receipt, ReceiptReplyForm())


@bp.post("/<int:receipt_id>/sign")
@login_required
def sign(receipt_id: int):
    try:
        receipts.sign(db.session, acting_user(), receipt_id, now())
        db.session.commit()
        flash("已签收。", "success")
    except InvalidInput as error:
        flash_invalid(error)
    return redirect(url_for("receipts.detail", receipt_id=receipt_id))


@bp.post("/<int:receipt_id>/reply")
@login_required
def reply(receipt_id: int):
    form = ReceiptReplyForm()
    receipt = receipts.visible(db.session, acting_user(), receipt_id)
    if form.validate_on_submit():
        try:
            upload = form.attachment.data
            attachment = store_posted(upload) if getattr(upload, "filename", "") else None
            receipts.reply(db.session, acting_user(), receipt_id, text=form.reply.data, attachment=attachment,
                           now=now())
            db.session.commit()
            flash("落实情况已反馈。", "success")
            return redirect(url_for("receipts.detail", receipt_id=receipt_id))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.attachment)
    return _page(receipt, form)


@bp.post("/<int:receipt_id>/remind")
@login_required
def remind(receipt_id: int):
    try:
        outcome = receipts.remind(db.session, acting_user(), receipt_id, now())
        db.session.commit()
        flash(outcome.message, "success" if outcome.sent else "warning")
    except InvalidInput as error:
        flash_invalid(error)
    receipt = receipts.visible(db.session, acting_user(), receipt_id)
    if receipt.document.instance_id:
        return redirect(url_for("cases.detail", instance_id=receipt.document.instance_id, _anchor="receipts"))
    return redirect(url_for("receipts.detail", receipt_id=receipt_id))


@bp.get("/<int:receipt_id>/document.docx")
@login_required
def document(receipt_id: int):
    """The delivered document itself: its recipients read it here (the town's case is not theirs)."""
    found = receipts.visible(db.session, acting_user(), receipt_id).document
    return download_response(runtime().documents.store.read(found.file_sha256), found.filename, DOCX)


@bp.get("/<int:receipt_id>/attachments/<int:attachment_id>")
@login_required
def attachment(receipt_id: int, attachment_id: int):
    found = documents.get_attachment(receipts.visible(db.session, acting_user(), receipt_id).document,
                                     attachment_id)
    return stored_file_response(found.file_sha256, found.name)


@bp.get("/<int:receipt_id>/reply-file")
@login_required
def reply_file(receipt_id: int):
    receipt = receipts.visible(db.session, acting_user(), receipt_id)
    if not receipt.reply_file:
        return redirect(url_for("receipts.detail", receipt_id=receipt_id))
    return stored_file_response(receipt.reply_file["file"], receipt.reply_file.get("name") or "落实情况附件")
