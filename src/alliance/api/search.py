"""The search parameters the FHIR API understands, parsed from the query string.

Anything else is refused (400) rather than ignored: a reader who filters by a parameter we
do not know must not take the unfiltered answer for the filtered one. Dates without a
time zone are read in UTC; a date stands for its whole day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

DEFAULT_COUNT = 20
MAX_COUNT = 100
PAGING = ("_count", "_offset")
WHO = ("patient", "subject")
SEARCH_PARAMS: dict[str, tuple[str, ...]] = {
    "Patient": ("_id", *PAGING),
    "QuestionnaireResponse": (*WHO, "authored", "_lastUpdated", "_include", *PAGING),
    "Observation": (*WHO, "code", "date", "_lastUpdated", "_include", *PAGING),
    "EpisodeOfCare": (*WHO, "status", "_lastUpdated", *PAGING),
    "CarePlan": (*WHO, "_lastUpdated", *PAGING),
    "Goal": (*WHO, "lifecycle-status", "_lastUpdated", "_include", *PAGING),
    "DetectedIssue": (*WHO, "status", "_lastUpdated", "_include", *PAGING),
    "Questionnaire": ("url", "name", "_lastUpdated", *PAGING),
    "Task": ("patient", "status", "_lastUpdated", *PAGING),
}
# What ``_include`` may name, per type: the reference followed, and the type it reaches.
INCLUDES: dict[str, dict[str, str]] = {
    "QuestionnaireResponse": {
        "QuestionnaireResponse:subject": "subject",
        "QuestionnaireResponse:questionnaire": "questionnaire",
    },
    "Observation": {"Observation:subject": "subject", "Observation:derived-from": "derivedFrom"},
    "Goal": {"Goal:subject": "subject"},
    "DetectedIssue": {"DetectedIssue:patient": "patient"},
}
# What each date parameter means (the documentation in the CapabilityStatement).
DATE_PARAMS = {
    "authored": "when the questionnaire was answered",
    "date": "when the questionnaire the score comes from was answered (effectiveDateTime)",
    "_lastUpdated": "when the resource last changed: responses never change once answered",
}
PREFIXES = ("eq", "ge", "le", "gt", "lt")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadSearch(ValueError):
    """A search the API cannot answer as asked (400); ``str()`` says which parameter."""


@dataclass(frozen=True)
class DateBound:
    """A time from the query: moments ``start <= t < end`` (a day, or one instant)."""

    prefix: str
    start: datetime
    end: datetime
    name: str = "_lastUpdated"


@dataclass(frozen=True)
class Search:
    resource: str
    patient_id: int | None = None
    ids: tuple[str, ...] = ()
    code: tuple[str | None, str] | None = None
    dates: tuple[DateBound, ...] = field(default=())
    count: int = DEFAULT_COUNT
    offset: int = 0
    status: tuple[str, ...] = ()
    url: str | None = None
    name: str | None = None
    includes: tuple[str, ...] = ()


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise BadSearch(f"{name} is given more than once")
    return values[0] if values else None


def _number(value: str | None, name: str, default: int, highest: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise BadSearch(f"{name} must be a whole number")
    return min(int(value), highest)


def _patient(value: str) -> int:
    bare = value.removeprefix("Patient/")
    if not bare.isdigit():
        raise BadSearch("patient must be Patient/<id> or <id>")
    return int(bare)


def _date(name: str, value: str) -> DateBound:
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    try:
        if DAY.match(text):
            start = datetime.fromisoformat(text).replace(tzinfo=UTC)
            end = start + timedelta(days=1)
        else:
            start = datetime.fromisoformat(text)
            start = start if start.tzinfo else start.replace(tzinfo=UTC)
            end = start + timedelta(microseconds=1)
    except ValueError:
        raise BadSearch(f"{name} must be a date (2026-01-31) or a time, after ge, le…") from None
    return DateBound(prefix=prefix, start=start, end=end, name=name)


def _code(value: str) -> tuple[str | None, str]:
    system, bar, code = value.rpartition("|")
    if not code:
        raise BadSearch("code must be <system>|<code> or <code>")
    return (system if bar else None), code


def parse_search(resource: str, params: Mapping[str, Sequence[str]]) -> Search:
    allowed = SEARCH_PARAMS[resource]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise BadSearch(f"this server does not search {resource} by {', '.join(unknown)}")
    patient = _one(params, "patient") or _one(params, "subject")
    if _one(params, "patient") and _one(params, "subject"):
        raise BadSearch("give patient or subject, not both")
    ids = tuple(part for value in params.get("_id", []) for part in value.split(",") if part)
    code = _one(params, "code")
    dates = tuple(
        _date(name, value)
        for name in DATE_PARAMS
        if name in allowed
        for value in params.get(name, [])
    )
    includes = tuple(params.get("_include", []))
    unknown_includes = sorted(set(includes) - set(INCLUDES.get(resource, {})))
    if unknown_includes:
        raise BadSearch(f"this server does not include {', '.join(unknown_includes)}")
    status = _one(params, "status") or _one(params, "lifecycle-status")
    return Search(
        resource=resource,
        status=tuple(status.split(",")) if status else (),
        url=_one(params, "url"),
        name=_one(params, "name"),
        includes=includes,
        patient_id=_patient(patient) if patient else None,
        ids=ids,
        code=_code(code) if code else None,
        dates=dates,
        count=max(1, _number(_one(params, "_count"), "_count", DEFAULT_COUNT, MAX_COUNT)),
        offset=_number(_one(params, "_offset"), "_offset", 0, 10**9),
    )
