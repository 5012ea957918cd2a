"""Report periods: a month ("2026-09"), a quarter ("2026-Q3") or a year ("2026")."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from webapp.services.errors import InvalidInput

PATTERN = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")
KINDS = {"month": "月", "quarter": "季度", "year": "年"}


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year
    key: str  # as in URLs: 2026-09, 2026-Q3, 2026
    start: date
    end: date  # included

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        return f"{self.start.year}年"

    def parts(self) -> list[Period]:
        """The months of a quarter, the quarters of a year (a chart's time axis); a month has none."""
        year = self.start.year
        if self.kind == "year":
            return [parse(f"{year}-Q{q}") for q in range(1, 5)]
        if self.kind == "quarter":
            return [parse(f"{year}-{m:02d}") for m in range(self.start.month, self.start.month + 3)]
        return []


def parse(text: str) -> Period:
    """The period a URL names; a malformed or impossible one is refused (400)."""
    found = PATTERN.match(text or "")
    year = int(found.group(1)) if found else 0
    if not found or not 2000 <= year <= 2100:
        raise InvalidInput("统计期间格式应为 2026-09、2026-Q3 或 2026。", field="period")
    month, quarter = found.group(2), found.group(3)
    if month:
        number = int(month)
        if not 1 <= number <= 12:
            raise InvalidInput("月份应为 01 至 12。", field="period")
        return Period("month", text, date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]))
    if quarter:
        first = (int(quarter) - 1) * 3 + 1
        last = first + 2
        return Period("quarter", text, date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1]))
    return Period("year", text, date(year, 1, 1), date(year, 12, 31))


def month_of(day: date) -> Period:
    return parse(f"{day.year}-{day.month:02d}")
