"""Admin settings pages: the holiday calendar for new years, document number prefixes, the committee, the
unit card, the wording of the 九小场所 warning signs, and the alert channels (mail server, SMS gateway, group
robots) with their delivery log."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.cases import hooks, registry, supervision
from webapp.extensions import db
from webapp.forms.common import ChineseForm
from webapp.forms.settings import (
    CalendarDayForm,
    CommitteeMemberForm,
    MailSettingsForm,
    NumberPrefixForm,
    ReminderSettingsForm,
    RobotSettingsForm,
    SmsSettingsForm,
    UnitCardSettingsForm,
    WarningSignTextForm,
)
from webapp.models import Alert, Delivery, GridNode
from webapp.models.alerts import SUPERVISOR_ROLES
from webapp.models.grid import COMMITTEE_ROLES, UNIT_CATEGORIES
from webapp.services import audit, settings, units
from webapp.services.errors import InvalidInput, NotFound
from webapp.web.common import (
    acting_user,
    chosen_row,
    chosen_town,
    client_address,
    form_status,
    now,
    page_arg,
    roles_required,
)
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import saved, show_invalid
from webapp.web.responses import runtime

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("settings.calendar", "设置", ("admin",), order=92),
)


def _audit(action: str, summary: str) -> None:
    audit.record(db.session, at=now(), user=acting_user(), action=action, object_type="settings",
                 summary=summary, remote_addr=client_address())


def _audit_commit(action: str, summary: str) -> None:
    _audit(action, summary)
    db.session.commit()


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required("admin")
def calendar():
    form = CalendarDayForm()
    if form.validate_on_submit():
        try:
            workday = form.is_workday.data == "1"
            settings.set_calendar_day(db.session, day=form.day.data, is_workday=workday, note=form.note.data or "")
            _audit_commit("calendar_day_set", f"{form.day.data} {'调休上班' if workday else '放假'}")
            flash("已保存。", "success")
            return redirect(url_for("settings.calendar"))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.day)
    town, towns = chosen_town()
    return render_template("settings/calendar.html", form=form, days=settings.calendar_days(db.session),
                           prefixes=_prefix_rows(town), town=town, towns=towns), form_status()


def _prefix_rows(town: GridNode) -> list:
    """The configured prefixes, and each one a procedure issues under but the town has not set (未配置)."""
    configured = settings.number_prefixes(db.session, town)
    known = {p.key for p in configured}
    missing = [use for use in registry.number_uses() if use.key not in known]
    return [*missing, *configured]


@bp.post("/calendar/<day>/delete")
@roles_required("admin")
def remove_day(day: str):
    try:
        settings.remove_calendar_day(db.session, date.fromisoformat(day))
    except ValueError as error:
        raise NotFound("没有这个日期。") from error
    _audit_commit("calendar_day_remove", day)
    flash("已删除。", "success")
    return redirect(url_for("settings.calendar"))


@bp.route("/prefixes/<key>", methods=["GET", "POST"])
@roles_required("admin")
def prefix(key: str):
    town, _towns = chosen_town()
    entry = next((p for p in settings.number_prefixes(db.session, town) if p.key == key), None)
    use = next((u for u in registry.number_uses() if u.key == key), None)
    if entry is None and use is None:
        raise NotFound("没有这个发文字号设置。")
    form = NumberPrefixForm(obj=entry, grammar=use.grammar if entry is None else entry.grammar)
    if form.validate_on_submit():
        try:
            settings.update_number_prefix(db.session, town, key, organ=form.organ.data, prefix=form.prefix.data,
                                          grammar=form.grammar.data, description=(entry or use).description)
            _audit_commit("number_prefix_update", f"{town.name} {key}: {form.prefix.data}")
            flash("已保存；新的文号从下一次签发起使用。", "success")
            return redirect(url_for("settings.calendar", town=town.id))
        except InvalidInput as error:
            show_invalid(form, error, beside=form.prefix)
    return render_template("settings/prefix.html", form=form, entry=entry or use, town=town), form_status()


@bp.route("/committee", methods=["GET", "POST"])
@roles_required("admin")
def committee():
    """消安委成员单位: who is invited to the joint meetings and listed as the committee's members."""
    town, towns = chosen_town()
    members = settings.committee_members(db.session, town)
    chosen = chosen_row(members, "member_id")
    form = CommitteeMemberForm(obj=chosen)

    def save() -> None:
        member = settings.save_committee_member(
            db.session, town, member_id=chosen.id if chosen else None, organ=form.organ.data,
            role=form.committee_role.data, contact_person=form.contact_person.data or "",
            phone=form.phone.data or "", sort_order=form.sort_order.data or 0)
        _audit("committee_member_save", f"{town.name} {member.organ}")

    done = saved(form, save, "成员单位已保存。", url_for("settings.committee", town=town.id))
    return done or (render_template("settings/committee.html", form=form, chosen=chosen, town=town, towns=towns,
                           members=members, roles=COMMITTEE_ROLES), form_status())


