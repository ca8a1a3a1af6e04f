"""The demo conversation: realistic, in the client's language, some of it unread."""

from __future__ import annotations

import random
from datetime import time

from django.db import transaction
from django.utils import timezone

from alliance.messaging.demo import SCRIPTS, demo_messaging, demo_office_hours
from alliance.messaging.models import Message, MessageKind, OfficeHours
from alliance.messaging.selectors import unread_counts_for
from alliance.messaging.services import office_hours_set
from tests.conftest import Cast


def test_demo_writes_kind_exchanges_in_the_clients_language(cast: Cast) -> None:
    demo_office_hours(therapist=cast.alice)
    assert OfficeHours.objects.filter(therapist=cast.alice).exists()
    now = timezone.now()
    unread_seen = False
    spanish = {body for script in SCRIPTS["es"] for _, body in script}
    english = {body for script in SCRIPTS["en"] for _, body in script}
    for seed in range(6):
        # Each seed's conversations on their own: a thread that has messages gets no more.
        with transaction.atomic():
            rng = random.Random(seed)
            demo_messaging(episode=cast.eve_episode, rng=rng, now=now)
            demo_messaging(episode=cast.dana_episode, rng=rng, now=now)
            unread_seen = unread_seen or bool(unread_counts_for(cast.alice))
            people = Message.objects.filter(kind=MessageKind.PERSON)
            assert {m.body for m in people.filter(episode=cast.eve_episode)} <= spanish
            assert {m.body for m in people.filter(episode=cast.dana_episode)} <= english
            assert all(m.sent_at < now for m in Message.objects.all())
            made = Message.objects.count()
            demo_messaging(episode=cast.eve_episode, rng=random.Random(seed + 1), now=now)
            assert Message.objects.count() == made  # loaded before: nothing added
            transaction.set_rollback(True)
    assert unread_seen


def test_demo_office_hours_are_set_once(cast: Cast) -> None:
    demo_office_hours(therapist=cast.alice)
    office_hours_set(actor=cast.alice, days=[6], starts_at=time(12), ends_at=time(13))
    demo_office_hours(therapist=cast.alice)  # the demo run again keeps what was set since
    assert OfficeHours.objects.get(therapist=cast.alice).days == [6]
