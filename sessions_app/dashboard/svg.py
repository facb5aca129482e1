"""Charts drawn on the server as SVG: no script, no style attribute (CSP-clean), nothing fetched.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``; every bar carries a
``<title>`` of its own (the figure on hover and for screen readers). Colours are presentation
attributes and text is ``currentColor``, so the admin's light and dark themes both read. Labels come
in already translated; everything put into the markup is escaped here.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 760
COLUMNS_HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
BAR_ROW = 26
BAR_LABEL_WIDTH = 200
MAX_X_LABELS = 10
# What fits left of the bars at 11px: ASCII counts one, a wide (CJK) character two.
MAX_LABEL_WIDTH = 32


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _nice_top(largest: int) -> tuple[int, int]:
    """(top of the axis, step between grid lines): a 1, 2 or 5 step, at most five lines."""
    if largest <= 0:
        return 1, 1
    magnitude = 10 ** max(0, math.floor(math.log10(largest / 5)))
    step = next(m * magnitude for m in (1, 2, 5, 10) if largest / (m * magnitude) <= 5)
    return math.ceil(largest / step) * step, step


def _n(number: float) -> str:
    """A coordinate, to a tenth of a pixel."""
    return f"{number:.1f}"


def _open(chart_id: str, title: str, desc: str, height: int) -> str:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="dashboard-chart" role="img" width="100%" '
        'viewBox="0 0 {w} {h}" preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}-title {id}-desc" '
        'font-family="sans-serif" font-size="11" color="currentColor">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        id=chart_id, w=WIDTH, h=height, title=title, desc=desc,
    )  # fmt: skip


def _text(x: float, y: float, text: str, *, anchor: str = "start") -> str:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" fill="currentColor">{}</text>', _n(x), _n(y), anchor, text
    )


def _rect(x: float, y: float, width: float, height: float, colour: str, tip: str) -> str:
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        _n(x), _n(y), _n(width), _n(height), colour, tip,
    )  # fmt: skip


def _grid(top: int, step: int, *, plot_height: float) -> list[str]:
    parts: list[str] = []
    for value in range(0, top + 1, step):
        y = TOP + plot_height - plot_height * value / top
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" stroke-opacity="0.2"/>',
            LEFT, WIDTH - RIGHT, _n(y), _n(y),
        ))  # fmt: skip
        parts.append(_text(LEFT - 6, y + 4, str(value), anchor="end"))
    return parts


def columns_svg(*, chart_id: str, title: str, desc: str, x_labels: list[str], series: list[Series]) -> SafeString:
    """Stacked columns, one per x label (a day), one colour per series."""
    totals = [sum(values) for values in zip(*(s.values for s in series), strict=True)] or [0]
    top, step = _nice_top(max(totals))
    plot_height = COLUMNS_HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(x_labels))
    every = math.ceil(len(x_labels) / MAX_X_LABELS)
    parts: list[str] = [_open(chart_id, title, desc, COLUMNS_HEIGHT), *_grid(top, step, plot_height=plot_height)]
    for index, x_label in enumerate(x_labels):
        x, floor = LEFT + slot * index + slot * 0.15, float(TOP + plot_height)
        for one in series:
            height = plot_height * one.values[index] / top
            if height:
                floor -= height
                parts.append(_rect(x, floor, slot * 0.7, height, one.colour, f"{x_label} {one.label}: {one.values[index]}"))
        if index % every == 0:
            parts.append(_text(x + slot * 0.35, COLUMNS_HEIGHT - 10, x_label, anchor="middle"))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece was escaped by format_html


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _short(label: str) -> str:
    """The label, cut with an ellipsis where it would run out of the chart on the left."""
    used = 0
    for index, char in enumerate(label):
        used += _width(char)
        if used > MAX_LABEL_WIDTH - 1 and index < len(label) - 1:
            return f"{label[:index]}…"
    return label


def bars_svg(*, chart_id: str, title: str, desc: str, bars: list[Bar], colour: str, empty: str) -> SafeString:
    """Horizontal bars, one a row, labelled on the left and with their figure on the right."""
    height = TOP * 2 + BAR_ROW * max(1, len(bars))
    parts: list[str] = [_open(chart_id, title, desc, height)]
    if not bars:
        parts.append(_text(WIDTH / 2, TOP + BAR_ROW / 2 + 4, empty, anchor="middle"))
    largest = max((bar.value for bar in bars), default=1) or 1
    room = WIDTH - BAR_LABEL_WIDTH - RIGHT - 48
    for index, bar in enumerate(bars):
        y = TOP + BAR_ROW * index
        length = room * bar.value / largest
        parts.append(_text(BAR_LABEL_WIDTH - 8, y + BAR_ROW / 2 + 4, _short(bar.label), anchor="end"))
        parts.append(_rect(BAR_LABEL_WIDTH, y + 4, length, BAR_ROW - 8, colour, f"{bar.label}: {bar.value}"))
        parts.append(_text(BAR_LABEL_WIDTH + length + 6, y + BAR_ROW / 2 + 4, str(bar.value)))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece was escaped by format_html


def swatch(colour: str) -> SafeString:
    """A legend's colour square, as a tiny SVG (no style attribute needed)."""
    return format_html(
        '<svg width="12" height="12" aria-hidden="true" focusable="false"><rect width="12" height="12" fill="{}"/></svg>',
        colour,
    )
