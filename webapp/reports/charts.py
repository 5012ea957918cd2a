"""The dashboard's chart: the charted measures per child grid, as ECharts options for the page and as a PNG
(matplotlib, CJK font from the system) for the DOCX reports."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from webapp.cases.registry import Measure
from webapp.reports.figures import Row, Table

# fonts-noto-cjk; without it the labels fall back to matplotlib's own font (boxes for Chinese)
CJK_FONTS = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
             Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"))


def charted(table: Table) -> list[Measure]:
    return [c for c in table.columns if isinstance(c, Measure) and c.charted]


def echarts_option(table: Table) -> dict:
    """A grouped bar chart: one group per child grid, one bar per charted measure."""
    rows = [r for r in table.rows if r.node]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 40},
        "xAxis": {"type": "category", "data": [r.label for r in rows], "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": m.label, "type": "bar", "data": [r.counts.get(m.key, 0) for r in rows]}
                   for m in charted(table)],
    }


def trend_option(table: Table, rows: list[Row]) -> dict:
    """A line per charted measure across the months of a quarter or the quarters of a year."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 40, "top": 40},
        "xAxis": {"type": "category", "data": [r.label for r in rows]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": m.label, "type": "line", "data": [r.counts.get(m.key, 0) for r in rows]}
                   for m in charted(table)],
    }


def _font(size: float = 10) -> FontProperties | None:
    path = next((p for p in CJK_FONTS if p.exists()), None)
    return FontProperties(fname=str(path), size=size) if path else None


def chart_png(table: Table) -> bytes:
    """The same chart as a 150 mm wide PNG at 200 dpi."""
    rows = [r for r in table.rows if r.node] or [table.total]
    measures, font = charted(table), _font()
    figure = Figure(figsize=(5.9, 3.2), dpi=200)
    axes = figure.add_subplot()
    width = 0.8 / max(len(measures), 1)
    for index, measure in enumerate(measures):
        positions = [i + (index - (len(measures) - 1) / 2) * width for i in range(len(rows))]
        axes.bar(positions, [r.counts.get(measure.key, 0) for r in rows], width, label=measure.label)
    axes.set_xticks(range(len(rows)), [r.label for r in rows], fontproperties=font)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(f"{table.node.name}（{table.period.label}）", fontproperties=font)
    if measures:
        axes.legend(prop=_font(8))
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
