"""A wide table scrolls sideways on a phone, in a `.table-wrap`; a region that scrolls must
take keyboard focus and have a name (axe: scrollable-region-focusable). The demo walk in
tests/e2e/test_demo_axe.py finds the tables that overflow today; this finds any written
without the shared attributes, whether it overflows with today's data or not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError

import alliance


def test_every_table_wrap_in_a_template_is_a_named_focusable_region() -> None:
    root = Path(alliance.__file__).parent
    checked = 0
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        checked += text.count("{% table_region")
        assert not re.search(r"""class=["'][^"']*\btable-wrap\b""", text), (
            f"{template}: write <div {{% table_region ... %}}> for a table's scrolling box"
        )
    assert checked >= 20


def test_table_region_names_the_region_by_its_heading_or_a_label() -> None:
    by_heading = Template('{% load alliance %}<div {% table_region "goal-" pk %}>').render(
        Context({"pk": 7})
    )
    assert by_heading == (
        '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="goal-7">'
    )
    by_label = Template("{% load alliance %}<div {% table_region label=caption %}>").render(
        Context({"caption": 'Scores "so far"'})
    )
    assert by_label == (
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Scores &quot;so far&quot;">'
    )
    with pytest.raises(TemplateSyntaxError):
        Template("{% load alliance %}<div {% table_region %}>").render(Context({}))
