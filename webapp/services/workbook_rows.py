"""One sheet of the organisation workbook (组织架构工作簿): its rows as read, and what importing them did.

The core sheets (webapp.cases.org_workbook) and a procedure's own sheets (Procedure.workbook_sheets)
speak these types, so the workbook checks every row of every sheet the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def cell_text(value: object) -> str:
    """A cell as the text a clerk typed: 12.0 → "12", None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass(frozen=True)
class SheetRow:
    """A filled row of a sheet: its number in Excel (the header is row 1) and its cells by header."""

    number: int
    values: dict[str, object]

    def text(self, header: str) -> str:
        return cell_text(self.values.get(header))


@dataclass
class SheetResult:
    """What one sheet's rows did: labels of the rows added and updated, how many were unchanged, and
    every refused row as (row number, reason in Chinese)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def refuse(self, row: SheetRow, reason: str) -> None:
        self.problems.append((row.number, reason))

    def count(self, label: str, *, created: bool, changed: bool) -> None:
        if created:
            self.added.append(label)
        elif changed:
            self.updated.append(label)
        else:
            self.unchanged += 1

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.updated)


def duplicate_rows(rows: list[SheetRow], key: Callable[[SheetRow], object | None], result: SheetResult,
                   what: str) -> list[SheetRow]:
    """The rows whose `key` (None: not checked) repeats an earlier row are refused; the rest are returned."""
    seen: dict[object, int] = {}
    kept = []
    for row in rows:
        value = key(row)
        if value is not None and value in seen:
            result.refuse(row, f"与第{seen[value]}行重复（{what}相同）")
            continue
        if value is not None:
            seen[value] = row.number
        kept.append(row)
    return kept
