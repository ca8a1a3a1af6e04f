"""When office hours next open, and the window a moment falls in: what the page a client
sees after a risk answer says about when their therapist is next at work."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from alliance.messaging.hours import WeeklyHours, current_window, next_opening

MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS_9_TO_5 = WeeklyHours(frozenset({0, 1, 2, 3, 4}), time(9), time(17))
FRIDAY_NIGHT = WeeklyHours(frozenset({4}), time(22), time(2))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        ((2026, 11, 23, 8, 59), (2026, 11, 23, 9, 0)),  # Monday before nine
        ((2026, 11, 23, 9, 0), (2026, 11, 24, 9, 0)),  # inside: the next window
        ((2026, 11, 27, 17, 0), (2026, 11, 30, 9, 0)),  # Friday evening: Monday
        ((2026, 11, 28, 12, 0), (2026, 11, 30, 9, 0)),  # Saturday
    ],
)
def test_next_opening(moment: tuple[int, ...], opens: tuple[int, ...]) -> None:
    assert next_opening(WEEKDAYS_9_TO_5, at(*moment), MADRID) == at(*opens)


def test_next_opening_is_on_the_wall_clock_across_a_change_of_the_clocks() -> None:
    # Summer time ends on Sunday 25 October 2026: Monday still opens at 09:00.
    opens = next_opening(WEEKDAYS_9_TO_5, at(2026, 10, 24, 12, 0), MADRID)
    assert opens == at(2026, 10, 26, 9, 0)
    assert opens is not None and opens.utcoffset() == at(2026, 10, 26, 9, 0).utcoffset()


def test_no_office_days_never_open() -> None:
    never = WeeklyHours(frozenset(), time(9), time(17))
    assert next_opening(never, at(2026, 11, 23, 10, 0), MADRID) is None
    assert current_window(never, at(2026, 11, 23, 10, 0), MADRID) is None


def test_current_window() -> None:
    assert current_window(WEEKDAYS_9_TO_5, at(2026, 11, 23, 10, 0), MADRID) == (
        at(2026, 11, 23, 9, 0),
        at(2026, 11, 23, 17, 0),
    )
    assert current_window(WEEKDAYS_9_TO_5, at(2026, 11, 23, 17, 0), MADRID) is None
    # A window past midnight is still open on Saturday at 01:00.
    assert current_window(FRIDAY_NIGHT, at(2026, 11, 28, 1, 0), MADRID) == (
        at(2026, 11, 27, 22, 0),
        at(2026, 11, 28, 2, 0),
    )
