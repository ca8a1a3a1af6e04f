"""Accessible SVG line charts of scores over time, rendered on the server as a string.

Pure functions, no database and no JavaScript: the chart reads the same with scripts off.
The Content-Security-Policy allows no inline styles, so colours and dashes are SVG
presentation attributes (``fill``, ``stroke``…), which are markup, not CSS. The chart is
one image to assistive technology (``role="img"``), named by its ``<title>`` and described
by its ``<desc>``; every page that shows a chart also shows a table of the same numbers.

Every text that goes into the SVG is escaped here, so callers may mark the result safe.
The output depends only on the arguments (fixed number formatting, no ids drawn at
random), so the same scores always render the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

WIDTH = 640
PLOT_LEFT = 56
PLOT_RIGHT = WIDTH - 20
PLOT_TOP = 30
PLOT_HEIGHT = 220
PLOT_BOTTOM = PLOT_TOP + PLOT_HEIGHT
# Keeps the first and last points off the axes.
X_PADDING = 18
X_AXIS_SPACE = 50
LEGEND_ROW = 24
FONT_SIZE = 16
MAX_X_LABELS = 12

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif"
INK = "#1d2327"
MUTED = "#4a5560"
GRID = "#d5d9dd"
PAPER = "#ffffff"
# The data line keeps at least 3:1 contrast (WCAG 1.4.11) against white and every band fill.
LINE = "#1f5f5f"
CUTOFF = "#3d4852"
EXPECTED = "#8a4b00"
BASELINE_FILL = "#e9d9b0"
BASELINE_LINE = "#7a5a12"
# Muted, one hue, light to darker: the bands are context, the scores are the subject.
BAND_FILLS = ("#eef3f6", "#e0e9ef", "#d2dfe8", "#c4d5e1", "#b7cbda")

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Point:
    """One score: its value, a short x-axis label (a session number) and what it was."""

    value: float
    tick: str
    # For the point's tooltip, e.g. "Session 3" and "12 Mar 2026".
    name: str = ""
    date: str = ""

    @property
    def tooltip(self) -> str:
        where = ", ".join(part for part in (self.name or self.tick, self.date) if part)
        return f"{where}: {number(self.value)}" if where else number(self.value)


@dataclass(frozen=True)
class BandShade:
    """A range of scores shaded behind the line, named in the legend."""

    lower: float
    upper: float
    label: str
    colour: str = ""


@dataclass(frozen=True)
class Cutoff:
    """A horizontal dashed line, e.g. the clinical cut-off."""

    value: float
    label: str


@dataclass(frozen=True)
class Baseline:
    """A person's own baseline: mean ± 1 SD of their first scores, shaded."""

    mean: float
    sd: float
    label: str


@dataclass(frozen=True)
class Expected:
    """An expected trajectory: one value per point (``None`` where there is none), dashed."""

    values: Sequence[float | None]
    label: str


