"""A chart with its legend written on the page, for every page that draws scores.

``web/charts.py`` draws; this module hands a template the two parts it places: the SVG
and the legend as (swatch, text) pairs, so that the legend's text keeps its size on a
phone while the chart shrinks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from alliance.web import charts


@dataclass(frozen=True)
class ChartWithLegend:
    svg: SafeString
    # (swatch SVG, text) pairs, written on the page where the text keeps its size.
    legend: list[tuple[SafeString, str]]


def chart_with_legend(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[charts.Point],
    y_min: float,
    y_max: float,
    series_label: str = "",
    y_label: str = "",
    x_label: str = "",
    bands: Sequence[charts.BandShade] = (),
    cutoff: charts.Cutoff | None = None,
    baseline: charts.Baseline | None = None,
    expected: charts.Expected | None = None,
) -> ChartWithLegend:
    """The chart without its own legend, and the legend it would have drawn."""
    svg = charts.line_chart_svg(
        chart_id=chart_id,
        title=title,
        description=description,
        points=points,
        y_min=y_min,
        y_max=y_max,
        series_label=series_label,
        y_label=y_label,
        x_label=x_label,
        bands=bands,
        cutoff=cutoff,
        baseline=baseline,
        expected=expected,
        legend=False,
    )
    entries = charts.legend_entries(
        points=points,
        series_label=series_label,
        bands=bands,
        cutoff=cutoff,
        baseline=baseline,
        expected=expected,
    )
    return ChartWithLegend(
        svg=_safe(svg),
        legend=[(_safe(charts.legend_swatch_svg(entry)), entry.label) for entry in entries],
    )


def _safe(svg: str) -> SafeString:
    # web/charts.py escapes every text it is given.
    return mark_safe(svg)  # noqa: S308
