"""A check-in submitted while the schedule is being brought up to date for the same
episode (the worker's round, or the therapist moving a session) on PostgreSQL, where the
two transactions really run side by side.

The sync locks the episode, then withdraws the administrations the schedule no longer
wants. A submission that locked its administration first and then needed the episode
(inserting the response takes a key-share lock on its episode row) would wait for the
sync while the sync waited for it: a deadlock, and one of them fails. The submission
takes the episode first, as the sync does, so the two queue instead: here the sync wins
and the client is told the questionnaire was withdrawn, with nothing stored.

SQLite runs one writer at a time: skipped there (CI runs it in its PostgreSQL pass)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from alliance.care.models import Episode
from alliance.care.services import episode_open
from alliance.checkins.services import response_submit
from alliance.measures.models import Administration, Response
from alliance.measures.services import NotOpenForAnswers, administration_request
from tests.conftest import make_user


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_a_submission_and_a_schedule_sync_queue_rather_than_deadlock() -> None:
    therapist = make_user("t-sync@example.test", "Tess", "therapist")
    client = make_user("c-sync@example.test", "Cleo", "client")
    episode = episode_open(actor=therapist, client=client, therapist=therapist)
    administration = administration_request(actor=therapist, episode=episode, instrument_id="phq-9")
    episode_locked = threading.Event()
    outcomes: dict[str, str] = {}

    def sync() -> None:
        try:
            with transaction.atomic():
                Episode.objects.select_for_update().filter(pk=episode.pk).values_list("pk").first()
                episode_locked.set()
                time.sleep(1.5)  # the submission meanwhile reaches its first lock
                Administration.objects.filter(pk=administration.pk).update(
                    cancelled_at=timezone.now()
                )
            outcomes["sync"] = "done"
        except BaseException as error:
            outcomes["sync"] = repr(error)
        finally:
            connections.close_all()

    def submit() -> None:
        try:
            episode_locked.wait(10)
            response_submit(actor=client, administration=administration, answers=[0] * 9)
            outcomes["submit"] = "stored"
        except NotOpenForAnswers:
            outcomes["submit"] = "withdrawn"
        except BaseException as error:
            outcomes["submit"] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes == {"sync": "done", "submit": "withdrawn"}
    assert not Response.objects.exists()