def number(value: float) -> str:
    """A score as people read it: whole numbers without ``.0``, else one decimal."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def band_colour(index: int) -> str:
    return BAND_FILLS[index % len(BAND_FILLS)]


def line_chart_svg(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[Point],
    y_min: float,
    y_max: float,
    series_label: str = "",
    y_label: str = "",
    x_label: str = "",
    bands: Sequence[BandShade] = (),
    cutoff: Cutoff | None = None,
    baseline: Baseline | None = None,
    expected: Expected | None = None,
    empty_text: str = "",
    legend: bool = True,
) -> str:
    """An SVG line chart of ``points`` on a y axis from ``y_min`` to ``y_max``.

    Points are spaced evenly in the order given (check-in order); ``tick`` labels the x
    axis. Values outside the range are drawn at its edge. With no points, the chart shows
    ``empty_text`` inside an empty frame. The SVG scales to its container's width.

    ``legend=False`` leaves the legend out, for a page that writes it as HTML text
    (:func:`legend_entries`, :func:`legend_swatch_svg`): text in an SVG shrinks with the
    chart on a phone, text on the page does not.
    """
    if not y_max > y_min:
        raise ValueError("y_max must be greater than y_min")
    for shade in bands:
        _colour(shade.colour or BAND_FILLS[0])
    cid = _ID_UNSAFE.sub("-", chart_id) or "chart"
    legend_rows = (
        legend_entries(
            points=points,
            series_label=series_label,
            bands=bands,
            cutoff=cutoff,
            baseline=baseline,
            expected=expected,
        )
        if legend
        else []
    )
    height = PLOT_BOTTOM + X_AXIS_SPACE + LEGEND_ROW * len(legend_rows) + 8
    scale = _Scale(y_min, y_max, len(points))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{_attr(FONT)}" '
        f'font-size="{FONT_SIZE}" fill="{INK}">',
        f'<title id="{cid}-title">{_text(title)}</title>',
        f'<desc id="{cid}-desc">{_text(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="{PAPER}"/>',
    ]
    parts += _bands(scale, bands)
    if baseline is not None:
        parts += _baseline(scale, baseline)
    parts += _y_axis(scale, y_label)
    if cutoff is not None:
        parts += _cutoff(scale, cutoff)
    if points:
        parts += _x_axis(scale, points, x_label)
        if expected is not None:
            parts += _expected(scale, expected)
        parts += _series(scale, points)
    else:
        parts.append(
            f'<text class="chart-empty" x="{_c((PLOT_LEFT + PLOT_RIGHT) / 2)}" '
            f'y="{_c(PLOT_TOP + PLOT_HEIGHT / 2)}" text-anchor="middle" fill="{MUTED}">'
            f"{_text(empty_text)}</text>"
        )
    parts += _legend(legend_rows, PLOT_BOTTOM + X_AXIS_SPACE)
    parts.append("</svg>")
    return "".join(parts)


class _Scale:
    def __init__(self, y_min: float, y_max: float, count: int) -> None:
        self.y_min, self.y_max, self.count = y_min, y_max, count

    def y(self, value: float) -> float:
        clamped = min(max(value, self.y_min), self.y_max)
        return PLOT_BOTTOM - (clamped - self.y_min) / (self.y_max - self.y_min) * PLOT_HEIGHT

    def x(self, index: int) -> float:
        if self.count <= 1:
            return (PLOT_LEFT + PLOT_RIGHT) / 2
        inner = PLOT_RIGHT - PLOT_LEFT - 2 * X_PADDING
        return PLOT_LEFT + X_PADDING + index * inner / (self.count - 1)


@dataclass(frozen=True)
class LegendEntry:
    kind: Literal["series", "band", "baseline", "cutoff", "expected"]
    label: str
    colour: str


def legend_entries(
    *,
    points: Sequence[Point],
    series_label: str = "",
    bands: Sequence[BandShade] = (),
    cutoff: Cutoff | None = None,
    baseline: Baseline | None = None,
    expected: Expected | None = None,
) -> list[LegendEntry]:
    """What the chart's legend names, in order: the same arguments as the chart takes."""
    entries: list[LegendEntry] = []
    if points and series_label:
        entries.append(LegendEntry("series", series_label, LINE))
    entries += [
        LegendEntry("band", shade.label, _colour(shade.colour or band_colour(index)))
        for index, shade in enumerate(bands)
    ]
    if baseline is not None:
        entries.append(LegendEntry("baseline", baseline.label, BASELINE_FILL))
    if cutoff is not None:
        entries.append(LegendEntry("cutoff", cutoff.label, CUTOFF))
    if expected is not None and points:
        entries.append(LegendEntry("expected", expected.label, EXPECTED))
    return entries


