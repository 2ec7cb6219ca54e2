"""ECharts options for the console's charts. A chart is declared in the page as data
(``<div class="chart" data-option='…'>``) and drawn by static/app.js: the CSP allows no inline
script. Values are passed as decimal text (ECharts reads numbers from it), never as floats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

BRAND = "#0b5cab"
PALETTE = ["#0b5cab", "#1e7b34", "#b3261e", "#c77700", "#6b4fa0", "#00838f", "#5b6876"]


def _frame(title: str) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 16, "top": 48, "bottom": 8, "containLabel": True},
    }


def bar_chart(*, title: str, values: Mapping[str, object], unit: str = "") -> dict[str, Any]:
    """One bar per label, in the mapping's order."""
    labels = list(values)
    return _frame(title) | {
        "xAxis": {
            "type": "category",
            "data": labels,
            "axisLabel": {"interval": 0, "rotate": 30 if len(labels) > 5 else 0},
        },
        "yAxis": {"type": "value", "name": unit},
        "series": [{"type": "bar", "data": [_number(v) for v in values.values()], "barMaxWidth": 48}],
    }


def pie_chart(*, title: str, values: Mapping[str, object]) -> dict[str, Any]:
    """Shares of a whole, e.g. bills by state."""
    return _frame(title) | {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "62%"],
                "center": ["50%", "52%"],
                "data": [{"name": name, "value": _number(v)} for name, v in values.items()],
            }
        ],
    }


def line_chart(
    *, title: str, x: Sequence[str], series: Mapping[str, Sequence[object]], unit: str = ""
) -> dict[str, Any]:
    """One line per series over the shared x values (``None`` leaves a gap)."""
    return _frame(title) | {
        "legend": {"top": 30, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "top": 72, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": list(x)},
        "yAxis": {"type": "value", "name": unit, "scale": True},
        "series": [
            {"type": "line", "name": name, "data": [_number(v) for v in values], "connectNulls": True}
            for name, values in series.items()
        ],
    }


def _number(value: object) -> str | int | None:
    if value is None or isinstance(value, int):
        return value
    return str(value)
