"""Imported instruments (the external LHC-Forms PHQ-9, registered through the import
service; the SDC-style nested form) walked like the shipped ones, and a fixed budget of
answer combinations drawn by hypothesis over every instrument (derandomized: CI runs the
same cases every time)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance import instruments as engine
from alliance.web.questionnaire import answer_needed
from tests.conftest import Cast

from .answer_space import LANGUAGES, Pattern, covering_patterns, item_values
from .walk import registered, walk

JOURNEY_EXAMPLES = 8
ALL_PATTERNS = covering_patterns()
PATTERNS = [p for p in ALL_PATTERNS if p.fixture is not None]


@pytest.mark.parametrize("pattern", [pytest.param(p, id=p.label) for p in PATTERNS])
def test_every_imported_answer_opens_every_page(cast: Cast, pattern: Pattern) -> None:
    walk(cast, registered(pattern))


def _sources() -> list[tuple[engine.Instrument, str | None]]:
    seen: dict[str, tuple[engine.Instrument, str | None]] = {}
    for pattern in ALL_PATTERNS:
        seen.setdefault(pattern.instrument.id, (pattern.instrument, pattern.fixture))
    return list(seen.values())


@st.composite
def patterns(draw: Any) -> Pattern:
    inst, fixture = draw(st.sampled_from(_sources()))
    answers = {}
    for item in inst.items:
        choice = st.sampled_from(item_values(item))
        if item.kind == "text":
            choice = st.text(
                st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                min_size=1,
                max_size=40,
            ).filter(lambda s: s.strip() == s and s != "")
        if answer_needed(inst, item):
            answers[item.link_id] = draw(choice)
        else:
            value = draw(st.none() | choice)
            if value is not None:
                answers[item.link_id] = value
    language = draw(st.sampled_from(LANGUAGES))
    return Pattern(inst, fixture, answers, language, f"{inst.id}-drawn")


@settings(
    max_examples=JOURNEY_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(pattern=patterns())
def test_drawn_answers_open_every_page(cast: Cast, pattern: Pattern) -> None:
    walk(cast, registered(pattern))
