"""常用意见 pages: a town's public phrases and its 签发回避 switches (admin), and each user's own phrases."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.cases import duties, opinions, registry
from webapp.extensions import db
from webapp.forms.settings import OpinionPhraseForm
from webapp.services import audit
from webapp.services.errors import InvalidInput, NotFound
from webapp.web.common import acting_user, chosen_town, client_address, form_status, now, roles_required
from webapp.web.form_errors import saved
from webapp.web.responses import runtime

bp = Blueprint("opinions", __name__)


def _audit(action: str, summary: str, object_type: str = "settings") -> None:
    audit.record(db.session, at=now(), user=acting_user(), action=action, object_type=object_type,
                 summary=summary, remote_addr=client_address())


@bp.route("/admin/settings/opinions", methods=["GET", "POST"])
@roles_required("admin")
def public():
    """公共常用意见 of a town, and which steps the drafter may not do themselves (签发回避)."""
    town, towns = chosen_town()
    form = OpinionPhraseForm()

    def save() -> None:
        phrase = opinions.add_public(db.session, town, form.text.data)
        _audit("opinion_phrase_add", f"{town.name} 公共常用意见：{phrase.text}")

    done = saved(form, save, "常用意见已添加。", url_for("opinions.public", town=town.id))
    return done or (render_template(
        "settings/opinions.html", form=form, town=town, towns=towns,
        phrases=opinions.public_phrases(db.session, town), customised=opinions.customised(db.session, town),
        separations=duties.separations(db.session, town, runtime().specs)), form_status())


@bp.post("/admin/settings/opinions/<int:position>/delete")
@roles_required("admin")
def remove_public(position: int):
    town, _towns = chosen_town()
    try:
        text = opinions.remove_public(db.session, town, position, request.form.get("text", ""))
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("opinions.public", town=town.id))
    _audit("opinion_phrase_remove", f"{town.name} 公共常用意见：{text}")
    db.session.commit()
    flash(f"已删除常用意见：{text}", "success")
    return redirect(url_for("opinions.public", town=town.id))


@bp.post("/admin/settings/opinions/reset")
@roles_required("admin")
def reset_public():
    town, _towns = chosen_town()
    opinions.reset_public(db.session, town)
    _audit("opinion_phrase_reset", f"{town.name} 公共常用意见恢复默认")
    db.session.commit()
    flash("公共常用意见已恢复默认。", "success")
    return redirect(url_for("opinions.public", town=town.id))


@bp.post("/admin/settings/separation")
@roles_required("admin")
def separation():
    town, _towns = chosen_town()
    procedure = registry.get(request.form.get("procedure", ""))
    step_key = request.form.get("step_key", "")
    if procedure is None or step_key not in procedure.separated_steps:
        raise NotFound("没有这个回避设置。")
    on = request.form.get("enabled") == "1"
    duties.set_enabled(db.session, town, procedure.key, step_key, on)
    _audit("duty_separation_save", f"{town.name} {procedure.title} {step_key}：{'拟稿人回避' if on else '不要求回避'}")
    db.session.commit()
    flash("回避设置已保存。", "success")
    return redirect(url_for("opinions.public", town=town.id))


@bp.route("/account/opinions", methods=["GET", "POST"])
@login_required
def mine():
    """我的常用意见: the user's own phrases, offered first on every opinion field."""
    user, form = acting_user(), OpinionPhraseForm()

    def save() -> None:
        opinions.add_personal(db.session, user, form.text.data)

    done = saved(form, save, "常用意见已添加。", url_for("opinions.mine"))
    return done or (render_template("auth/opinions.html", form=form,
                                    phrases=opinions.personal_phrases(db.session, user)), form_status())


@bp.post("/account/opinions/<int:phrase_id>/delete")
@login_required
def remove_mine(phrase_id: int):
    text = opinions.remove_personal(db.session, acting_user(), phrase_id)
    db.session.commit()
    flash(f"已删除常用意见：{text}", "success")
    return redirect(url_for("opinions.mine"))