@bp.post("/committee/<int:member_id>/delete")
@roles_required("admin")
def remove_member(member_id: int):
    town, _towns = chosen_town()
    organ = settings.remove_committee_member(db.session, town, member_id).organ
    _audit_commit("committee_member_remove", f"{town.name} {organ}")
    flash(f"已移除成员单位：{organ}。", "success")
    return redirect(url_for("settings.committee", town=town.id))


@bp.route("/unit-card", methods=["GET", "POST"])
@roles_required("admin")
def unit_card():
    """一户一码: the town's 举报电话, whether the public card shows the responsible person's phone, and how far
    from a unit's registered point a check-in is flagged."""
    town, towns = chosen_town()
    form = UnitCardSettingsForm(obj=units.card_settings(db.session, town))

    def save() -> None:
        entry = units.save_card_settings(db.session, town, report_phone=form.report_phone.data or "",
                                         show_responsible_phone=bool(form.show_responsible_phone.data),
                                         checkin_far_metres=form.checkin_far_metres.data)
        _audit("unit_card_settings_save", f"{town.name} 举报电话{entry.report_phone or '（空）'} "
                                          f"责任人电话{'公开' if entry.show_responsible_phone else '不公开'} "
                                          f"签到距离提醒{entry.checkin_far_metres}米")

    done = saved(form, save, "单位公开卡片设置已保存。", url_for("settings.unit_card", town=town.id))
    return done or (render_template("settings/unit_card.html", form=form, town=town, towns=towns), form_status())


@bp.route("/reminders", methods=["GET", "POST"])
@roles_required("admin")
def reminders():
    """消息提醒与催办: how many working days ahead 即将到期 is announced, and the 催办 interval."""
    town, towns = chosen_town()
    form = ReminderSettingsForm(obj=settings.reminder_settings(db.session, town))

    def save() -> None:
        entry = settings.save_reminder_settings(db.session, town, due_soon_workdays=form.due_soon_workdays.data,
                                                reminder_interval_hours=form.reminder_interval_hours.data,
                                                supervise_after_workdays=form.supervise_after_workdays.data,
                                                quiet_from=form.quiet_from.data, quiet_until=form.quiet_until.data)
        quiet = (f"免打扰{entry.quiet_from}:00至{entry.quiet_until}:00" if entry.quiet_from != entry.quiet_until
                 else "不设免打扰")
        _audit("reminder_settings_save", f"{town.name} 提前{entry.due_soon_workdays}个工作日提醒，"
                                         f"催办间隔{entry.reminder_interval_hours}小时，"
                                         f"逾期{entry.supervise_after_workdays}个工作日督办，{quiet}")

    done = saved(form, save, "提醒设置已保存。", url_for("settings.reminders", town=town.id))
    return done or (render_template("settings/reminders.html", form=form, town=town, towns=towns), form_status())


def _keep_secrets(form, fields: list[tuple[str, str]]) -> None:  # noqa: ANN001
    """A saved secret (password, key, webhook address) is never put back into the page; each field whose
    `shown` text is not empty says what is saved, and that leaving it empty keeps it. Its "clear_<name>" box,
    where the form has one, is offered only while something is saved."""
    for name, shown in fields:
        field = getattr(form, name)
        if not form.is_submitted() or not field.raw_data:  # a post without the field has the saved value as data
            field.data = ""
        if shown:
            field.description = f"{shown}；留空则保持不变"
        elif f"clear_{name}" in form:
            del form[f"clear_{name}"]


