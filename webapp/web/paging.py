"""A page of an in-memory list, with the attributes the `pager` macro reads (like db.paginate's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ListPage:
    rows: list[Any]
    page: int
    per_page: int

    def __post_init__(self) -> None:
        self.page = min(self.page, self.pages)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def items(self) -> list[Any]:
        start = (self.page - 1) * self.per_page
        return self.rows[start:start + self.per_page]

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
