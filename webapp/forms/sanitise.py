"""The one input sanitiser: every field of every form is bound through `harden` (see `SafeMeta`).

Text: control characters are dropped (a vertical tab pasted from Word would otherwise break the XML of
every document and export that carries it); a multi-line field keeps its newlines and tabs, a one-line
field refuses a newline beside the field; NUL is refused (PostgreSQL cannot store it); every text field
has a maximum length — the column's when the form names its model, else a general limit.
Numbers: finite (no inf or nan) and within what the database stores (integers within ±(2³¹−1)).
The text rules themselves (webapp.services.input_rules) also serve the paths without a form (the unit ledger
import, the command line).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import String, inspect
from wtforms import Field, FieldList, Form, PasswordField, StringField, TextAreaField
from wtforms.fields import DecimalField, FloatField, IntegerField
from wtforms.fields.choices import SelectFieldBase
from wtforms.meta import DefaultMeta
from wtforms.validators import Length, StopValidation

from webapp.services.input_rules import DB_INT_MAX, FLOAT_LIMIT, clean_text, text_problem

ONE_LINE_LIMIT = 200
MULTI_LINE_LIMIT = 20_000
NUMBER_MESSAGE = "请输入有效的数字。"
INTEGER_RANGE_MESSAGE = f"数值超出范围（不能超过{DB_INT_MAX}）。"
FLOAT_RANGE_MESSAGE = "数值超出范围。"


def _text_rules(multiline: bool):  # noqa: ANN202
    def check(form: Form, field: Field) -> None:
        raw = field.raw_data[0] if field.raw_data else None
        problem = text_problem(raw, multiline=multiline)
        if problem:
            raise StopValidation(problem)

    return check


def _finite(form: Form, field: Field) -> None:
    value = field.data
    if value is None:
        return
    if isinstance(value, Decimal) and not value.is_finite() or isinstance(value, float) and not math.isfinite(value):
        field.data = None  # NumberRange would raise on comparing nan
        raise StopValidation(NUMBER_MESSAGE)
    if abs(value) > FLOAT_LIMIT:
        raise StopValidation(FLOAT_RANGE_MESSAGE)


def _int_range(form: Form, field: Field) -> None:
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(isinstance(v, int) and not -DB_INT_MAX <= v <= DB_INT_MAX for v in values):
        field.data = None if not isinstance(field.data, list | tuple) else []
        raise StopValidation(INTEGER_RANGE_MESSAGE)


def _column_length(form: Form | None, name: str) -> int | None:
    model = getattr(form, "model", None)
    if model is None:
        return None
    column = inspect(model).columns.get(name)
    if column is None or not isinstance(column.type, String):
        return None
    return column.type.length


def _max_length(field: Field) -> int | None:
    lengths = [v.max for v in field.validators if isinstance(v, Length) and v.max not in (None, -1)]
    return min(lengths) if lengths else None


def _add_length(field: Field, form: Form | None) -> None:
    multiline = isinstance(field, TextAreaField)
    limit = _column_length(form, field.short_name)
    declared = _max_length(field)
    if limit is None:
        limit = declared if declared is not None else MULTI_LINE_LIMIT if multiline else ONE_LINE_LIMIT
    else:
        limit = min(limit, declared) if declared is not None else limit
    if declared is None or limit < declared:
        field.validators.append(Length(max=limit, message=f"不能超过{limit}个字。"))
    field.flags.maxlength = limit  # the browser stops the typing there too


def _harden_text(field: Field, form: Form | None) -> None:
    multiline = isinstance(field, TextAreaField)
    field.filters = (lambda value: clean_text(value, multiline=multiline), *field.filters)
    field.validators.insert(0, _text_rules(multiline))
    _add_length(field, form)


def _harden_entries(field: FieldList) -> None:
    add_entry = field._add_entry

    def hardened_entry(*args: Any, **kwargs: Any) -> Field:
        entry = add_entry(*args, **kwargs)
        harden(entry, None)
        if isinstance(entry, StringField) and not isinstance(entry, PasswordField):
            entry.data = clean_text(entry.data, multiline=isinstance(entry, TextAreaField))
        return entry

    field._add_entry = hardened_entry


def harden(field: Field, form: Form | None) -> Field:
    """Give a freshly bound field the sanitiser's filters and validators (idempotent per binding)."""
    field.validators = list(field.validators)
    if isinstance(field, PasswordField):
        field.validators.insert(0, _text_rules(True))  # kept as typed, but never NUL
    elif isinstance(field, StringField):
        _harden_text(field, form)
    elif isinstance(field, IntegerField | SelectFieldBase):
        field.validators.insert(0, _int_range)  # before any validator that looks the number up
    elif isinstance(field, FloatField | DecimalField):
        field.validators.insert(0, _finite)
    elif isinstance(field, FieldList):
        _harden_entries(field)
    return field


class SafeMeta(DefaultMeta):
    """Form meta whose `bind_field` hardens every field: the form class needs nothing else."""

    def bind_field(self, form: Form, unbound_field: Any, options: dict) -> Field:
        return harden(super().bind_field(form, unbound_field, options), form)


class SafeForm(Form):
    """A sub-form (FormField rows) with the same sanitiser as every page form. `model`, when set, is the
    table whose String column lengths bound the fields of the same name."""

    Meta = SafeMeta
    model: ClassVar[type | None] = None
