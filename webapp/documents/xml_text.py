"""Text as a DOCX may hold it: without the characters XML 1.0 forbids (a vertical tab pasted from Word,
NUL …), which records made before the input sanitiser may still carry."""

from __future__ import annotations

import re

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _XML_FORBIDDEN.sub("", text)
