"""Is a moment inside office hours? Edges, midnight and the summer-time changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from alliance.messaging.hours import WeeklyHours, in_zone, is_within, out_of_hours_since

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = WeeklyHours(frozenset({0, 1, 2, 3, 4}), time(9), time(17))
# Friday night into Saturday morning.
FRIDAY_NIGHT = WeeklyHours(frozenset({4}), time(22), time(2))


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        ((2026, 11, 23, 9, 0), True),  # Monday: the start is inside
        ((2026, 11, 23, 8, 59), False),
        ((2026, 11, 23, 16, 59), True),
        ((2026, 11, 23, 17, 0), False),  # the end is outside
        ((2026, 11, 28, 12, 0), False),  # Saturday
        ((2026, 11, 27, 12, 0), True),  # Friday
    ],
)
def test_weekday_hours_edges(moment: tuple[int, ...], inside: bool) -> None:
    assert is_within(WEEKDAYS_9_TO_5, at(MADRID, *moment), MADRID) is inside


def test_a_moment_is_judged_in_the_practice_time_zone() -> None:
    # 08:30 UTC is 09:30 in Madrid in winter (UTC+1): inside.
    assert is_within(WEEKDAYS_9_TO_5, datetime(2026, 11, 23, 8, 30, tzinfo=UTC), MADRID)
    assert not is_within(WEEKDAYS_9_TO_5, datetime(2026, 11, 23, 8, 30, tzinfo=UTC), NEW_YORK)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        ((2026, 11, 27, 21, 59), False),
        ((2026, 11, 27, 22, 0), True),
        ((2026, 11, 27, 23, 59), True),
        ((2026, 11, 28, 0, 0), True),  # past midnight, the Friday window is still open
        ((2026, 11, 28, 1, 59), True),
        ((2026, 11, 28, 2, 0), False),
        ((2026, 11, 28, 22, 30), False),  # Saturday night is not a Friday night
        ((2026, 11, 27, 1, 0), False),  # early Friday belongs to Thursday's (no) window
    ],
)
def test_hours_past_midnight(moment: tuple[int, ...], inside: bool) -> None:
    assert is_within(FRIDAY_NIGHT, at(MADRID, *moment), MADRID) is inside


def test_summer_time_changes_keep_the_wall_clock() -> None:
    # Madrid springs forward on Sunday 29 March 2026 and falls back on 25 October 2026;
    # the Mondays after both, 09:00 local is the opening time, whatever the UTC offset.
    assert is_within(WEEKDAYS_9_TO_5, datetime(2026, 3, 30, 7, 0, tzinfo=UTC), MADRID)
    assert not is_within(WEEKDAYS_9_TO_5, datetime(2026, 3, 30, 6, 59, tzinfo=UTC), MADRID)
    assert is_within(WEEKDAYS_9_TO_5, datetime(2026, 10, 26, 8, 0, tzinfo=UTC), MADRID)
    assert not is_within(WEEKDAYS_9_TO_5, datetime(2026, 10, 26, 7, 59, tzinfo=UTC), MADRID)


def test_a_window_over_the_night_the_clocks_change() -> None:
    saturday_night = WeeklyHours(frozenset({5}), time(23), time(4))
    # 02:30 on 29 March does not exist in Madrid; 03:30 local (01:30 UTC) is inside.
    assert is_within(saturday_night, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), MADRID)
    # 04:00 local summer time is 02:00 UTC: closed.
    assert not is_within(saturday_night, datetime(2026, 3, 29, 2, 0, tzinfo=UTC), MADRID)


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_within(WEEKDAYS_9_TO_5, datetime(2026, 11, 23, 9, 0), MADRID)


def test_out_of_hours_period_starts_at_the_last_closing_time() -> None:
    # Saturday noon: the period began on Friday at 17:00.
    since = out_of_hours_since(WEEKDAYS_9_TO_5, at(MADRID, 2026, 11, 28, 12, 0), MADRID)
    assert since == at(MADRID, 2026, 11, 27, 17, 0)
    # Monday 07:00: still the same weekend period.
    since = out_of_hours_since(WEEKDAYS_9_TO_5, at(MADRID, 2026, 11, 30, 7, 0), MADRID)
    assert since == at(MADRID, 2026, 11, 27, 17, 0)
    # Monday 18:00: a new period since 17:00 that day.
    since = out_of_hours_since(WEEKDAYS_9_TO_5, at(MADRID, 2026, 11, 30, 18, 0), MADRID)
    assert since == at(MADRID, 2026, 11, 30, 17, 0)
    # Past midnight hours close on the next day.
    since = out_of_hours_since(FRIDAY_NIGHT, at(MADRID, 2026, 11, 28, 9, 0), MADRID)
    assert since == at(MADRID, 2026, 11, 28, 2, 0)


def test_no_office_days_means_no_period_start() -> None:
    never = WeeklyHours(frozenset(), time(9), time(17))
    assert not is_within(never, at(MADRID, 2026, 11, 23, 10, 0), MADRID)
    assert out_of_hours_since(never, at(MADRID, 2026, 11, 23, 10, 0), MADRID) is None


# -- the same hours on another person's clock -----------------------------------------------

WEEK_OF_23_NOVEMBER = date(2026, 11, 23)  # a Monday; Madrid UTC+1, New York UTC-5


def test_hours_on_another_clock_keep_their_days_when_they_can() -> None:
    shown = in_zone(WEEKDAYS_9_TO_5, MADRID, NEW_YORK, WEEK_OF_23_NOVEMBER)
    assert shown == WeeklyHours(frozenset({0, 1, 2, 3, 4}), time(3), time(11))


def test_hours_on_another_clock_may_move_to_another_day() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")  # UTC+9: Friday 22:00 in Madrid is Saturday 06:00 there
    shown = in_zone(FRIDAY_NIGHT, MADRID, tokyo, WEEK_OF_23_NOVEMBER)
    assert shown == WeeklyHours(frozenset({5}), time(6), time(10))


def test_the_same_zone_gives_the_hours_unchanged() -> None:
    assert in_zone(WEEKDAYS_9_TO_5, MADRID, ZoneInfo("Europe/Madrid"), WEEK_OF_23_NOVEMBER) == (
        WEEKDAYS_9_TO_5
    )


def test_a_week_when_only_one_zone_changes_its_clocks_cannot_be_given_as_one_time() -> None:
    # 2026-03-08: New York moves to summer time, Madrid not until 29 March.
    assert in_zone(WEEKDAYS_9_TO_5, MADRID, NEW_YORK, date(2026, 3, 5)) is None
