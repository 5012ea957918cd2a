"""Rules for text and numbers coming in, shared by the forms' sanitiser (webapp.forms.sanitise) and the paths
without a form (the unit ledger import, the command line, URL converters). No Flask here."""

from __future__ import annotations

import re
from typing import Any

DB_INT_MAX = 2**31 - 1
FLOAT_LIMIT = 1e12  # far beyond any area, loss or score, and exact in a double
NUL_MESSAGE = "不能包含空字符（NUL），请删除后重新填写。"
NEWLINE_MESSAGE = "此项只能填写一行，请删除换行。"

# C0 and C1 controls, DEL, and the XML-forbidden non-characters; \t and \n are decided per field.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def clean_text(value: str | None, *, multiline: bool) -> str | None:
    """Text without control characters: CR/LF become LF; a tab is kept in multi-line text, a space in one line.
    Newlines stay in one-line text too, so that `text_problem` can name them."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value if multiline else value.replace("\t", " ")
    return _CONTROL.sub("", value)


def text_problem(raw: Any, *, multiline: bool) -> str | None:
    """What is wrong with raw text that cleaning must not silently fix (Chinese), or None."""
    if not isinstance(raw, str):
        return None
    if "\x00" in raw:
        return NUL_MESSAGE
    if not multiline and ("\n" in raw.strip() or "\r" in raw.strip()):
        return NEWLINE_MESSAGE
    return None


# One plain address (no display name, no list): what an SMTP server takes as RCPT TO or MAIL FROM.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def email_problem(address: str) -> str | None:
    """Why `address` is not one e-mail address (Chinese), or None; the empty string is no address, not wrong."""
    if address and (len(address) > 120 or not _EMAIL.match(address)):
        return "电子邮箱格式不正确，如 zhangsan@example.com"
    return None
