"""An alert burst: many clients submitting risk answers at the same moment, some the same
questionnaire twice (a double click, two tabs), on PostgreSQL where the transactions
really run side by side. Exactly one risk alert per risk response, exactly one e-mail per
alert, and no second open alert of another kind in an episode.

SQLite runs one writer at a time, so there the burst is serial and says nothing new:
skipped (CI runs it in its PostgreSQL pass)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.core import mail
from django.db import connection

from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.care.services import episode_open
from alliance.checkins.services import response_submit
from alliance.measures.models import Administration, Response
from alliance.measures.services import AlreadyCompleted, administration_request
from tests.concurrency import at_once
from tests.conftest import make_user

CLIENTS = 4
PER_CLIENT = 3  # questionnaires per client, each submitted by two threads at once
RISK = [0] * 8 + [2]  # PHQ-9 with item 9 answered: a critical item


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_a_burst_of_risk_answers_raises_one_alert_and_one_email_per_response() -> None:
    therapist = make_user("t-burst@example.test", "Tess", "therapist")
    work: list[tuple[object, Administration]] = []
    for n in range(CLIENTS):
        client = make_user(f"c-burst-{n}@example.test", f"Client {n}", "client")
        episode = episode_open(actor=therapist, client=client, therapist=therapist)
        for _ in range(PER_CLIENT):
            administration = administration_request(
                actor=therapist, episode=episode, instrument_id="phq-9"
            )
            work += [(client, administration), (client, administration)]
    mail.outbox = []

    def submit(client: object, administration: Administration) -> Callable[[], str]:
        def call() -> str:
            try:
                response_submit(actor=client, administration=administration, answers=RISK)  # type: ignore[arg-type]
            except AlreadyCompleted:
                return "already"
            return "stored"

        return call

    outcomes = at_once(*[submit(client, administration) for client, administration in work])

    responses = CLIENTS * PER_CLIENT
    assert Counter(outcomes) == {"stored": responses, "already": responses}
    assert Response.objects.count() == responses
    risk = Alert.objects.filter(kind=AlertKind.RISK)
    per_response = Counter(risk.values_list("response_id", flat=True))
    assert len(per_response) == responses and set(per_response.values()) == {1}
    assert set(risk.values_list("notification", flat=True)) == {"sent"}
    alert_mails = [m for m in mail.outbox if m.to == ["t-burst@example.test"]]
    assert len(alert_mails) == responses
    # Other kinds: never two open alerts of one kind in one episode.
    others = Counter(
        Alert.objects.exclude(kind=AlertKind.RISK)
        .filter(status=AlertStatus.OPEN)
        .values_list("episode_id", "kind")
    )
    assert all(count == 1 for count in others.values())
