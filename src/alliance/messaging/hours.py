"""Office hours: is a moment inside a therapist's weekly hours? Pure Python, no Django.

Hours are wall-clock times in the practice's time zone. Every comparison is made on local
wall-clock time (the moment converted with ``zoneinfo``), so a change to or from summer
time moves nothing: 09:00 stays 09:00 on the day the clocks change. A window whose end is
not after its start runs past midnight into the next day (22:00-02:00 on a Friday covers
Saturday 00:00-02:00 too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Monday is 0, as in ``date.weekday()``.
WEEKDAYS = range(7)


@dataclass(frozen=True)
class WeeklyHours:
    days: frozenset[int]
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The (naive, local) start and end of the window that opens on ``day``."""
        closes_on = day + timedelta(days=1) if self.crosses_midnight else day
        return datetime.combine(day, self.start), datetime.combine(closes_on, self.end)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("An aware datetime is needed to compare with office hours.")
    return moment.astimezone(tz).replace(tzinfo=None)


def is_within(hours: WeeklyHours, moment: datetime, tz: ZoneInfo) -> bool:
    """Whether ``moment`` falls inside the hours: the start is in, the end is out."""
    local = _local(moment, tz)
    # A window that opened yesterday may still be open after midnight.
    for day in (local.date() - timedelta(days=1), local.date()):
        if day.weekday() not in hours.days:
            continue
        opens, closes = hours.window(day)
        if opens <= local < closes:
            return True
    return False


def out_of_hours_since(hours: WeeklyHours, moment: datetime, tz: ZoneInfo) -> datetime | None:
    """When the out-of-hours period that contains ``moment`` began: the latest closing time
    at or before it (aware, in ``tz``). None when there are no office days at all."""
    local = _local(moment, tz)
    for back in range(9):
        day = local.date() - timedelta(days=back)
        if day.weekday() not in hours.days:
            continue
        _, closes = hours.window(day)
        if closes <= local:
            return closes.replace(tzinfo=tz)
    return None


def current_window(
    hours: WeeklyHours, moment: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The (aware, in ``tz``) start and end of the window ``moment`` falls in, if any."""
    local = _local(moment, tz)
    for day in (local.date() - timedelta(days=1), local.date()):
        if day.weekday() not in hours.days:
            continue
        opens, closes = hours.window(day)
        if opens <= local < closes:
            return opens.replace(tzinfo=tz), closes.replace(tzinfo=tz)
    return None


def next_opening(hours: WeeklyHours, moment: datetime, tz: ZoneInfo) -> datetime | None:
    """When the hours next open after ``moment`` (aware, in ``tz``); None when there are no
    office days. Inside a window, this is the start of the next one."""
    local = _local(moment, tz)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        if day.weekday() not in hours.days:
            continue
        opens, _closes = hours.window(day)
        if opens > local:
            return opens.replace(tzinfo=tz)
    return None


def in_zone(
    hours: WeeklyHours, source: ZoneInfo, target: ZoneInfo, week_of: date
) -> WeeklyHours | None:
    """The same hours as a reader in ``target`` sees them on their own clock, for the week
    that starts on ``week_of``: 09:00-17:00 in Madrid is 03:00-11:00 in New York, and a
    window may move to another day. None when the week's windows do not all fall at the
    same local times (a change to or from summer time in one zone only): the caller then
    gives the hours as they are, naming ``source``."""
    if source.key == target.key or not hours.days:
        return hours
    days, starts, ends = set(), set(), set()
    for offset in range(7):
        day = week_of + timedelta(days=offset)
        if day.weekday() not in hours.days:
            continue
        opens, closes = hours.window(day)
        there_opens = opens.replace(tzinfo=source).astimezone(target)
        there_closes = closes.replace(tzinfo=source).astimezone(target)
        days.add(there_opens.weekday())
        starts.add(there_opens.time())
        ends.add(there_closes.time())
    if len(starts) != 1 or len(ends) != 1:
        return None
    return WeeklyHours(frozenset(days), starts.pop(), ends.pop())