def _secret_change(form, fields: list[tuple[str, str]]) -> list[str]:  # noqa: ANN001
    """For the audit line: "已更改X" / "已清除X" for each secret field (name, label) the admin changed."""
    changes = []
    for name, label in fields:
        clear = form._fields.get(f"clear_{name}")
        if getattr(form, name).data:
            changes.append(f"已更改{label}")
        elif clear is not None and clear.data:
            changes.append(f"已清除{label}")
    return changes


def _cleared(form, name: str) -> bool:  # noqa: ANN001
    field = form._fields.get(f"clear_{name}")
    return bool(field is not None and field.data)


@bp.route("/mail", methods=["GET", "POST"])
@roles_required("admin")
def mail():
    """邮件提醒: the town's SMTP server. The saved password is never put back into the page."""
    town, towns = chosen_town()
    entry = settings.mail_settings(db.session, town)
    form = MailSettingsForm(obj=entry)
    _keep_secrets(form, [("password", "已保存密码" if entry.password else "")])

    def save() -> None:
        saved_entry = settings.save_mail_settings(
            db.session, town, enabled=bool(form.enabled.data), host=form.host.data or "", port=form.port.data,
            security=form.security.data, username=form.username.data or "", password=form.password.data or "",
            sender=form.sender.data or "", clear_password=_cleared(form, "password"))
        changed = "".join(f"，{c}" for c in _secret_change(form, [("password", "密码")]))
        _audit("mail_settings_save", f"{town.name} 邮件提醒{'启用' if saved_entry.enabled else '停用'} "
                                     f"{saved_entry.host}:{saved_entry.port}{changed}")

    done = saved(form, save, "邮件设置已保存。", url_for("settings.mail", town=town.id))
    return done or (render_template("settings/mail.html", form=form, town=town, towns=towns), form_status())


@bp.route("/sms", methods=["GET", "POST"])
@roles_required("admin")
def sms():
    """短信提醒: the town's SMS gateway. The saved API key is never put back into the page."""
    town, towns = chosen_town()
    entry = settings.sms_settings(db.session, town)
    form = SmsSettingsForm(obj=entry)
    _keep_secrets(form, [("api_key", "已保存密钥（在模板或请求头中以 {key} 引用）" if entry.api_key else "")])

    def save() -> None:
        saved_entry = settings.save_sms_settings(
            db.session, town, enabled=bool(form.enabled.data), method=form.method.data, url=form.url.data or "",
            template=form.template.data or "", headers=form.headers.data or "",
            signature=form.signature.data or "", api_key=form.api_key.data or "",
            success_text=form.success_text.data or "", clear_api_key=_cleared(form, "api_key"))
        changed = "".join(f"，{c}" for c in _secret_change(form, [("api_key", "密钥")]))
        host = hooks.masked_url(saved_entry.url)
        _audit("sms_settings_save", f"{town.name} 短信提醒{'启用' if saved_entry.enabled else '停用'} "
                                    f"{saved_entry.method} {host} 签名{saved_entry.signature or '（空）'}{changed}")

    done = saved(form, save, "短信设置已保存。", url_for("settings.sms", town=town.id))
    return done or (render_template("settings/sms.html", form=form, town=town, towns=towns), form_status())


@bp.route("/robots", methods=["GET", "POST"])
@roles_required("admin")
def robots():
    """群机器人: the town's 企业微信 and 钉钉 group robots. Saved addresses and the secret show only masked."""
    town, towns = chosen_town()
    entry = settings.robot_settings(db.session, town)
    form = RobotSettingsForm(obj=entry)
    _keep_secrets(form, [(name, f"已保存：{hooks.masked_url(value)}" if value else "")
                         for name, value in (("wecom_url", entry.wecom_url), ("dingtalk_url", entry.dingtalk_url))]
                  + [("dingtalk_secret", "已保存密钥" if entry.dingtalk_secret else "")])

    def save() -> None:
        saved_entry = settings.save_robot_settings(
            db.session, town, wecom_enabled=bool(form.wecom_enabled.data), wecom_url=form.wecom_url.data or "",
            dingtalk_enabled=bool(form.dingtalk_enabled.data), dingtalk_url=form.dingtalk_url.data or "",
            dingtalk_secret=form.dingtalk_secret.data or "",
            clear_dingtalk_secret=_cleared(form, "dingtalk_secret"))
        changed = _secret_change(form, [("wecom_url", "企业微信地址"), ("dingtalk_url", "钉钉地址"),
                                        ("dingtalk_secret", "钉钉加签密钥")])
        _audit("robot_settings_save", f"{town.name} 企业微信群机器人{'启用' if saved_entry.wecom_enabled else '停用'}，"
                                      f"钉钉群机器人{'启用' if saved_entry.dingtalk_enabled else '停用'}"
                                      + "".join(f"，{c}" for c in changed))

    done = saved(form, save, "群机器人设置已保存。", url_for("settings.robots", town=town.id))
    return done or (render_template("settings/robots.html", form=form, town=town, towns=towns), form_status())


