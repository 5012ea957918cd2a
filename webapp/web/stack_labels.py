"""Column captions for stacked tables on a phone: every <td> of a <table class="stack"> gets a data-label
from its column's <th>, which app.css shows before the cell once the header row is hidden (≤600px).

Done once for every page after rendering, so no template has to repeat its headers cell by cell and a
new table cannot forget them; a cell that already has a data-label (or spans columns) is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from flask import Flask, Response

STACK_CLASS = re.compile(r"""class=["'][^"']*\bstack\b""")


@dataclass
class _Row:
    in_head: bool
    cells: list[tuple[str, int, int, int, bool]] = field(default_factory=list)  # tag, offset, column, span, labelled
    texts: list[str] = field(default_factory=list)
    column: int = 0


@dataclass
class _Table:
    stacked: bool
    headers: list[str] = field(default_factory=list)
    pending: list[tuple[int, int]] = field(default_factory=list)  # (offset of "<td", column)
    in_head: bool = False
    row: _Row | None = None


class _Labeller(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.tables: list[_Table] = []
        self.insertions: list[tuple[int, str]] = []
        self.header_text: list[str] | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list) -> None:
        table = self.tables[-1] if self.tables else None
        if tag == "table":
            self.tables.append(_Table(stacked=bool(STACK_CLASS.search(self.get_starttag_text() or ""))))
        elif table is None:
            return
        elif tag == "thead":
            table.in_head = True
        elif tag == "tr":
            self._end_row(table)
            table.row = _Row(in_head=table.in_head)
        elif tag in ("td", "th") and table.row is not None:
            values = dict(attrs)
            span = int(values["colspan"]) if (values.get("colspan") or "").isdigit() else 1
            row = table.row
            row.cells.append((tag, self._offset(), row.column, span, "data-label" in values))
            row.column += span
            self.header_text = [] if tag == "th" else None

    def handle_endtag(self, tag: str) -> None:
        if not self.tables:
            return
        table = self.tables[-1]
        if tag == "th" and self.header_text is not None and table.row is not None:
            table.row.texts.append(" ".join("".join(self.header_text).split()))
            self.header_text = None
        elif tag == "thead":
            self._end_row(table)
            table.in_head = False
        elif tag == "tr":
            self._end_row(table)
        elif tag == "table":
            self._end_row(table)
            self.tables.pop()
            if table.stacked:
                self.insertions += [(offset, table.headers[column]) for offset, column in table.pending
                                    if column < len(table.headers) and table.headers[column]]

    def handle_data(self, data: str) -> None:
        if self.header_text is not None:
            self.header_text.append(data)

    def _end_row(self, table: _Table) -> None:
        row, table.row = table.row, None
        if row is None or not row.cells:
            return
        if row.in_head or (not table.headers and all(cell[0] == "th" for cell in row.cells)):
            texts = iter(row.texts)
            table.headers = [text for cell in row.cells for text in [next(texts, "")] * cell[3]]
            return
        table.pending += [(offset, column) for tag, offset, column, span, labelled in row.cells
                          if tag == "td" and span == 1 and not labelled]


def label_stacked_tables(html: str) -> str:
    """The page with a data-label on every unlabelled single-column <td> of each stacked table."""
    if not STACK_CLASS.search(html):
        return html
    labeller = _Labeller(html)
    labeller.feed(html)
    labeller.close()
    parts, last = [], 0
    for offset, label in sorted(labeller.insertions):
        parts += [html[last:offset + 3], f' data-label="{escape(label)}"']
        last = offset + 3
    return "".join(parts) + html[last:]


def install(app: Flask) -> None:
    @app.after_request
    def stacked_table_labels(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
            response.set_data(label_stacked_tables(response.get_data(as_text=True)))
        return response
