"""The SVG chart on its own: valid, named for screen readers, escaped, and true to its numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from alliance.web import charts
from alliance.web.charts import BandShade, Baseline, Cutoff, Expected, Point, line_chart_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def render(**overrides: object) -> str:
    arguments: dict[str, object] = {
        "chart_id": "chart-1-phq-9",
        "title": "PHQ-9 over time",
        "description": "3 scores: first 18, latest 9.",
        "points": [
            Point(18, "1", "Session 1", "3 Jan 2026"),
            Point(12, "2", "Session 2", "17 Jan 2026"),
            Point(9, "3", "Session 3", "31 Jan 2026"),
        ],
        "y_min": 0,
        "y_max": 27,
        "series_label": "Total score",
        "bands": [
            BandShade(0, 5, "Minimal"),
            BandShade(5, 10, "Mild"),
            BandShade(10, 27, "Moderate or more"),
        ],
        "cutoff": Cutoff(10, "Clinical cut-off (10)"),
    }
    arguments.update(overrides)
    return line_chart_svg(**arguments)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    # Our own output, parsed to check that it is well-formed.
    return ET.fromstring(svg)  # noqa: S314


def elements(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [e for e in root.iter() if css_class in (e.get("class") or "").split()]


def y_of(value: float, low: float = 0, high: float = 27) -> float:
    return charts.PLOT_BOTTOM - (value - low) / (high - low) * charts.PLOT_HEIGHT


def test_chart_is_valid_xml_and_an_image_named_by_its_title_and_desc() -> None:
    root = parse(render())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and desc is not None
    assert title.text == "PHQ-9 over time"
    assert desc.text == "3 scores: first 18, latest 9."
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_chart_scales_to_its_container() -> None:
    root = parse(render())
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith(f"0 0 {charts.WIDTH} ")
    assert root.get("height") is None


def test_chart_has_no_inline_style_or_script() -> None:
    svg = render()
    assert "style=" not in svg
    assert "<script" not in svg
    assert "<style" not in svg
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_one_point_per_value_each_with_its_tooltip() -> None:
    root = parse(render())
    points = elements(root, "chart-point")
    assert len(points) == 3
    tooltips = [p.find("svg:title", NS).text for p in points]  # type: ignore[union-attr]
    assert tooltips == [
        "Session 1, 3 Jan 2026: 18",
        "Session 2, 17 Jan 2026: 12",
        "Session 3, 31 Jan 2026: 9",
    ]


def test_points_sit_at_their_values() -> None:
    root = parse(render())
    heights = [float(p.get("cy", "")) for p in elements(root, "chart-point")]
    assert heights == pytest.approx([y_of(18), y_of(12), y_of(9)], abs=0.01)


def test_points_go_left_to_right_in_order() -> None:
    root = parse(render())
    xs = [float(p.get("cx", "")) for p in elements(root, "chart-point")]
    assert xs == sorted(xs)
    assert xs[0] > charts.PLOT_LEFT
    assert xs[-1] < charts.PLOT_RIGHT


def test_line_joins_the_points() -> None:
    root = parse(render())
    (line,) = elements(root, "chart-line")
    assert len(line.get("points", "").split()) == 3


def test_each_band_is_shaded_between_its_limits() -> None:
    root = parse(render())
    rects = elements(root, "chart-band")
    assert len(rects) == 3
    mild = rects[1]
    assert float(mild.get("y", "")) == pytest.approx(y_of(10), abs=0.01)
    assert float(mild.get("height", "")) == pytest.approx(y_of(5) - y_of(10), abs=0.01)
    assert [r.find("svg:title", NS).text for r in rects] == [  # type: ignore[union-attr]
        "Minimal",
        "Mild",
        "Moderate or more",
    ]


def test_bands_and_cutoff_are_named_in_the_legend() -> None:
    root = parse(render())
    legend = [e.text for e in elements(root, "chart-legend")]
    assert legend == ["Total score", "Minimal", "Mild", "Moderate or more", "Clinical cut-off (10)"]


def test_cutoff_line_is_dashed_at_its_value() -> None:
    root = parse(render())
    (line,) = elements(root, "chart-cutoff")
    assert float(line.get("y1", "")) == pytest.approx(y_of(10), abs=0.01)
    assert line.get("y1") == line.get("y2")
    assert line.get("stroke-dasharray")


def test_no_cutoff_no_line() -> None:
    root = parse(render(cutoff=None))
    assert elements(root, "chart-cutoff") == []


def test_baseline_is_shaded_one_sd_either_side_of_the_mean() -> None:
    root = parse(
        render(
            y_max=50,
            bands=[],
            cutoff=None,
            baseline=Baseline(mean=40, sd=5, label="Baseline"),
        )
    )
    (shade,) = elements(root, "chart-baseline")
    assert float(shade.get("y", "")) == pytest.approx(y_of(45, high=50), abs=0.01)
    assert float(shade.get("height", "")) == pytest.approx(
        y_of(35, high=50) - y_of(45, high=50), abs=0.01
    )
    (mean,) = elements(root, "chart-baseline-mean")
    assert float(mean.get("y1", "")) == pytest.approx(y_of(40, high=50), abs=0.01)
    assert "Baseline" in [e.text for e in elements(root, "chart-legend")]


def test_expected_trajectory_is_a_dashed_line_through_its_values() -> None:
    root = parse(render(expected=Expected([17, None, 11], "Expected for this intake")))
    (line,) = elements(root, "chart-expected")
    coords = [pair.split(",") for pair in line.get("points", "").split()]
    assert [float(y) for _, y in coords] == pytest.approx([y_of(17), y_of(11)], abs=0.01)
    assert line.get("stroke-dasharray")


def test_text_is_escaped() -> None:
    svg = render(
        title="<script>alert(1)</script>",
        description='A & B "quoted"',
        points=[Point(3, "<1>", "Check-in <1>", "1 Jan")],
        bands=[BandShade(0, 5, "Below <cut-off> & more")],
        cutoff=Cutoff(10, "Cut-off <10>"),
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.find("svg:title", NS).text == "<script>alert(1)</script>"  # type: ignore[union-attr]
    assert root.find("svg:desc", NS).text == 'A & B "quoted"'  # type: ignore[union-attr]
    legend = [e.text for e in elements(root, "chart-legend")]
    assert "Below <cut-off> & more" in legend
    assert "Cut-off <10>" in legend


def test_chart_id_cannot_break_out_of_its_attribute() -> None:
    root = parse(render(chart_id='x" onload="alert(1)'))
    assert root.get("onload") is None
    title = root.find("svg:title", NS)
    assert title is not None
    assert " " not in (title.get("id") or "")


def test_colours_must_be_hex() -> None:
    with pytest.raises(ValueError, match="colours"):
        render(bands=[BandShade(0, 5, "Minimal", colour='red" onload="x')])


def test_empty_series_shows_a_message_and_no_points() -> None:
    root = parse(render(points=[], empty_text="No scores yet."))
    assert root.get("role") == "img"
    assert elements(root, "chart-point") == []
    assert elements(root, "chart-line") == []
    (message,) = elements(root, "chart-empty")
    assert message.text == "No scores yet."


def test_a_single_point_is_drawn_without_a_line() -> None:
    root = parse(render(points=[Point(14, "1")]))
    assert len(elements(root, "chart-point")) == 1
    assert elements(root, "chart-line") == []


def test_values_outside_the_range_stay_inside_the_plot() -> None:
    root = parse(render(points=[Point(-3, "1"), Point(40, "2")]))
    heights = [float(p.get("cy", "")) for p in elements(root, "chart-point")]
    assert heights == pytest.approx([y_of(0), y_of(27)], abs=0.01)


def test_many_points_keep_x_labels_readable() -> None:
    points = [Point(i % 20, str(i + 1)) for i in range(30)]
    root = parse(render(points=points))
    assert len(elements(root, "chart-point")) == 30
    ticks = [
        e.text
        for e in root.iter("{http://www.w3.org/2000/svg}text")
        if e.get("y") == str(charts.PLOT_BOTTOM + 20)
    ]
    assert len(ticks) <= charts.MAX_X_LABELS + 1
    assert ticks[0] == "1"
    assert ticks[-1] == "30"


def test_output_is_deterministic() -> None:
    assert render() == render()


def test_empty_range_is_refused() -> None:
    with pytest.raises(ValueError, match="y_max"):
        render(y_min=5, y_max=5)


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("background", [charts.PAPER, charts.BASELINE_FILL, *charts.BAND_FILLS])
def test_lines_keep_3_to_1_contrast_with_what_is_behind_them(background: str) -> None:
    # WCAG 2.2 1.4.11 (non-text contrast) for the parts needed to read the chart.
    for foreground in (charts.LINE, charts.CUTOFF, charts.EXPECTED):
        assert contrast(foreground, background) >= 3


@pytest.mark.parametrize("background", [charts.PAPER, *charts.BAND_FILLS])
def test_text_keeps_4_5_to_1_contrast(background: str) -> None:
    assert contrast(charts.INK, background) >= 4.5
    assert contrast(charts.MUTED, background) >= 4.5


def test_legend_can_be_left_to_the_page() -> None:
    with_legend, without = parse(render()), parse(render(legend=False))
    assert elements(without, "chart-legend") == []
    assert float(without.get("viewBox", "").split()[3]) < float(
        with_legend.get("viewBox", "").split()[3]
    )


def test_legend_entries_name_what_the_chart_draws() -> None:
    entries = charts.legend_entries(
        points=[Point(3, "1")],
        series_label="Total score",
        bands=[BandShade(0, 5, "Minimal")],
        cutoff=Cutoff(10, "Cut-off"),
        baseline=Baseline(4, 1, "Baseline"),
        expected=Expected([3], "Expected"),
    )
    assert [(e.kind, e.label) for e in entries] == [
        ("series", "Total score"),
        ("band", "Minimal"),
        ("baseline", "Baseline"),
        ("cutoff", "Cut-off"),
        ("expected", "Expected"),
    ]
    for entry in entries:
        swatch = parse(charts.legend_swatch_svg(entry))
        assert swatch.get("aria-hidden") == "true"
        assert "style=" not in charts.legend_swatch_svg(entry)
