"""Forms of the responsibility-letter procedure (消防安全目标责任书) and of signing registration."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms.common import ChineseForm, DecisionMixin, max_length, not_in_future, optional, required, today
from webapp.forms.registry import register_form
from webapp.models.grid import UNIT_CATEGORIES
from webapp.procedures.responsibility_letters.campaigns import KINDS, default_text, organ_name
from webapp.procedures.responsibility_letters.models import COUNTERPARTY_SETS
from webapp.services import grid as grid_service
from webapp.web.responses import runtime

LINES_HINT = "每行一条"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@register_form("letters_start_form")
class CampaignStartForm(ChineseForm):
    year = IntegerField("年度", validators=[required("请填写年度。"), NumberRange(2000, 2100, "年度不正确。")])
    grid_id = SelectField("甲方（镇政府或村/社区）", coerce=int, validators=[required("请选择甲方。")])
    counterparty_set = RadioField("签订对象", choices=list(COUNTERPARTY_SETS.items()), default="units",
                                  validators=[required("请选择签订对象。")])
    categories = MultiCheckboxField("单位类别（仅对“网格内单位”有效；不选为全部）",
                                    choices=list(UNIT_CATEGORIES.items()), validators=[optional()])
    print_pdf = BooleanField("同时生成 PDF 合订本（需服务器支持 PDF 转换）", default=True)

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        nodes = [n for n in grid_service.nodes_in_scope(session, user) if n.level in ("town", "village")]
        self.grid_id.choices = [(n.id, organ_name(n)) for n in nodes]
        self._levels = {n.id: n.level for n in nodes}
        if not self.is_submitted() and self.year.data is None:
            self.year.data = current_app.extensions["firegrid.clock"].now().year

    def validate_counterparty_set(self, field: Any) -> None:
        level = getattr(self, "_levels", {}).get(self.grid_id.data)
        if field.data == "villages_departments" and level != "town":
            raise ValidationError("“各村（社区）和镇直部门”只能由镇（街道）作为甲方签订。")


def _lines_field(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[required(f"请填写{label}。"), max_length(5000)],
                         description=LINES_HINT)


@register_form("letters_draft_form")
class CampaignDraftForm(ChineseForm):
    year = IntegerField("年度", validators=[required("请填写年度。"), NumberRange(2000, 2100, "年度不正确。")])
    party_a_name = StringField("甲方名称", validators=[required("请填写甲方名称。"), max_length(100)])
    party_a_signatory = StringField("甲方负责人（签字处预填，可空）", validators=[optional(), max_length(50)])
    term_start = DateField("责任期限：起", validators=[required("请填写开始日期。")])
    term_end = DateField("责任期限：止", validators=[required("请填写截止日期。")])
    preamble = TextAreaField("前言", validators=[required("请填写前言。"), max_length(2000)])
    targets = _lines_field("责任目标")
    duties_village = _lines_field("职责条款：村（社区）")
    duties_department = _lines_field("职责条款：镇直部门")
    duties_key_unit = _lines_field("职责条款：重点单位")
    duties_small_venue = _lines_field("职责条款：九小场所")
    duties_other_unit = _lines_field("职责条款：其他单位")
    assessment = _lines_field("考核与奖惩")
    copies_note = StringField("份数说明（一式三份）", validators=[required("请填写份数说明。"), max_length(200)])

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        """Prefill the manifest's default text (editable for this campaign) on first display."""
        if self.is_submitted():
            return
        year = self.year.data or today().year
        text = default_text(runtime().documents.library, year)
        defaults = {
            "party_a_name": organ_name(instance.grid) if instance else "", "preamble": text["preamble"],
            "term_start": date.fromisoformat(text["term"]["start"]),
            "term_end": date.fromisoformat(text["term"]["end"]),
            "targets": "\n".join(text["targets"]), "assessment": "\n".join(text["assessment"]),
            "copies_note": text["copies_note"],
            **{f"duties_{kind}": "\n".join(text["duties"][kind]) for kind in KINDS},
        }
        for name, value in defaults.items():
            if not getattr(self, name).data:
                getattr(self, name).data = value

    def validate_term_end(self, field: Any) -> None:
        if self.term_start.data and field.data and field.data < self.term_start.data:
            raise ValidationError("截止日期不能早于开始日期。")


@register_form("letters_approve_form")
class CampaignApproveForm(DecisionMixin, ChineseForm):
    pass


@register_form("letters_signing_form")
class CampaignSigningForm(ChineseForm):
    close_note = TextAreaField("提请关闭说明（全部签订后系统自动办结；尚有未签订时提交，由领导关闭）",
                               validators=[optional(), max_length(2000)])


@register_form("letters_close_form")
class CampaignCloseForm(DecisionMixin, ChineseForm):
    close_note = TextAreaField("关闭说明（未签订名单将随活动存档）", validators=[optional(), max_length(2000)])


# --- signing registration (not workflow steps) ---------------------------------------------
class SignForm(ChineseForm):
    signed_on = DateField("签订日期", validators=[required("请填写签订日期。"), not_in_future])
    signatory_a = StringField("甲方签字人", validators=[optional(), max_length(50)])
    signatory_b = StringField("乙方签字人", validators=[optional(), max_length(50)])
    scan = FileField("签字盖章件扫描（可选，JPG/PNG/PDF）")


class BulkSignForm(ChineseForm):
    signed_on = DateField("签订日期", validators=[required("请填写签订日期。"), not_in_future])
    letter_ids = SelectMultipleField("责任书", coerce=int, validate_choice=False)


class ReasonForm(ChineseForm):
    reason = TextAreaField("原因", validators=[required("请填写原因。"), max_length(1000)])

