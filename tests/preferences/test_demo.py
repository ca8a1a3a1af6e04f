"""The demo content for preferences: varied, in the client's language, and not doubled."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from alliance.care.services import session_schedule
from alliance.preferences.demo import AGENDA, demo_preferences
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


class Retry(Exception):
    pass


def test_demo_writes_in_the_clients_language_once(cast: Cast) -> None:
    now = timezone.now()
    session_schedule(actor=cast.alice, episode=cast.eve_episode, starts_at=now + timedelta(days=1))
    # A seed that gives all three kinds of content (others are rolled back).
    for seed in range(40):
        try:
            with transaction.atomic():
                demo_preferences(episode=cast.eve_episode, rng=random.Random(seed), now=now)
                if not (
                    AgendaItem.objects.exists()
                    and CulturalProfile.objects.exists()
                    and TreatmentPreferences.objects.exists()
                ):
                    raise Retry
        except Retry:
            continue
        break
    items = list(AgendaItem.objects.filter(episode=cast.eve_episode))
    assert items and all(item.text in AGENDA["es"] for item in items)
    assert all(item.session is not None for item in items)
    assert CulturalProfile.objects.get().episode == cast.eve_episode
    before = (TreatmentPreferences.objects.count(), AgendaItem.objects.count())
    demo_preferences(episode=cast.eve_episode, rng=random.Random(1), now=now)
    assert (TreatmentPreferences.objects.count(), AgendaItem.objects.count()) == before
