"""What the journeys opened, printed in the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

from tests.journeys.walk import PAGES, PATTERNS, SECONDS


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not PATTERNS:
        return
    if config.option.verbose > 0:
        for name, n in sorted(PAGES.items()):
            seconds = SECONDS.get(name.split(" ")[0], 0.0)
            terminalreporter.write_line(f"{name}: {n} ({seconds:.1f} s for all of its kind)")
    terminalreporter.write_sep(
        "-",
        f"journeys: {sum(PATTERNS.values())} answer patterns over {len(PATTERNS)} instruments, "
        f"{sum(PAGES.values())} pages and exports opened",
    )
