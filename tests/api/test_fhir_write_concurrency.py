"""The same check-in sent twice at once through the FHIR API, on PostgreSQL where the two
requests really run side by side: one stores the answers (201), the other finds them
stored (200, the same response), and one response and one set of alerts exist.

Both requests queue on the episode's row lock that the web form's service takes
(``response_store``); this test holds that lock until both are waiting for it.

SQLite runs one writer at a time: skipped there (CI runs it in its PostgreSQL pass)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from alliance.alerts.models import Alert
from alliance.care.models import Episode
from alliance.care.services import episode_open
from alliance.measures.models import Response
from alliance.measures.services import administration_request
from tests.api.helpers import token_for
from tests.conftest import make_user

CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_the_same_checkin_sent_twice_at_once_is_stored_once() -> None:
    therapist = make_user("t-twice@example.test", "Tess", "therapist")
    client = make_user("c-twice@example.test", "Cleo", "client")
    episode = episode_open(actor=therapist, client=client, therapist=therapist)
    administration = administration_request(actor=therapist, episode=episode, instrument_id="phq-9")
    token = token_for(client, "patient/QuestionnaireResponse.c")
    sent = json.dumps(
        {
            "resourceType": "QuestionnaireResponse",
            "basedOn": [{"reference": f"Task/checkin-{administration.pk}"}],
            "item": [
                {"linkId": f"phq9-{n}", "answer": [{"valueCoding": {"code": CODES[w]}}]}
                for n, w in enumerate([1, 1, 1, 1, 1, 1, 1, 1, 2], start=1)
            ],
        }
    )
    answers: list[tuple[int, str]] = []
    locked, release = threading.Event(), threading.Event()

    def hold_the_episode() -> None:
        try:
            with transaction.atomic():
                Episode.objects.select_for_update().filter(pk=episode.pk).values_list("pk").first()
                locked.set()
                release.wait(20)
        finally:
            connections.close_all()

    def send() -> None:
        try:
            locked.wait(10)
            response = Client().post(
                "/fhir/R4/QuestionnaireResponse",
                sent,
                content_type="application/fhir+json",
                headers={"Authorization": f"Bearer {token}"},
            )
            answers.append((response.status_code, json.loads(response.content).get("id", "")))
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_episode)
    holder.start()
    senders = [threading.Thread(target=send) for _ in range(2)]
    for thread in senders:
        thread.start()
    time.sleep(1.5)  # both requests reach the episode's lock and wait there
    release.set()
    for thread in [holder, *senders]:
        thread.join(30)

    assert sorted(status for status, _id in answers) == [200, 201]
    assert len({response_id for _status, response_id in answers}) == 1
    assert Response.objects.filter(administration=administration).count() == 1
    assert Alert.objects.filter(client=client, kind="risk").count() == 1
