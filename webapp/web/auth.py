from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from webapp.extensions import db
from webapp.forms.auth import ChangePasswordForm, LoginForm
from webapp.services import accounts, audit, login
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, client_address, form_status, local_url, now
from webapp.web.form_errors import show_invalid
from webapp.web.sessions import end_session, start_session

bp = Blueprint("auth", __name__)


def login_policy() -> login.LoginPolicy:
    config = current_app.config
    return login.LoginPolicy(
        max_failures=config["LOGIN_MAX_FAILURES"], lock_minutes=config["LOGIN_LOCK_MINUTES"],
        address_max_failures=config["LOGIN_ADDRESS_MAX_FAILURES"],
        address_window_minutes=config["LOGIN_ADDRESS_WINDOW_MINUTES"],
    )


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
def login_page():
    form = LoginForm()
    if not current_app.config["REMEMBER_DAYS"]:
        del form.remember
    if form.validate_on_submit():
        try:
            user = login.authenticate(db.session, form.username.data, form.password.data,
                                      address=client_address(), now=now(), policy=login_policy())
        except login.LoginRefused as refusal:
            form.password.errors.append(refusal.message)
            return render_template("auth/login.html", form=form), 401
        start_session(user, remember=bool(form.remember and form.remember.data))
        audit.record(db.session, at=now(), user=user, action="login", remote_addr=client_address())
        db.session.commit()
        return redirect(local_url(request.args.get("next"), url_for("home.index")))
    return render_template("auth/login.html", form=form), form_status() if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    """退出 ends every session of this user (a copied cookie included), on every device."""
    user = acting_user()
    accounts.end_sessions(user)
    audit.record(db.session, at=now(), user=user, action="logout", remote_addr=client_address())
    db.session.commit()
    end_session()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = acting_user()
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session, user, old_password=form.old_password.data,
                                     new_password=form.new_password.data)
            audit.record(db.session, at=now(), user=user, action="password_change", object_type="user",
                         object_id=user.id, summary=user.username, remote_addr=client_address())
            db.session.commit()
            start_session(user, remember=False)  # this session goes on; every other one has ended
            flash("密码已修改，其他设备上的登录已失效。", "success")
            return redirect(url_for("home.index"))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.new_password)
    return render_template("auth/change_password.html", form=form, forced=user.must_change_password), form_status()
