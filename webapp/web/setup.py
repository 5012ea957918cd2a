"""首次启动: a server nobody can log in to yet leads the browser here to set up its town and first admin.
Once any account exists the page is gone (404) and the login page no longer points here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from webapp.cases import setup
from webapp.extensions import db
from webapp.forms.setup import TownSetupForm
from webapp.services import audit
from webapp.services.errors import InvalidInput
from webapp.web.common import client_address, form_status, now
from webapp.web.form_errors import show_invalid
from webapp.web.sessions import start_session

bp = Blueprint("setup", __name__)


@bp.before_app_request
def lead_to_setup():
    """The login page of a server without accounts sends the visitor to set it up."""
    if request.endpoint == "auth.login" and request.method == "GET" and not setup.is_set_up(db.session):
        return redirect(url_for("setup.town"))
    return None


@bp.route("/setup", methods=["GET", "POST"])
def town():
    if setup.is_set_up(db.session):
        abort(404)
    form = TownSetupForm()
    if form.validate_on_submit():
        try:
            done = setup.set_up_town(db.session, _from_form(form), now=now())
            audit.record(db.session, at=now(), user=done.admin, action="town_setup", object_type="grid_node",
                         object_id=done.town.id, summary=done.town.name, remote_addr=client_address())
            db.session.commit()
            start_session(done.admin, remember=False)
            flash("设置完成。请核对本镇的发文字号（机关代字），再到“网格”“单位”录入或导入组织和台账。", "success")
            return redirect(url_for("settings.calendar"))
        except InvalidInput as error:
            show_invalid(form, error)
    return render_template("setup/town.html", form=form), form_status()


def _from_form(form: TownSetupForm) -> setup.TownSetup:
    return setup.TownSetup(region=form.region.data, town=form.town.data, admin_username=form.username.data,
                           admin_password=form.password.data, admin_name=form.display_name.data or "",
                           government=form.government.data or "", committee=form.committee.data or "")
