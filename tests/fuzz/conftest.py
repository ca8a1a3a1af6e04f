"""The fuzz-case count, given to the tests and printed in the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fuzz.budget import COUNTER, FuzzCounter


@pytest.fixture
def fuzz_counter() -> FuzzCounter:
    return COUNTER


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not COUNTER.cases:
        return
    if config.option.verbose > 0:
        for name, counts in sorted(COUNTER.statuses.items()):
            answers = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
            terminalreporter.write_line(f"{name}: {answers}")
    parts = ", ".join(f"{kind} {n:,}" for kind, n in sorted(COUNTER.cases.items()))
    total = sum(COUNTER.cases.values())
    terminalreporter.write_sep("-", f"fuzz cases run: {total:,} ({parts})")
