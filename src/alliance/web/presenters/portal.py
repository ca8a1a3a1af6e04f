"""What the client portal's pages show: the home page and a check-in before and after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alliance import instruments as engine
from alliance.alerts.selectors import FollowUp
from alliance.care.models import Episode, Session
from alliance.measures.instruments import get_instrument
from alliance.measures.models import Administration, Response
from alliance.safety.crisis import CountryResources
from alliance.web.presenters.panels import Panel
from alliance.web.questionnaire import QuestionnaireForm, form_language


def home(
    *,
    current: Episode | None,
    open_episode_ids: set[int],
    sessions: Sequence[Session],
    due: Sequence[Administration],
    panels: Sequence[Panel],
    now: datetime,
) -> dict[str, Any]:
    """The current episode, the check-ins due with their instruments, the sessions, and
    the other features' cards (``presenters/panels/pages.py``)."""
    return {
        "current_episode": current,
        "panels": panels,
        "due": [(a, get_instrument(a.instrument_id, a.instrument_version)) for a in due],
        "upcoming": [s for s in sessions if s.starts_at > now and s.episode_id in open_episode_ids],
        "past_count": sum(1 for s in sessions if s.starts_at <= now),
    }


def checkin(
    *,
    administration: Administration,
    instrument: engine.Instrument,
    form: QuestionnaireForm,
    language: str,
    started_at: datetime,
) -> dict[str, Any]:
    """The check-in form, and whether it is shown in English for want of a translation."""
    return {
        "administration": administration,
        "instrument": instrument,
        "form": form,
        "english_only": form_language(instrument, language) != language,
        "started_at": started_at.isoformat(),
    }


def checkin_done(
    response: Response,
    *,
    language: str,
    risk: bool,
    crisis: CountryResources | None,
    follow_up: FollowUp | None,
    panels: Sequence[Panel],
) -> dict[str, Any]:
    """After a check-in: the band in the client's words, and help if a risk item tripped
    (in the stored answers, or in a copy sent again)."""
    instrument = get_instrument(response.instrument_id, response.instrument_version)
    band = instrument.band_for(response.total)
    return {
        "response": response,
        "instrument": instrument,
        "summary": band.client_text.get(language) or band.client_text.get("en", "") if band else "",
        "risk": risk,
        "crisis": crisis,
        "follow_up": follow_up,
        "panels": panels,
    }
