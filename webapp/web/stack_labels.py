"""Column captions for stacked tables on a phone: each data cell of a <table class="stack"> gets its
column header as data-label="…", which app.css shows before the cell once the header row is hidden
(≤600px).

Done once for every page after rendering, so no template repeats its headers cell by cell and a new
table cannot forget them; only <td> tags change (an attribute is added), never their content. A cell
with its own data-label keeps it; a cell spanning columns (e.g. "暂无…") gets none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from flask import Flask, Response

STACK_CLASS = re.compile(r"""class=["'][^"']*\bstack\b""")


@dataclass
class _Table:
    stacked: bool
    headers: list[str] = field(default_factory=list)
    row: list[str] | None = None  # header texts of the row being read; None outside a header row
    in_head: bool = False
    column: int = 0  # of the next data cell in the current row


class _Captions(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.tables: list[_Table] = []
        self.insertions: list[tuple[int, str]] = []  # (offset just after "<td", caption)
        self.text: list[str] | None = None  # of the <th> being read
        self.span = 1

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append(_Table(bool(STACK_CLASS.search(self.get_starttag_text() or ""))))
        elif not self.tables:
            return
        table, named = self.tables[-1], dict(attrs)
        span = _span(named)
        if tag == "thead":
            table.in_head = True
        elif tag == "tr":
            table.row = [] if (table.in_head or not table.headers) else None
            table.column = 0
        elif tag == "td" and not table.in_head:
            table.row = None  # a row with data cells is not a header row
            self._caption_cell(table, named, span)
            table.column += span
        elif tag == "th" and table.row is not None:
            self.text, self.span = [], span

    def _caption_cell(self, table: _Table, attrs: dict, span: int) -> None:
        if not table.stacked or span != 1 or "data-label" in attrs or table.column >= len(table.headers):
            return
        caption = table.headers[table.column]
        if caption:
            self.insertions.append((self._offset() + len("<td"), caption))

    def handle_endtag(self, tag: str) -> None:
        if not self.tables:
            return
        table = self.tables[-1]
        if tag == "th" and self.text is not None and table.row is not None:
            # a spanned header captions each column it spans
            table.row += [" ".join("".join(self.text).split())] * self.span
            self.text = None
        elif tag == "tr" and table.row is not None and not table.headers:
            table.headers, table.row = table.row, None
        elif tag == "thead":
            table.in_head = False
        elif tag == "table":
            self.tables.pop()

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def _span(attrs: dict) -> int:
    span = attrs.get("colspan") or "1"
    return int(span) if span.isdigit() else 1


def label_stacked_tables(html: str) -> str:
    """The page with each data cell of a stacked table captioned by its column header."""
    if not STACK_CLASS.search(html):
        return html
    parser = _Captions(html)
    parser.feed(html)
    parser.close()
    parts, last = [], 0
    for offset, caption in sorted(parser.insertions):
        parts += [html[last:offset], f' data-label="{escape(caption)}"']
        last = offset
    return "".join(parts) + html[last:]


def install(app: Flask) -> None:
    @app.after_request
    def stacked_table_captions(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
            response.set_data(label_stacked_tables(response.get_data(as_text=True)))
        return response
