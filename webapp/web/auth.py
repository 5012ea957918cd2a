from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from webapp.extensions import db
from webapp.forms.auth import LoginForm
from webapp.services import accounts, audit
from webapp.web.common import acting_user, client_address, local_url, now

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                db.session, form.username.data, form.password.data, now=now(),
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except accounts.LoginRefused as refusal:
            db.session.commit()  # keep the failure count and any lock
            form.password.errors.append(refusal.message)
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        audit.record(db.session, at=now(), user=user, action="login", remote_addr=client_address())
        db.session.commit()
        return redirect(local_url(request.args.get("next"), url_for("home.index")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    audit.record(db.session, at=now(), user=acting_user(), action="logout", remote_addr=client_address())
    db.session.commit()
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))
