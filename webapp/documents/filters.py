"""The one Jinja environment every template renders with, and its filters.

docxtpl renders with ``autoescape=False`` by default: ``张三&李四<加油站>`` then silently
becomes "张三" (standards.md §5).  Here escaping is always on, a missing variable is an
error, ``None`` prints as nothing, and characters XML 1.0 forbids are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape

from webapp.documents.fitting import (
    fit_title,
    joint_column,
    joint_half_points,
    joint_rise,
    joint_scale,
    mark_half_points,
    mark_rise,
    mark_scale,
    mark_word,
    nobreak,
    nobreak_numbers,
)
from webapp.documents.xml_text import xml_safe

DIGITS = "零一二三四五六七八九"


def cn_date(value: Any) -> str:
    """date, datetime or ISO string → 2026年5月8日 (Arabic numerals, no zero padding)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value.strip()[:10])
    return f"{value.year}年{value.month}月{value.day}日"


def cn_number(value: Any) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (for 一、 headings and 一式三份)."""
    number = int(value)
    if number < 0:
        return "负" + cn_number(-number)
    if number < 10:
        return DIGITS[number]
    if number < 20:
        return "十" + (DIGITS[number - 10] if number % 10 else "")
    return _cn_large(number)


def _cn_large(number: int) -> str:
    units = ["", "十", "百", "千", "万"]
    digits = [int(d) for d in str(number)][::-1]
    if len(digits) > len(units):
        return str(number)
    parts, zero_pending = [], False
    for position in range(len(digits) - 1, -1, -1):
        digit = digits[position]
        if digit == 0:
            zero_pending = True
            continue
        if zero_pending and parts:
            parts.append("零")
        zero_pending = False
        parts.append(DIGITS[digit] + units[position])
    return "".join(parts)


def amount(value: Any) -> str:
    """12345.5 → 12,345.50 (money, two decimals)."""
    if value in (None, ""):
        return ""
    return f"{Decimal(str(value)):,.2f}"


def num(value: Any) -> str:
    """Scores: 18.0 → 18, 96.5 → 96.5, 83.39999999999999 → 83.4 (at most two decimals), None → empty."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return f"{number:f}"


def total(values: Any, attribute: str) -> Decimal:
    """Sum of one attribute as Decimal (``items|total('score')``): float sums print 83.39999999999999."""
    result = Decimal(0)
    for value in values or ():
        item = value.get(attribute) if isinstance(value, dict) else getattr(value, attribute, None)
        if item not in (None, ""):
            result += Decimal(str(item))
    return result


def paragraphs(blocks: Any) -> list[dict[str, Any]]:
    """Body blocks with their newlines made paragraphs: ``{"level": 1, "text": "标题\\n正文"}`` gives
    the heading and then a body paragraph, so no justified line is stretched across the page."""
    out: list[dict[str, Any]] = []
    for block in blocks or ():
        block = block if isinstance(block, dict) else {"level": 0, "text": block}
        text = str(block.get("text") or "").replace("\r\n", "\n").replace("\r", "\n")
        lines = [line.strip() for line in text.split("\n") if line.strip()] or [""]
        out.append({**block, "text": lines[0]})
        out.extend({**block, "level": 0, "text": line} for line in lines[1:])
    return out


def finalize(value: Any) -> Any:
    """Runs on every ``{{ }}`` output before escaping."""
    if value is None:
        return ""
    if isinstance(value, Markup):  # run XML from nobreak/nobreak_numbers, built escaped
        return value
    if isinstance(value, str):
        return _keep_braces(xml_safe(value.replace("\r\n", "\n").replace("\r", "\n")))
    return value


def _keep_braces(text: str) -> str | Markup:
    """User text prints as typed: docxtpl turns ``{_{ }_} {_% %_}`` into ``{{ }} {% %}`` in the rendered XML
    (its escape for template authors), so an underscore of user text next to a brace or percent sign — or at
    either end, next to the neighbouring output — is written as the character reference ``&#95;``, which
    that rewrite does not see and every XML reader reads back as "_"."""
    if "_" not in text or not (_DOCXTPL_ESCAPE.search(text) or text.startswith("_") or text.endswith("_")):
        return text
    return Markup(str(escape(text)).replace("_", "&#95;"))


_DOCXTPL_ESCAPE = re.compile(r"[{%]_|_[}%]")


def build_environment() -> Environment:
    env = Environment(autoescape=True, undefined=StrictUndefined, finalize=finalize)
    env.filters.update(cn_date=cn_date, cn_number=cn_number, amount=amount, num=num,
                       total=total, paragraphs=paragraphs,
                       fit_title=fit_title, mark_half_points=mark_half_points, mark_scale=mark_scale,
                       nobreak=nobreak, nobreak_numbers=nobreak_numbers, joint_half_points=joint_half_points,
                       joint_scale=joint_scale, joint_column=joint_column, mark_word=mark_word,
                       mark_rise=mark_rise, joint_rise=joint_rise)
    return env
