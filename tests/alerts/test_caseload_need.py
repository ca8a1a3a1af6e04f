"""The database places a caseload by need (``need_rank_expression``) as ``need_rank`` ranks
one row: for every combination of open alerts and overdue check-ins, the same place."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone

from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.alerts.selectors import Need, _need_flags, need_rank, need_rank_expression
from alliance.care.models import Episode
from alliance.care.services import episode_open
from alliance.measures.models import Administration
from tests.conftest import Cast, make_user

pytestmark = pytest.mark.django_db

KINDS = {
    "urgent": AlertKind.RISK,
    "off_track": AlertKind.NOT_ON_TRACK,
    "rupture": AlertKind.RUPTURE,
    "disengaged": AlertKind.DISENGAGEMENT,
}


def test_every_combination_of_flags_is_placed_as_need_rank_places_it(cast: Cast) -> None:
    now = timezone.now()
    wanted: dict[int, dict[str, bool]] = {}
    for n, flags in enumerate(product((False, True), repeat=5)):
        named = dict(zip([*KINDS, "overdue"], flags, strict=True))
        client = make_user(f"need{n}@example.test", f"Need {n}", "client")
        episode = episode_open(actor=cast.alice, client=client, therapist=cast.alice)
        for flag, kind in KINDS.items():
            # A resolved alert of every kind too: only open ones place a client.
            Alert.objects.create(
                episode=episode, client=client, kind=kind, status=AlertStatus.RESOLVED
            )
            if named[flag]:
                Alert.objects.create(episode=episode, client=client, kind=kind)
        Administration.objects.create(
            episode=episode,
            instrument_id="phq-9",
            instrument_version="1",
            due_at=now - timedelta(hours=1) if named["overdue"] else now + timedelta(days=1),
        )
        wanted[episode.pk] = named
    placed = Episode.objects.filter(pk__in=wanted).annotate(
        need=need_rank_expression(now), **_need_flags(now)
    )
    seen = set()
    for episode in placed:
        assert {flag: getattr(episode, flag) for flag in wanted[episode.pk]} == wanted[episode.pk]
        assert episode.need == need_rank(episode), wanted[episode.pk]
        seen.add(Need(episode.need))
    assert len(wanted) == 32 and seen == set(Need)
