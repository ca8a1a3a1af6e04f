"""The SMART EHR launch's pages: why a launch cannot open a record, and the session's
record of launches under way (state → what the callback needs; no health information)."""

from __future__ import annotations

from typing import Any

from alliance.ehr.services import PendingLaunch

SESSION_KEY = "smart_launches"
# At most this many launches under way in one browser; the oldest is dropped.
MAX_PENDING = 5

STATUS = {
    "unknown_ehr": 400,
    "refused": 400,
    "state": 400,
    "token": 502,
    "unreachable": 502,
    "insecure": 502,
    "clinician": 403,
    "no_client": 404,
}


def refusal(reason: str) -> tuple[dict[str, Any], int]:
    """The refusal page's context and status code."""
    reason = reason if reason in STATUS else "refused"
    return {"reason": reason}, STATUS[reason]


def keep_pending(session: Any, state: str, pending: PendingLaunch) -> None:
    launches = {
        key: value
        for key, value in dict(session.get(SESSION_KEY) or {}).items()
        if (found := PendingLaunch.from_dict(value)) is not None and not found.expired()
    }
    launches[state] = pending.as_dict()
    session[SESSION_KEY] = dict(list(launches.items())[-MAX_PENDING:])


def take_pending(session: Any, state: str) -> PendingLaunch | None:
    """The launch this state belongs to, once: it is removed whether or not it expired."""
    launches = dict(session.get(SESSION_KEY) or {})
    found = PendingLaunch.from_dict(launches.pop(state, None) or {}) if state else None
    session[SESSION_KEY] = launches
    if found is None or found.expired():
        return None
    return found