@bp.route("/supervision", methods=["GET", "POST"])
@roles_required("admin")
def supervision_rules():
    """督办对象: per procedure step, who supervises it once overdue (leaders, the office head, nobody) and after
    how many working days (empty: the town's number)."""
    town, towns = chosen_town()
    form, specs, errors, posted = ChineseForm(), runtime().specs, {}, {}
    if form.validate_on_submit():
        posted = {name[5:]: (request.form[name], request.form.get(f"days-{name[5:]}", ""))
                  for name in request.form if name.startswith("role-")}
        try:
            count = supervision.save_step_rules(db.session, specs, town, posted)
        except InvalidInput as error:
            db.session.rollback()
            errors = error.fields
            flash(error.message, "error")
        else:
            _audit_commit("supervision_rules_save", f"{town.name} 督办对象：{count}个环节另行设置")
            flash("督办对象已保存。", "success")
            return redirect(url_for("settings.supervision_rules", town=town.id))
    default_days = settings.reminder_settings(db.session, town).supervise_after_workdays
    return render_template("settings/supervision.html", form=form, town=town, towns=towns, errors=errors,
                           posted=posted, rows=supervision.step_rules(db.session, specs, town),
                           roles={**SUPERVISOR_ROLES, "": "不督办"}, default_days=default_days), form_status()


@bp.get("/mail/log")
@roles_required("admin")
def delivery_log():
    """发送记录: the town's deliveries, newest first, with their attempts and the last error."""
    town, towns = chosen_town()
    query = (select(Delivery).where(Delivery.town_id == town.id)
             .options(joinedload(Delivery.alert).joinedload(Alert.recipient))
             .order_by(Delivery.created_at.desc(), Delivery.id.desc()))
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    return render_template("settings/delivery_log.html", page=page, town=town, towns=towns)


def _sign_category() -> str:
    category = request.args.get("category") or next(iter(UNIT_CATEGORIES))
    if category not in UNIT_CATEGORIES:
        raise NotFound("没有这个单位类别。")
    return category


@bp.route("/warning-signs", methods=["GET", "POST"])
@roles_required("admin")
def warning_signs():
    """九小场所 消防安全警示牌: the town's wording of 场所火灾危险性 and 消防安全事项 for each unit category."""
    town, towns = chosen_town()
    category = _sign_category()
    text = units.sign_texts(db.session, town)[category]
    form = WarningSignTextForm(data={"hazard": text.hazard, "precautions": "\n".join(text.precautions)})

    def save() -> None:
        units.save_sign_text(db.session, town, category, hazard=form.hazard.data or "",
                             precautions=form.precautions.data or "")
        _audit("warning_sign_text_save", f"{town.name} {UNIT_CATEGORIES[category]}警示牌文字")

    done = saved(form, save, f"{UNIT_CATEGORIES[category]}警示牌文字已保存。",
                 url_for("settings.warning_signs", town=town.id, category=category))
    return done or (render_template(
        "settings/warning_signs.html", form=form, town=town, towns=towns, category=category,
        categories=UNIT_CATEGORIES, customised=units.customised_categories(db.session, town)), form_status())


@bp.post("/warning-signs/reset")
@roles_required("admin")
def reset_warning_sign():
    town, _towns = chosen_town()
    category = _sign_category()
    units.reset_sign_text(db.session, town, category)
    _audit_commit("warning_sign_text_reset", f"{town.name} {UNIT_CATEGORIES[category]}警示牌文字恢复默认")
    flash(f"{UNIT_CATEGORIES[category]}警示牌文字已恢复默认。", "success")
    return redirect(url_for("settings.warning_signs", town=town.id, category=category))
