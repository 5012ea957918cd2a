"""URL converters: an id in a URL is a database integer, so a larger number is simply not found (404)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError

from webapp.services.input_rules import DB_INT_MAX


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` limited to 0 … 2³¹−1: 2³¹, 2⁶³ or 10²⁰ in a URL answer 404, not a database error (500)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 0, max: int | None = DB_INT_MAX,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(DB_INT_MAX)) + 1:
            raise ValidationError()  # no big-number arithmetic on a 10,000-digit path segment
        return super().to_python(value)


def db_int(text: str) -> int:
    """``request.args.get(name, type=db_int)``: a number beyond the database's integers counts as absent (the
    default), like any other non-number, instead of failing in the query."""
    if len(text.strip()) > len(str(DB_INT_MAX)) + 1:
        raise ValueError(text)
    number = int(text)
    if not -DB_INT_MAX <= number <= DB_INT_MAX:
        raise ValueError(text)
    return number
