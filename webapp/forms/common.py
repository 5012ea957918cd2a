"""Validators and field helpers shared by the forms, with Chinese messages."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import Field, Form, RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms.sanitise import SafeMeta
from webapp.services.units import phone_problem


class ChineseForm(FlaskForm):
    """Every form of the app: WTForms' own messages ("不是有效的选择。") in Chinese too, and every field
    through the one input sanitiser (webapp.forms.sanitise). `model`, when set, is the table whose String
    column lengths bound the fields of the same name."""

    class Meta(SafeMeta):
        locales = ("zh",)

    model: ClassVar[type | None] = None

    # The 暂存 draft the form was filled from, if any: setup() must then not overwrite its entries.
    restored = None

def today() -> date:
    """Today by the app clock (injectable in tests), not the wall clock."""
    return current_app.extensions["firegrid.clock"].now().date()


def not_in_future(form: Form, field: Field) -> None:
    """A date of something that has happened (送达, 复查, 反馈, 签订 …) cannot lie after today."""
    if field.data and field.data > today():
        raise ValidationError(f"日期不能晚于今天（{today().isoformat()}）。")


def not_before(field: Field, earliest: date | None, what: str) -> None:
    """The process order: e.g. a re-inspection not before the notice was served."""
    if field.data and earliest and field.data < earliest:
        raise ValidationError(f"不能早于{what}（{earliest.isoformat()}）。")


def required(message: str = "此项为必填项。") -> DataRequired:
    return DataRequired(message=message)


def max_length(n: int) -> Length:
    return Length(max=n, message=f"不能超过{n}个字。")


def optional() -> Optional:
    return Optional()


def phone_number(form: Form, field: Field) -> None:
    problem = phone_problem((field.data or "").strip())
    if problem:
        raise ValidationError(problem + "。")


class CheckboxList(SelectMultipleField):
    """A multiple choice shown as checkboxes (roles, retention classes …)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


DECISIONS = {"approve": "同意", "send_back": "退回"}


class DecisionField(RadioField):
    """同意 or 退回, chosen by the reviewer: nothing is preselected, and no choice gets one clear message
    (instead of WTForms' "not a valid choice" beside it)."""

    def pre_validate(self, form: Form) -> None:
        if not self.data:
            raise StopValidation("请选择同意或退回。")
        super().pre_validate(form)


class DecisionMixin:
    """The approve / send back (退回) pair every review step uses; a send-back needs a reason."""

    decision = DecisionField("处理意见", choices=list(DECISIONS.items()))
    opinion = TextAreaField("意见", validators=[Optional(), Length(max=2000, message="不能超过2000个字。")])

    def validate_opinion(self, field: Field) -> None:
        if self.decision.data == "send_back" and not (field.data or "").strip():
            raise ValidationError("退回时必须填写退回理由。")
