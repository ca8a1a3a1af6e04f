"""What the clinician workspace's pages show: a client's record, one block per episode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from datetime import datetime
from typing import Any

from alliance.accounts.models import User
from alliance.alerts.models import Alert
from alliance.care.models import Episode, Session
from alliance.measures.models import Administration, CheckinSchedule, Response
from alliance.web.presenters.panels.pages import RecordPanels


def client_record(
    *,
    client: User,
    shares_name: bool,
    episodes: Sequence[Episode],
    treatable: Set[int],
    sessions: Sequence[Session],
    responses: Sequence[Response],
    waiting: Sequence[Administration],
    schedules: Mapping[int, CheckinSchedule],
    alerts: Sequence[Alert],
    panels: RecordPanels,
    now: datetime,
) -> dict[str, Any]:
    """The record page: each episode with its own sessions, scores, waiting check-ins and
    schedule (the defaults where none was stored); ``treatable`` holds the ids of the
    episodes the viewer treats, as the access module decided; ``panels`` the other
    features' panels (``presenters/panels/pages.py``)."""
    return {
        "client": client,
        "shares_name": shares_name,
        "episodes": [
            {
                "episode": episode,
                "sessions": [s for s in sessions if s.episode_id == episode.pk],
                "responses": [r for r in responses if r.episode_id == episode.pk],
                "waiting": [a for a in waiting if a.episode_id == episode.pk],
                "schedule": schedules.get(episode.pk) or CheckinSchedule(episode=episode),
                "may_treat": episode.pk in treatable,
                "panels": panels.by_episode.get(episode.pk, []),
            }
            for episode in episodes
        ],
        "alerts": alerts,
        "top_panels": panels.top,
        "now": now,
    }
