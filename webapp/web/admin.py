from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from webapp.extensions import db
from webapp.forms.users import AuditFilterForm, ResetPasswordForm, UserForm
from webapp.models import User
from webapp.services import accounts, audit, grid
from webapp.services.errors import InvalidInput, found
from webapp.web.common import (
    acting_user,
    client_address,
    form_status,
    now,
    page_arg,
    require_town_scope,
    roles_required,
    town_scoped,
)
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import flash_invalid, show_invalid
from webapp.web.responses import xlsx_download

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("admin.users", "用户", ("admin",), order=90),
    NavItem("admin.audit_log", "审计日志", ("admin", "auditor"), order=91, visible=town_scoped),
)


def _scope_choices() -> list[tuple[int, str]]:
    return [(n.id, f"{n.level_label}：{n.display_path()}") for n in grid.nodes_in_scope(db.session, acting_user())]


def _user_in_scope(user_id: int) -> User:
    user = found(db.session.get(User, user_id), "用户不存在。")
    grid.ensure_in_scope(acting_user(), user.scope)
    return user


def _audit_commit(action: str, user: User, summary: str = "") -> None:
    audit.record(db.session, at=now(), user=acting_user(), action=action, object_type="user",
                 object_id=user.id, summary=summary or user.username, remote_addr=client_address())
    db.session.commit()


@bp.get("/users")
@roles_required("admin")
def users():
    in_scope = grid.nodes_in_scope(db.session, acting_user())
    rows = db.session.scalars(select(User).where(User.scope_id.in_([n.id for n in in_scope])).order_by(User.username))
    return render_template("admin/users.html", users=list(rows))


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def create_user():
    form = UserForm()
    form.scope_id.choices = _scope_choices()
    if form.validate_on_submit():
        try:
            scope = grid.get_node(db.session, form.scope_id.data)
            grid.ensure_in_scope(acting_user(), scope)
            password = form.password.data or accounts.random_password()
            user = accounts.create_user(
                db.session, username=form.username.data, display_name=form.display_name.data,
                password=password, roles=form.roles.data, scope=scope, now=now(),
                phone=form.phone.data or "", email=form.email.data or "", email_alerts=bool(form.email_alerts.data),
                sms_alerts=bool(form.sms_alerts.data), must_change_password=True,
            )
            _audit_commit("user_create", user)
            return _password_once(user, password, chosen=bool(form.password.data), created=True)
        except InvalidInput as error:
            show_invalid(form, error, beside=form.username)
    return render_template("admin/user_form.html", form=form, user=None), form_status()


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id: int):
    user = _user_in_scope(user_id)
    form = UserForm(obj=user, roles=sorted(user.roles), enabled=user.is_enabled)
    form.scope_id.choices = _scope_choices()
    del form.username, form.password
    if form.validate_on_submit():
        try:
            scope = grid.get_node(db.session, form.scope_id.data)
            grid.ensure_in_scope(acting_user(), scope)
            accounts.update_user(db.session, user, display_name=form.display_name.data, roles=form.roles.data,
                                 scope=scope, phone=form.phone.data or "", enabled=form.enabled.data,
                                 email=form.email.data or "", email_alerts=bool(form.email_alerts.data),
                                 sms_alerts=bool(form.sms_alerts.data))
            _audit_commit("user_update", user, f"{user.username} 角色={','.join(sorted(user.roles))}")
            flash("已保存。", "success")
            return redirect(url_for("admin.users"))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.roles)
    return render_template("admin/user_form.html", form=form, user=user, reset_form=ResetPasswordForm()), form_status()


@bp.post("/users/<int:user_id>/password")
@roles_required("admin")
def reset_password(user_id: int):
    user = _user_in_scope(user_id)
    form = ResetPasswordForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput("密码无效，请重新输入。")
        password = accounts.reset_password(db.session, user, form.password.data or "")
        _audit_commit("user_password_reset", user)
        return _password_once(user, password, chosen=bool(form.password.data), created=False)
    except InvalidInput as error:
        flash_invalid(error)
    return redirect(url_for("admin.edit_user", user_id=user_id))


def _password_once(user: User, password: str, *, chosen: bool, created: bool):
    """The new password on this one page only (never in a flash message, which the cookie would carry)."""
    return render_template("admin/password_once.html", user=user, password=None if chosen else password,
                           created=created)


@bp.post("/users/<int:user_id>/unlock")
@roles_required("admin")
def unlock_user(user_id: int):
    user = _user_in_scope(user_id)
    accounts.unlock(user)
    _audit_commit("user_unlock", user)
    flash(f"已解除“{user.username}”的登录锁定。", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


def _audit_filter() -> tuple[AuditFilterForm, audit.AuditFilter]:
    require_town_scope("审计日志")
    form = AuditFilterForm(request.args)
    form.validate()

    def value(field):  # noqa: ANN001, ANN202  (a field with an error narrows nothing)
        return None if field.errors else field.data

    return form, audit.AuditFilter(username=(value(form.username) or "").strip(), action=value(form.action) or "",
                                   date_from=value(form.date_from), date_to=value(form.date_to),
                                   scope_path=_audit_scope())


def _audit_scope() -> str:
    """The grid path whose accounts' events the user reads: everything from the top of the grid, else the
    subtree of their own scope (a town's admin or auditor sees their town, not the neighbour's)."""
    scope = acting_user().scope
    return "" if scope.parent_id is None else scope.path


@bp.get("/audit")
@roles_required("admin", "auditor")
def audit_log():
    form, criteria = _audit_filter()
    page = db.paginate(audit.search(criteria), page=page_arg(), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, form=form, args=request.args.to_dict())


@bp.get("/audit.xlsx")
@roles_required("admin", "auditor")
def audit_export():
    _, criteria = _audit_filter()
    content = audit.export_xlsx(db.session, criteria)
    return xlsx_download(content, f"审计日志_{now():%Y%m%d}")
