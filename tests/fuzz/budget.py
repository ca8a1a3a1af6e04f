"""How many fuzz cases a run makes, and the count of those that ran.

The shares add up to at least 10,000 cases a run (issue 6). Each test asserts that it
ran its share, and tests/fuzz/conftest.py prints in the terminal summary what ran.
Form cases cost about 35 ms each (a request with its page), import cases about 12 ms.
"""

from __future__ import annotations

from collections import Counter

FORM_CASES = 1_500
IMPORT_CASES = 8_500
assert FORM_CASES + IMPORT_CASES >= 10_000


class FuzzCounter:
    def __init__(self) -> None:
        self.cases: Counter[str] = Counter()
        # What each form answered, by status code (printed with -v).
        self.statuses: dict[str, Counter[int]] = {}

    def add(self, kind: str, n: int = 1) -> None:
        self.cases[kind] += n


COUNTER = FuzzCounter()
