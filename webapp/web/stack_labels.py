"""Column captions for stacked tables on a phone: each <table class="stack"> gets its column headers as
CSS variables (style="--c1:'网格';--c2:'应签'…"), which app.css shows before the cells of those columns
once the header row is hidden (≤600px).

Done once for every page after rendering, so no template repeats its headers cell by cell and a new
table cannot forget them; only the <table> tag changes, the cells' markup stays as the template wrote
it. A cell with its own data-label keeps that caption (app.css); a table with its own style attribute is
left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from flask import Flask, Response

STACK_CLASS = re.compile(r"""class=["'][^"']*\bstack\b""")
MAX_COLUMNS = 12  # app.css has a caption rule for each of the first 12 columns


@dataclass
class _Table:
    offset: int  # of the ">" that ends the <table …> tag
    stacked: bool
    headers: list[str] = field(default_factory=list)
    row: list[str] | None = None  # header texts of the row being read; None outside a header row
    in_head: bool = False


class _Captions(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.tables: list[_Table] = []
        self.insertions: list[tuple[int, list[str]]] = []
        self.text: list[str] | None = None  # of the <th> being read
        self.span = 1

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            stacked = bool(STACK_CLASS.search(self.get_starttag_text() or "")) and "style" not in dict(attrs)
            self.tables.append(_Table(self._offset() + len(self.get_starttag_text() or "") - 1, stacked))
        elif not self.tables:
            return
        table = self.tables[-1]
        if tag == "thead":
            table.in_head = True
        elif tag == "tr":
            table.row = [] if (table.in_head or not table.headers) else None
        elif tag == "td" and not table.in_head:
            table.row = None  # a row with data cells is not a header row
        elif tag == "th" and table.row is not None:
            self.text = []
            span = dict(attrs).get("colspan") or "1"
            self.span = int(span) if span.isdigit() else 1

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
            if table.stacked and any(table.headers):
                self.insertions.append((table.offset, table.headers[:MAX_COLUMNS]))

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label_stacked_tables(html: str) -> str:
    """The page with each stacked table's column captions set on its <table> tag."""
    if not STACK_CLASS.search(html):
        return html
    parser = _Captions(html)
    parser.feed(html)
    parser.close()
    parts, last = [], 0
    for offset, headers in sorted(parser.insertions):
        style = ";".join(f"--c{i}:{_css_string(h)}" for i, h in enumerate(headers, start=1) if h)
        parts += [html[last:offset], f' style="{escape(style)}"']
        last = offset
    return "".join(parts) + html[last:]


def install(app: Flask) -> None:
    @app.after_request
    def stacked_table_captions(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
            response.set_data(label_stacked_tables(response.get_data(as_text=True)))
        return response
