"""The demo conversation: realistic, in the client's language, some of it unread."""

from __future__ import annotations

import random

from django.utils import timezone

from alliance.messaging.demo import SCRIPTS, demo_messaging, demo_office_hours
from alliance.messaging.models import Message, MessageKind, OfficeHours
from alliance.messaging.selectors import unread_counts_for
from tests.conftest import Cast


def test_demo_writes_kind_exchanges_in_the_clients_language(cast: Cast) -> None:
    demo_office_hours(therapist=cast.alice)
    assert OfficeHours.objects.filter(therapist=cast.alice).exists()
    now = timezone.now()
    unread_seen = False
    for seed in range(6):
        rng = random.Random(seed)
        demo_messaging(episode=cast.eve_episode, rng=rng, now=now)
        demo_messaging(episode=cast.dana_episode, rng=rng, now=now)
        unread_seen = unread_seen or bool(unread_counts_for(cast.alice))
    spanish = {body for script in SCRIPTS["es"] for _, body in script}
    english = {body for script in SCRIPTS["en"] for _, body in script}
    people = Message.objects.filter(kind=MessageKind.PERSON)
    assert {m.body for m in people.filter(episode=cast.eve_episode)} <= spanish
    assert {m.body for m in people.filter(episode=cast.dana_episode)} <= english
    assert all(m.sent_at < now for m in Message.objects.all())
    assert unread_seen
