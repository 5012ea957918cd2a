"""Form key (a user task's `form` property) → WTForms class."""

from __future__ import annotations

from flask_wtf import FlaskForm

_FORMS: dict[str, type[FlaskForm]] = {}


def register_form(key: str):
    """Class decorator: `@register_form("inspection_record")`."""

    def decorator(form_class: type[FlaskForm]) -> type[FlaskForm]:
        _FORMS[key] = form_class
        return form_class

    return decorator


def form_class(key: str) -> type[FlaskForm] | None:
    return _FORMS.get(key)


def form_keys() -> frozenset[str]:
    return frozenset(_FORMS)
