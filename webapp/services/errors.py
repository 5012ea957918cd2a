"""Domain errors; webapp.web.errors maps each to an HTTP status and a Chinese message."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Base: `message` is shown to the user as it is, so it is written in Chinese."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    http_status = 404


class OutOfScope(DomainError):
    """The object lies outside the user's grid subtree, or the user lacks the role."""

    http_status = 403


class InvalidInput(DomainError):
    """Bad input that a form could not catch; `problems` lists every one of them.

    `field` names the form field the message belongs to; `fields` maps several field names to their
    messages, so a form shows every problem of one submit beside its field at once.
    """

    def __init__(self, message: str, problems: list[str] | None = None, *, field: str = "",
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
        self.fields = dict(fields or {})
        if field:
            self.fields[field] = message


class TaskConflict(DomainError):
    """Someone else changed the same thing first: nothing was changed."""

    http_status = 409


def found(row: T | None, message: str) -> T:
    """`row` as looked up (e.g. `session.get(Model, id)`), or NotFound with the Chinese `message`."""
    if row is None:
        raise NotFound(message)
    return row
