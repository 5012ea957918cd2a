"""Validators and field helpers shared by the forms, with Chinese messages."""

from __future__ import annotations

from wtforms import Field, Form
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..services.units import phone_problem


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
