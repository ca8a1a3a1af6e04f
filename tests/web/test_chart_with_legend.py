"""One chart-and-legend for every page that draws scores (web/presenters/charts.py)."""

from __future__ import annotations

from alliance.web.charts import BandShade, Cutoff, Point
from alliance.web.presenters.charts import chart_with_legend
from tests.web.test_charts import elements, parse, render


def test_the_legend_is_on_the_page_and_not_in_the_svg() -> None:
    drawn = chart_with_legend(
        chart_id="chart-1-phq-9",
        title="PHQ-9 over time",
        description="3 scores: first 18, latest 9.",
        points=[
            Point(18, "1", "Session 1", "3 Jan 2026"),
            Point(12, "2", "Session 2", "17 Jan 2026"),
            Point(9, "3", "Session 3", "31 Jan 2026"),
        ],
        y_min=0,
        y_max=27,
        series_label="Total score",
        bands=[
            BandShade(0, 5, "Minimal"),
            BandShade(5, 10, "Mild"),
            BandShade(10, 27, "Moderate or more"),
        ],
        cutoff=Cutoff(10, "Clinical cut-off (10)"),
    )
    assert str(drawn.svg) == render(legend=False)
    assert elements(parse(drawn.svg), "chart-legend") == []
    # The same names, in the same order, as the chart would have drawn in its own legend.
    assert [text for _, text in drawn.legend] == [
        e.text for e in elements(parse(render()), "chart-legend")
    ]
    for swatch, _ in drawn.legend:
        assert parse(swatch).get("aria-hidden") == "true"
