"""Phone-friendly rendering of repeated sub-forms: one labelled fieldset per entry (e.g. per checklist item)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms import DateField, Field, FieldList, FloatField, Form
from wtforms.fields import BooleanField, HiddenField, RadioField


class ChineseParseError:
    """Mixed into a WTForms field: what cannot be parsed leaves no value and says `parse_error` in Chinese."""

    parse_error = "格式不正确。"

    def process_formdata(self, valuelist: list) -> None:
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError as error:
            self.data = None
            raise ValueError(self.parse_error) from error


class CnDateField(ChineseParseError, DateField):
    parse_error = "日期格式不正确，请按“年-月-日”填写。"


class CnFloatField(ChineseParseError, FloatField):
    parse_error = "请填写数字。"


def _errors(field: Field) -> str:
    return "".join(f'<p class="error" role="alert">{escape(e)}</p>' for e in field.errors if isinstance(e, str))


def _radio(field: RadioField) -> str:
    options = "".join(f"<label class=\"choice\">{option()} {escape(option.label.text)}</label>" for option in field)
    return (f'<div class="field{" has-error" if field.errors else ""}" role="radiogroup" '
            f'aria-label="{escape(field.label.text)}"><span class="label">{escape(field.label.text)}</span>'
            f'<div class="choices" style="display:flex;flex-wrap:wrap;gap:.3rem 1rem">'
            f'{options}</div>{_errors(field)}</div>')


def render_subfield(field: Field) -> str:
    if isinstance(field, HiddenField):
        return str(field())
    if isinstance(field, RadioField):
        return _radio(field)
    css = "field has-error" if field.errors else "field"
    if isinstance(field, BooleanField):
        label = f'<label class="check">{field()} {escape(field.label.text)}</label>'
        return f'<div class="{css}">{label}{_errors(field)}</div>'
    return f'<div class="{css}">{field.label()}{field()}{_errors(field)}</div>'


FIELDSET_STYLE = "min-width:0;margin:0 0 .8rem;border:1px solid #d0d5dd;border-radius:6px"


class FieldsetListWidget:
    """Each entry of a FieldList(FormField(...)) as <fieldset><legend>; the sub-form names its legend and may
    give a note shown under it (a checklist item's 检查要点)."""

    def __call__(self, field: FieldList, **kwargs: Any) -> Markup:
        parts = [f'<div class="fieldset-list" id="{escape(field.id)}">']
        for index, entry in enumerate(field.entries, start=1):
            form: Form = entry.form
            legend = form.legend() if hasattr(form, "legend") else f"第{index}项"
            inner = "".join(render_subfield(sub) for sub in form)
            note = form.note() if hasattr(form, "note") else ""
            note_html = f'<p class="hint">{escape(note)}</p>' if note else ""
            parts.append(f'<fieldset class="entry" style="{FIELDSET_STYLE}">'
                         f'<legend>{index}. {escape(legend)}</legend>{note_html}{inner}</fieldset>')
        parts.append("</div>")
        return Markup("".join(parts))


class EntryList(FieldList):
    """A FieldList whose errors are plain Chinese sentences naming the entry, not nested dicts."""

    widget = FieldsetListWidget()

    def validate(self, form: Form, extra_validators: tuple = ()) -> bool:
        super().validate(form, extra_validators)
        messages = [e for e in self.errors if isinstance(e, str)]
        for index, entry in enumerate(self.entries, start=1):
            legend = entry.form.legend() if hasattr(entry.form, "legend") else ""
            for errors in entry.errors.values():
                messages.extend(f"第{index}项“{legend}”：{message}" for message in errors)
        self.errors = messages
        return not messages
