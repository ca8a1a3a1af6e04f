"""The demo's safety plans: co-authored, several versions, always after a risk alert."""

from __future__ import annotations

import random

from django.utils import timezone

from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from alliance.safety.demo import ENTRIES, demo_safety
from alliance.safety.models import SafetyPlan, SafetyPlanVersion
from alliance.safety.steps import STEP_KEYS
from tests.conftest import Cast


def test_a_client_with_a_risk_alert_gets_a_co_authored_plan(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response_submit(
        actor=cast.dana, administration=administration, answers=[0, 0, 0, 0, 0, 0, 0, 0, 1]
    )
    for seed in range(5):
        # Whatever the dice say, a risk alert means a plan.
        SafetyPlanVersion.objects.all().delete()
        SafetyPlan.objects.all().delete()
        demo_safety(episode=cast.dana_episode, rng=random.Random(seed), now=timezone.now())
        versions = list(SafetyPlanVersion.objects.order_by("number"))
        assert 2 <= len(versions) <= 3
        assert {v.author for v in versions} == {cast.alice, cast.dana}
        assert all(v.created_at <= timezone.now() for v in versions)


def test_about_half_the_clients_get_a_plan_in_their_language(cast: Cast) -> None:
    made = 0
    for seed in range(20):
        SafetyPlanVersion.objects.all().delete()
        SafetyPlan.objects.all().delete()
        demo_safety(episode=cast.eve_episode, rng=random.Random(seed), now=timezone.now())
        version = SafetyPlanVersion.objects.order_by("-number").first()
        if version is not None:
            made += 1
            spanish = {entry for key in STEP_KEYS for entry in ENTRIES["es"][key]}
            assert all(entry in spanish for key in STEP_KEYS for entry in version.entries(key))
    assert 5 <= made <= 15


# That every client with a risk alert in the whole demo practice has a plan is checked in
# tests/web/test_demo.py, which loads the practice once for all its tests.
