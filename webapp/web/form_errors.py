"""One way to show a service's InvalidInput on a form: each message beside its field, the rest at the top."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import flash, redirect
from werkzeug.wrappers import Response
from wtforms import Field, Form
from wtforms.fields import FieldList, FormField

from webapp.extensions import db
from webapp.services.errors import InvalidInput


def _fields(form: Form) -> Iterator[Field]:
    """Every field of the form, sub-forms and list entries included (their names carry the prefix)."""
    for field in form:
        yield field
        if isinstance(field, FormField):
            yield from _fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield entry
                if isinstance(entry, FormField):
                    yield from _fields(entry.form)


def saved(form: Form, save: Callable[[], object], message: str, target: str) -> Response | None:
    """The POST half of an edit page: when the form validates, run `save`, commit, flash `message` and
    redirect to `target`; on InvalidInput the messages go beside their fields and None says: render the
    form again as posted (status from `form_status()`)."""
    if not form.validate_on_submit():
        return None
    try:
        save()
    except InvalidInput as error:
        show_invalid(form, error)
        return None
    db.session.commit()
    flash(message, "success")
    return redirect(target)


def show_invalid(form: Form, error: InvalidInput, beside: Field | None = None) -> None:
    """Roll the failed action back, put each message beside its field, flash what concerns no field.

    `beside` is the field an error that names none belongs to on this form (e.g. the username of a new
    account). The caller then re-renders the form as posted (input kept) with status 400 (`form_status()`).
    """
    db.session.rollback()
    if not error.fields and beside is not None:
        beside.errors = [*beside.errors, *(error.problems or [error.message])]
        return
    by_name = {field.name: field for field in _fields(form)}
    unplaced = []
    for name, message in error.fields.items():
        field = by_name.get(name)
        if field is None:
            unplaced.append(message)
        else:
            field.errors = [*field.errors, message]
    # The summary ("共3处需要修改") tells a user on a long form to look for the marked fields.
    if not error.fields or len(error.fields) > 1:
        flash(error.message, "danger")
    for message in unplaced:
        flash(message, "danger")


def flash_invalid(error: InvalidInput) -> None:
    """Roll the failed action back and flash its messages, for a button with no form page of its own.

    The caller redirects back to the page the button is on (a rename on the grid page, a password reset).
    """
    db.session.rollback()
    flash(error.message, "danger")