def legend_swatch_svg(entry: LegendEntry) -> str:
    """A small decorative SVG of one legend entry's mark, to stand before its text."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-swatch" width="24" height="16" '
        'viewBox="0 0 24 16" aria-hidden="true" focusable="false">'
        + _swatch(entry, 0, 8)
        + "</svg>"
    )


def _swatch(entry: LegendEntry, x: float, middle: float) -> str:
    if entry.kind in ("band", "baseline"):
        return (
            f'<rect x="{_c(x + 0.5)}" y="{_c(middle - 7.5)}" width="23" height="15" '
            f'fill="{_colour(entry.colour)}" stroke="{MUTED}" stroke-width="1"/>'
        )
    if entry.kind == "series":
        return (
            f'<line x1="{_c(x)}" x2="{_c(x + 24)}" y1="{_c(middle)}" y2="{_c(middle)}" '
            f'stroke="{LINE}" stroke-width="2.5"/>'
            f'<circle cx="{_c(x + 12)}" cy="{_c(middle)}" r="5" fill="{LINE}"/>'
        )
    dash = "8 5" if entry.kind == "cutoff" else "2 5"
    return (
        f'<line x1="{_c(x)}" x2="{_c(x + 24)}" y1="{_c(middle)}" y2="{_c(middle)}" '
        f'stroke="{_colour(entry.colour)}" stroke-width="2" stroke-dasharray="{dash}"/>'
    )


def _bands(scale: _Scale, bands: Sequence[BandShade]) -> list[str]:
    parts = []
    for index, shade in enumerate(bands):
        top, bottom = scale.y(max(shade.lower, shade.upper)), scale.y(min(shade.lower, shade.upper))
        if bottom - top <= 0:
            continue
        parts.append(
            f'<rect class="chart-band" x="{PLOT_LEFT}" y="{_c(top)}" '
            f'width="{PLOT_RIGHT - PLOT_LEFT}" height="{_c(bottom - top)}" '
            f'fill="{_colour(shade.colour or band_colour(index))}">'
            f"<title>{_text(shade.label)}</title></rect>"
        )
    return parts


def _baseline(scale: _Scale, baseline: Baseline) -> list[str]:
    top, bottom = scale.y(baseline.mean + baseline.sd), scale.y(baseline.mean - baseline.sd)
    mean_y = _c(scale.y(baseline.mean))
    return [
        f'<rect class="chart-baseline" x="{PLOT_LEFT}" y="{_c(top)}" '
        f'width="{PLOT_RIGHT - PLOT_LEFT}" height="{_c(bottom - top)}" '
        f'fill="{BASELINE_FILL}" fill-opacity="0.6"><title>{_text(baseline.label)}</title></rect>',
        f'<line class="chart-baseline-mean" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" '
        f'y1="{mean_y}" y2="{mean_y}" stroke="{BASELINE_LINE}" stroke-width="1.5"/>',
    ]


def _y_axis(scale: _Scale, y_label: str) -> list[str]:
    parts = []
    for tick in _y_ticks(scale.y_min, scale.y_max):
        y = _c(scale.y(tick))
        parts.append(
            f'<line class="chart-grid" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{y}" y2="{y}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{PLOT_LEFT - 8}" y="{y}" dy="0.35em" text-anchor="end" fill="{MUTED}">'
            f"{_text(number(tick))}</text>"
        )
    parts.append(
        f'<line class="chart-axis" x1="{PLOT_LEFT}" x2="{PLOT_LEFT}" y1="{PLOT_TOP}" '
        f'y2="{PLOT_BOTTOM}" stroke="{MUTED}" stroke-width="1"/>'
        f'<line class="chart-axis" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{PLOT_BOTTOM}" '
        f'y2="{PLOT_BOTTOM}" stroke="{MUTED}" stroke-width="1"/>'
    )
    if y_label:
        parts.append(
            f'<text class="chart-y-label" x="{PLOT_LEFT - 8}" y="{PLOT_TOP - 12}" '
            f'fill="{MUTED}">{_text(y_label)}</text>'
        )
    return parts


def _cutoff(scale: _Scale, cutoff: Cutoff) -> list[str]:
    y = _c(scale.y(cutoff.value))
    return [
        f'<line class="chart-cutoff" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{y}" y2="{y}" '
        f'stroke="{CUTOFF}" stroke-width="2" stroke-dasharray="8 5">'
        f"<title>{_text(cutoff.label)}</title></line>"
    ]


def _x_axis(scale: _Scale, points: Sequence[Point], x_label: str) -> list[str]:
    parts = []
    for index in _x_label_indexes(len(points)):
        parts.append(
            f'<text x="{_c(scale.x(index))}" y="{PLOT_BOTTOM + 20}" text-anchor="middle" '
            f'fill="{MUTED}">{_text(points[index].tick)}</text>'
        )
    if x_label:
        parts.append(
            f'<text class="chart-x-label" x="{_c((PLOT_LEFT + PLOT_RIGHT) / 2)}" '
            f'y="{PLOT_BOTTOM + 42}" text-anchor="middle" fill="{MUTED}">{_text(x_label)}</text>'
        )
    return parts


def _expected(scale: _Scale, expected: Expected) -> list[str]:
    coords = [
        f"{_c(scale.x(index))},{_c(scale.y(value))}"
        for index, value in enumerate(expected.values[: scale.count])
        if value is not None
    ]
    if len(coords) < 2:
        return []
    return [
        f'<polyline class="chart-expected" points="{" ".join(coords)}" fill="none" '
        f'stroke="{EXPECTED}" stroke-width="2" stroke-dasharray="2 5" stroke-linecap="round">'
        f"<title>{_text(expected.label)}</title></polyline>"
    ]


def _series(scale: _Scale, points: Sequence[Point]) -> list[str]:
    parts = []
    if len(points) > 1:
        coords = " ".join(
            f"{_c(scale.x(index))},{_c(scale.y(point.value))}" for index, point in enumerate(points)
        )
        parts.append(
            f'<polyline class="chart-line" points="{coords}" fill="none" stroke="{LINE}" '
            f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    for index, point in enumerate(points):
        parts.append(
            f'<circle class="chart-point" cx="{_c(scale.x(index))}" '
            f'cy="{_c(scale.y(point.value))}" r="5" fill="{LINE}" stroke="{PAPER}" '
            f'stroke-width="1.5"><title>{_text(point.tooltip)}</title></circle>'
        )
    return parts


def _legend(entries: list[LegendEntry], top: float) -> list[str]:
    parts = []
    for row, entry in enumerate(entries):
        middle = top + row * LEGEND_ROW + LEGEND_ROW / 2
        parts.append(_swatch(entry, PLOT_LEFT, middle))
        parts.append(
            f'<text class="chart-legend" x="{PLOT_LEFT + 34}" y="{_c(middle)}" dy="0.35em">'
            f"{_text(entry.label)}</text>"
        )
    return parts


def _y_ticks(low: float, high: float) -> list[float]:
    """Round-numbered ticks, at most seven, from ``low`` to ``high``."""
    span = high - low
    step = next(
        mantissa * 10.0**exponent
        for exponent in range(-3, 10)
        for mantissa in (1, 2, 2.5, 5)
        if span / (mantissa * 10.0**exponent) <= 6
    )
    first = math.ceil(low / step - 1e-9)
    ticks = []
    value = first * step
    while value <= high + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def _x_label_indexes(count: int) -> list[int]:
    """Which points get an x-axis label: all, or evenly thinned so labels do not overlap."""
    step = max(1, math.ceil(count / MAX_X_LABELS))
    indexes = list(range(0, count, step))
    if indexes[-1] != count - 1:
        if count - 1 - indexes[-1] < step / 2:
            indexes.pop()
        indexes.append(count - 1)
    return indexes


def _c(value: float) -> str:
    """A coordinate with fixed precision, so that output is the same on every platform."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(value: str) -> str:
    return escape(str(value), quote=True)


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise ValueError(f"colours are #rrggbb, got {value!r}")
    return value
