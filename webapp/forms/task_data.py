"""Between WTForms and workflow task data, which must stay JSON: dates as ISO text, files as ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import FileStorage
from wtforms import Field, Form
from wtforms.fields import DateField, DateTimeLocalField, FieldList, FileField, FormField, MultipleFileField
from wtforms.fields.core import UnboundField

# Fields that steer the case rather than carry its content.
CONTROL_FIELDS = {"csrf_token", "submit", "decision", "opinion", "save_opinion"}

StoreUpload = Callable[[FileStorage, bool], dict]  # (the file, decode its pixels later) → its reference


class EvidencePhotosField(MultipleFileField):
    """现场照片 of a patrol or inspection: only their structure is checked at submit, so a phone photo does not
    hold up the step; the procedure registers them (cases.photos), and every pixel is decoded in the background."""


def _value(field: Field, store_upload: StoreUpload) -> Any:
    if isinstance(field, FormField):
        return form_to_data(field.form, store_upload)
    if isinstance(field, FieldList):
        return [_value(entry, store_upload) for entry in field.entries]
    if isinstance(field, MultipleFileField):
        later = isinstance(field, EvidencePhotosField)
        return [store_upload(f, later) for f in field.data or [] if isinstance(f, FileStorage) and f.filename]
    if isinstance(field, FileField):
        upload = field.data
        return store_upload(upload, False) if isinstance(upload, FileStorage) and upload.filename else None
    return to_json_value(field.data)


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return value.strip()
    return value


def form_to_data(form: Form, store_upload: StoreUpload) -> dict:
    """The form's content as JSON-safe task data; uploads are stored and replaced by their ids."""
    return {name: _value(field, store_upload) for name, field in form._fields.items()
            if name not in CONTROL_FIELDS}


def data_for_form(form_class: type[Form], data: dict) -> dict:
    """Task data back into what the form's fields expect (ISO text → date), to prefill a redraft."""
    prepared = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        # The case data carries the last step's routing decision; a reviewer always chooses anew.
        if name not in data or name in CONTROL_FIELDS or not isinstance(unbound, UnboundField):
            continue
        value = data[name]
        if issubclass(unbound.field_class, DateField) and isinstance(value, str) and value:
            value = date.fromisoformat(value[:10])
        elif issubclass(unbound.field_class, DateTimeLocalField) and isinstance(value, str) and value:
            value = datetime.fromisoformat(value)
        elif issubclass(unbound.field_class, FileField):
            continue
        prepared[name] = value
    return prepared
