"""Every option of every item of every shipped instrument, through the real check-in
form, then every page and export that shows the response, for every role that may see
it, in English and Spanish (issue 12; the walk is tests/journeys/walk.py)."""

from __future__ import annotations

import pytest

from tests.conftest import Cast

from .answer_space import Pattern, covering_patterns
from .walk import walk

PATTERNS = [p for p in covering_patterns() if p.fixture is None]


@pytest.mark.parametrize("pattern", [pytest.param(p, id=p.label) for p in PATTERNS])
def test_every_answer_opens_every_page(cast: Cast, pattern: Pattern) -> None:
    walk(cast, pattern)
