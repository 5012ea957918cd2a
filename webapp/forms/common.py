"""Validators and field helpers shared by the forms, with Chinese messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import ClassVar

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms.sanitise import SafeMeta
from webapp.services.input_rules import NEWLINE_MESSAGE, email_problem
from webapp.services.units import phone_problem

# Emoji and pictographs: no official font has them, so they vanish from the printed PDF.
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u26FF\u2700-\u2775\u2794-\u27BF\u2B00-\u2BFF"
                    "\u231A\u231B\u23E9-\u23FA\uFE0F\u200D\U000E0020-\U000E007F]")


def official_text_problem(text: str, *, one_line: bool) -> str | None:
    """Why a text cannot go on an official document, in Chinese (None when it can)."""
    emoji = _EMOJI.search(text or "")
    if emoji:
        return f"不能包含表情符号（“{emoji.group()}”），公文用字体无法打印，请删除。"
    if one_line and ("\n" in (text or "") or "\r" in (text or "")):
        return NEWLINE_MESSAGE
    return None


def _official_text_errors(fields, report: Field | None = None,  # noqa: ANN001 - a form or field list
                          prefix: str = "") -> Iterator[tuple[Field, str]]:
    """(field to show the message beside, message) for every text input and text area that fails
    ``official_text``; a field inside a list entry reports beside its list as "第2项“…”：…"."""
    for field in fields:
        if isinstance(field, FieldList):
            for index, entry in enumerate(field.entries, start=1):
                form = entry.form if isinstance(entry, FormField) else None
                legend = form.legend() if form is not None and hasattr(form, "legend") else ""
                label = f"{prefix}第{index}项“{legend}”：" if legend else f"{prefix}第{index}项："
                yield from _official_text_errors(form if form is not None else [entry], report or field, label)
        elif isinstance(field, FormField):
            yield from _official_text_errors(field.form, report or field, prefix)
        elif isinstance(field, StringField) and not isinstance(field, (PasswordField, HiddenField)):
            # newlines in one-line fields: the input sanitiser refuses them beside the field itself
            problem = official_text_problem(field.data if isinstance(field.data, str) else "", one_line=False)
            if problem:
                yield report or field, prefix + problem


class ChineseForm(FlaskForm):
    """Every form of the app: WTForms' own messages ("不是有效的选择。") in Chinese too, every field
    through the one input sanitiser (webapp.forms.sanitise), and the ``official_text`` check on every text
    field (its message beside the field). `model`, when set, is the table whose String column lengths
    bound the fields of the same name."""

    class Meta(SafeMeta):
        locales = ("zh",)

    model: ClassVar[type | None] = None

    # The 暂存 draft the form was filled from, if any: setup() must then not overwrite its entries.
    restored = None

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001 - WTForms' signature
        valid = super().validate(extra_validators)
        for field, message in _official_text_errors(self):
            if message not in field.errors:  # the sanitiser may have refused the same newline
                field.errors = [*field.errors, message]
            valid = False
        return valid

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


def email_address(form: Form, field: Field) -> None:
    problem = email_problem((field.data or "").strip())
    if problem:
        raise ValidationError(problem + "。")


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
    # 常用意见: keep what was typed among the user's own phrases (the page offers them on every review step).
    save_opinion = BooleanField("存为常用意见")

    def validate_opinion(self, field: Field) -> None:
        if self.decision.data == "send_back" and not (field.data or "").strip():
            raise ValidationError("退回时必须填写退回理由。")
