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
from html import escape, unescape

from flask import Flask, Response

STACK_CLASS = re.compile(r"""class=["'][^"']*\bstack\b""")


@dataclass
class _Table:
    stacked: bool
    headers: list[str] = field(default_factory=list)
    row: list[str] | None = None  # header texts of the row being read; None outside a header row
    in_head: bool = False
    column: int = 0  # of the next data cell in the current row


TABLE_TAG = re.compile(r"<(/?)(table|thead|tr|th|td)\b([^>]*)>", re.IGNORECASE)
ANY_TAG = re.compile(r"<[^>]*>")
COLSPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""", re.IGNORECASE)
OWN_LABEL = re.compile(r"\bdata-label\s*=", re.IGNORECASE)


class _Captions:
    """Reads only the table tags (a regular expression, not a full HTML parser: the pages are our own
    escaped templates, where no attribute value holds a raw ">"), so a long list costs little to caption."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.tables: list[_Table] = []
        self.insertions: list[tuple[int, str]] = []  # (offset just after "<td", caption)
        self.header_from: int | None = None  # where the text of the <th> being read starts
        self.span = 1

    def run(self) -> list[tuple[int, str]]:
        for tag in TABLE_TAG.finditer(self.html):
            closing, name = tag.group(1, 2)
            if closing:
                self._end(name.lower(), tag.start())
            else:
                self._start(name.lower(), tag)
        return self.insertions

    def _start(self, name: str, tag: re.Match) -> None:
        if name == "table":
            self.tables.append(_Table(bool(STACK_CLASS.search(tag.group(0)))))
            return
        if not self.tables:
            return
        table, attributes = self.tables[-1], tag.group(3)
        span = _span(attributes)
        if name == "thead":
            table.in_head = True
        elif name == "tr":
            table.row = [] if (table.in_head or not table.headers) else None
            table.column = 0
        elif name == "td" and not table.in_head:
            table.row = None  # a row with data cells is not a header row
            self._caption_cell(table, attributes, span, tag.start())
            table.column += span
        elif name == "th" and table.row is not None:
            self.header_from, self.span = tag.end(), span

    def _caption_cell(self, table: _Table, attributes: str, span: int, offset: int) -> None:
        if not table.stacked or span != 1 or table.column >= len(table.headers) or (
                attributes and OWN_LABEL.search(attributes)):
            return
        caption = table.headers[table.column]
        if caption:
            self.insertions.append((offset + len("<td"), caption))

    def _end(self, name: str, offset: int) -> None:
        if not self.tables:
            return
        table = self.tables[-1]
        if name == "th" and self.header_from is not None and table.row is not None:
            text = unescape(ANY_TAG.sub("", self.html[self.header_from:offset]))
            # a spanned header captions each column it spans
            table.row += [" ".join(text.split())] * self.span
            self.header_from = None
        elif name == "tr" and table.row is not None and not table.headers:
            table.headers, table.row = table.row, None
        elif name == "thead":
            table.in_head = False
        elif name == "table":
            self.tables.pop()


def _span(attributes: str) -> int:
    found = attributes and COLSPAN.search(attributes)  # most cells have no attributes at all
    return int(found.group(1)) if found else 1


def label_stacked_tables(html: str) -> str:
    """The page with each data cell of a stacked table captioned by its column header."""
    if not STACK_CLASS.search(html):
        return html
    parts, last = [], 0
    for offset, caption in sorted(_Captions(html).run()):
        parts += [html[last:offset], f' data-label="{escape(caption)}"']
        last = offset
    return "".join(parts) + html[last:]


def install(app: Flask) -> None:
    @app.after_request
    def stacked_table_captions(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
            response.set_data(label_stacked_tables(response.get_data(as_text=True)))
        return response
