"""Dates in the reader's words and zone; time zones named plainly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from alliance.localtime import (
    STYLES,
    is_time_zone,
    when,
    zone_choices,
    zone_label,
    zone_of,
)

SATURDAY = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("style", "english", "spanish"),
    [
        ("date", "5 December 2026", "5 de diciembre de 2026"),
        ("date_time", "5 December 2026, 14:00", "5 de diciembre de 2026, 14:00"),
        ("weekday", "Saturday 5 December", "sábado, 5 de diciembre"),
        ("weekday_time", "Saturday 5 December, 14:00", "sábado, 5 de diciembre, 14:00"),
        ("weekday_date", "Saturday 5 December 2026", "sábado, 5 de diciembre de 2026"),
        ("short_date", "5 Dec 2026", "5 dic 2026"),
        ("short_weekday_time", "Sat 5 Dec, 14:00", "sáb, 5 dic, 14:00"),
    ],
)
def test_dates_read_naturally_in_each_language(style: str, english: str, spanish: str) -> None:
    with timezone.override(UTC):
        assert when(SATURDAY, style, language="en") == english
        assert when(SATURDAY, style, language="es") == spanish


def test_every_style_has_english_and_spanish() -> None:
    for style, patterns in STYLES.items():
        assert set(patterns) == {"en", "es"}, style


def test_an_aware_time_is_shown_in_the_current_zone() -> None:
    with timezone.override(ZoneInfo("America/New_York")), translation.override("en"):
        assert when(SATURDAY, "date_time") == "5 December 2026, 09:00"
    assert when(date(2026, 12, 5), "date", language="es") == "5 de diciembre de 2026"


def test_the_template_filter_uses_the_page_language_and_zone() -> None:
    template = Template('{% load alliance %}{{ moment|when:"weekday_time" }}')
    with timezone.override(ZoneInfo("Europe/Madrid")), translation.override("es"):
        assert template.render(Context({"moment": SATURDAY})) == "sábado, 5 de diciembre, 15:00"
    assert Template('{% load alliance %}{{ moment|when:"date" }}').render(Context({})) == ""


def test_zones_are_named_plainly() -> None:
    assert zone_label("America/New_York") == "New York"
    assert zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires (Argentina)"
    assert zone_label("UTC") == "UTC"


def test_the_choice_offers_cities_by_region_not_old_aliases() -> None:
    choices = zone_choices()
    assert choices[0] == ("UTC", "UTC")
    offered = {name for _, group in choices[1:] for name, _label in group}
    assert {"America/New_York", "Europe/Madrid", "America/Mexico_City"} <= offered
    assert not {"US/Eastern", "EST5EDT", "Etc/GMT+5"} & offered
    assert all(is_time_zone(name) for name in offered)


class Person:
    def __init__(self, time_zone: str) -> None:
        self.time_zone = time_zone


def test_a_persons_zone_falls_back_to_the_practices(settings: object) -> None:
    assert zone_of(Person("Asia/Tokyo")).key == "Asia/Tokyo"
    assert zone_of(Person("")).key == "UTC"
    assert zone_of(Person("Atlantis/Capital")).key == "UTC"
    assert not is_time_zone("")


def test_no_page_writes_a_date_with_a_pattern_of_its_own() -> None:
    """Dates for people go through a named style (|when, localtime.when): a pattern typed in
    a template reads wrongly in Spanish ("sábado 5 diciembre")."""
    import re
    from pathlib import Path

    import alliance

    root = Path(alliance.__file__).parent
    machine = {"c", "Y-m-d", "U"}
    found = []
    for path in [*root.rglob("*.html"), *root.glob("*/templates/**/*.txt")]:
        text = path.read_text(encoding="utf-8")
        found += [
            f"{path.relative_to(root)}: {pattern}"
            for pattern in re.findall(r'\|(?:date|time):"([^"]*)"', text)
            if pattern not in machine
        ]
    for path in root.rglob("*.py"):
        if path.name != "localtime.py" and "date_format(" in path.read_text(encoding="utf-8"):
            found.append(f"{path.relative_to(root)}: date_format")
    assert not found, f"use the |when filter or alliance.localtime.when: {found}"
