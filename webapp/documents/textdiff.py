"""Differences between two Chinese texts, by word (jieba) or by character, as segments and as escaped HTML.

Chinese has no spaces, so a diff by whitespace-separated words would see whole sentences change; jieba's words
read naturally ("检查" → "排查"), and a diff by character is the fine-grained fallback a reader can ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from markupsafe import Markup, escape

from webapp.documents.fitting import segment

By = Literal["word", "char"]
BY_LABELS = {"word": "按词", "char": "按字"}


@dataclass(frozen=True)
class Segment:
    op: Literal["equal", "insert", "delete"]
    text: str


def tokens(text: str, by: By = "word") -> list[str]:
    if by == "char":
        return list(text)
    # jieba per line: a cached line stays cached when another line of the body changes
    words: list[str] = []
    for line in text.splitlines(keepends=True):
        words.extend(segment(line))
    return words


def segments(old: str, new: str, by: By = "word") -> list[Segment]:
    """The new text as equal / inserted pieces with the deleted pieces of the old one where they were."""
    a, b = tokens(old, by), tokens(new, by)
    result: list[Segment] = []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            result.append(Segment("equal", "".join(b[b1:b2])))
            continue
        if a2 > a1:
            result.append(Segment("delete", "".join(a[a1:a2])))
        if b2 > b1:
            result.append(Segment("insert", "".join(b[b1:b2])))
    return [s for s in result if s.text]


def diff_html(old: str, new: str, by: By = "word") -> Markup:
    """<del>/<ins> marked HTML of the change; every piece of user text is escaped."""
    tags = {"equal": "{}", "insert": '<ins class="diff-ins">{}</ins>', "delete": '<del class="diff-del">{}</del>'}
    return Markup("").join(Markup(tags[s.op]).format(escape(s.text)) for s in segments(old, new, by))
