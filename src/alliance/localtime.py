"""Dates and times as a person reads them: in their language and their time zone, with the
zone named.

Each person may choose a time zone (``User.time_zone``, an IANA name; empty means the
practice's ``ALLIANCE_TIME_ZONE``). ``alliance.web.middleware.UserLanguageMiddleware``
makes it the current zone for their requests, so Django shows every aware datetime in it;
e-mails use :func:`zone_of` for the person they go to.

A date is written through a named style (:data:`STYLES`), one pattern per language:
Spanish needs "de" between day, month and year and a comma after the weekday
("sábado, 5 de diciembre"), which a single English pattern such as ``"l j F"`` cannot give
("sábado 5 diciembre").
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STYLES: dict[str, dict[str, str]] = {
    # 5 December 2026 · 5 de diciembre de 2026
    "date": {"en": "j F Y", "es": r"j \d\e F \d\e Y"},
    "date_time": {"en": "j F Y, H:i", "es": r"j \d\e F \d\e Y, H:i"},
    # 5 Dec 2026 · 5 dic 2026 (tables; "b", as Spanish does not capitalise months)
    "short_date": {"en": "j M Y", "es": "j b Y"},
    "short_date_time": {"en": "j M Y, H:i", "es": "j b Y, H:i"},
    "short_date_seconds": {"en": "j M Y, H:i:s", "es": "j b Y, H:i:s"},
    "short_day": {"en": "j M", "es": "j b"},
    # Saturday 5 December · sábado, 5 de diciembre
    "weekday": {"en": "l j F", "es": r"l, j \d\e F"},
    "weekday_time": {"en": "l j F, H:i", "es": r"l, j \d\e F, H:i"},
    "weekday_date": {"en": "l j F Y", "es": r"l, j \d\e F \d\e Y"},
    "weekday_date_time": {"en": "l j F Y, H:i", "es": r"l, j \d\e F \d\e Y, H:i"},
    # Sat 5 Dec, 14:00 · sáb, 5 dic, 14:00
    "short_weekday_time": {"en": "D j M, H:i", "es": "D, j b, H:i"},
    "short_weekday_date_time": {"en": "D j M Y, H:i", "es": "D, j b Y, H:i"},
    "time": {"en": "H:i", "es": "H:i"},
}


def when(value: datetime | date, style: str, *, language: str | None = None) -> str:
    """``value`` written in ``style``, in ``language`` (the active one by default); an aware
    datetime is first moved into the current time zone."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    patterns = STYLES[style]
    pattern = patterns.get(language) or patterns.get(language.split("-")[0]) or patterns["en"]
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    with translation.override(language):
        return formats.date_format(value, pattern)


# -- time zones ---------------------------------------------------------------------------

# The regions of the IANA database; the other names (US/Eastern, EST5EDT, Etc/GMT+5...) are
# old aliases or fixed offsets that read worse than the city they stand for.
AREAS: dict[str, str | Promise] = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA zone this server knows (an empty name, "the practice's", is not one)."""
    return name in _known_zones()


def practice_zone_name() -> str:
    return str(settings.TIME_ZONE)


def zone_of(person: object) -> ZoneInfo:
    """The person's own zone, else the practice's (also for a name no longer known)."""
    name = getattr(person, "time_zone", "") or ""
    return ZoneInfo(name if is_time_zone(name) else practice_zone_name())


def zone_label(name: str) -> str:
    """A zone named plainly: "New York" for America/New_York, "Buenos Aires (Argentina)"
    for America/Argentina/Buenos_Aires, "UTC" for UTC."""
    parts = name.replace("_", " ").split("/")
    if len(parts) == 1:
        return parts[0]
    if len(parts) > 2:
        return f"{parts[-1]} ({parts[-2]})"
    return parts[-1]


def zone_choices() -> list[tuple[str, Any]]:
    """UTC, then every city zone grouped by region, for a ``<select>`` (labels: the city)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(_known_zones()):
        area = name.split("/")[0]
        if area in AREAS and "/" in name:
            groups.setdefault(area, []).append((name, zone_label(name)))
    return [
        *([("UTC", "UTC")] if is_time_zone("UTC") else []),
        *(
            (str(AREAS[area]), sorted(zones, key=lambda zone: zone[1]))
            for area, zones in groups.items()
        ),
    ]
