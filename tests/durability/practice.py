"""Set up and inspect the durability test's practice, in the server's own environment.

Run as a script (not imported by pytest): ``python tests/durability/practice.py populate N``
prints one line of JSON per client (ids and a session cookie value); ``... inspect`` prints
what the database holds after the crash as one JSON object. Both use the same settings and
database as the server under test, so they see exactly what it stored.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from typing import Any


def populate(count: int) -> None:
    """``count`` clients of one therapist, each with an open episode, a PHQ-9 waiting (the
    rows ``episode_open`` and ``administration_request`` would write) and a signed-in session.

    All in bulk: through the services a thousand clients take 15-20 s of the run, and Argon2
    would hash a thousand passwords for minutes (nobody signs in with a password here).
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from alliance.accounts.models import Role, User
    from alliance.care.models import Episode
    from alliance.measures.instruments import get_instrument
    from alliance.measures.models import Administration, When
    from alliance.web.middleware import STARTED_SESSION_KEY

    unusable = make_password(None)
    phq9 = get_instrument("phq-9")
    with transaction.atomic():
        therapist = User.objects.create(
            email="therapist@durability.test",
            preferred_name="Therapist",
            role=Role.THERAPIST,
            password=unusable,
        )
        User.objects.bulk_create(
            User(
                email=f"client{n}@durability.test",
                preferred_name=f"Client {n}",
                role=Role.CLIENT,
                password=unusable,
            )
            for n in range(count)
        )
        clients = list(User.objects.filter(role=Role.CLIENT).order_by("pk"))
        Episode.objects.bulk_create(Episode(client=c, therapist=therapist) for c in clients)
        episodes = Episode.objects.filter(client__in=clients).order_by("client_id")
        Administration.objects.bulk_create(
            Administration(
                episode=episode,
                instrument_id=phq9.id,
                instrument_version=phq9.version,
                requested_by=therapist,
                when=When.REQUESTED,
            )
            for episode in episodes
        )
        administration_of = dict(
            Administration.objects.filter(episode__in=episodes).values_list(
                "episode__client_id", "pk"
            )
        )
        store = SessionStore()
        expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        sessions, rows = [], []
        for client in clients:
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            # What django.contrib.auth.login() leaves in a session, plus the sign-in time
            # SessionMaxAgeMiddleware keeps.
            data = {
                SESSION_KEY: str(client.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: client.get_session_auth_hash(),
                STARTED_SESSION_KEY: int(time.time()),
            }
            sessions.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expires)
            )
            rows.append(
                {
                    "client": client.pk,
                    "administration": administration_of[client.pk],
                    "session": key,
                }
            )
        Session.objects.bulk_create(sessions)
    for row in rows:
        print(json.dumps(row))


def inspect() -> None:
    """Everything the checks need, read after the restart."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from alliance.alerts.models import Alert, AlertKind
    from alliance.alerts.reports import summary_drift
    from alliance.audit.services import verify_chain
    from alliance.measures.models import Administration, Response

    # The therapist's e-mail task, queued in the alert's transaction (alert_raise_for_risk).
    queued: set[int] = set()
    for args_kwargs in DBTaskResult.objects.filter(
        task_path__endswith="send_alert_notification"
    ).values_list("args_kwargs", flat=True):
        queued.update(args_kwargs["args"])
    risk_alerts: dict[int, int] = {}
    e_mails: dict[int, int] = {}
    for alert_id, response_id in Alert.objects.filter(kind=AlertKind.RISK).values_list(
        "pk", "response_id"
    ):
        risk_alerts[response_id] = risk_alerts.get(response_id, 0) + 1
        e_mails[response_id] = e_mails.get(response_id, 0) + (alert_id in queued)
    responses: list[dict[str, Any]] = [
        {
            "id": r.pk,
            "administration": r.administration_id,
            "answers": {link: entry.get("code") for link, entry in r.answers.items()},
            "total": r.total,
            "critical": [hit["link_id"] for hit in r.critical],
            "risk_alerts": risk_alerts.get(r.pk, 0),
            "e_mails_queued": e_mails.get(r.pk, 0),
            "submitted_at": r.submitted_at.timestamp(),
        }
        for r in Response.objects.order_by("pk")
    ]
    stored: set[int] = {r["administration"] for r in responses}
    response_ids = {r["id"] for r in responses}
    completed = set(
        Administration.objects.filter(completed_at__isnull=False).values_list("pk", flat=True)
    )
    integrity = "not SQLite"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            integrity = cursor.execute("PRAGMA integrity_check").fetchone()[0]
    chain = verify_chain()
    print(
        json.dumps(
            {
                # By administration (as a string: a JSON object's keys are strings).
                "stored": {str(r["administration"]): r for r in responses},
                "risk_alerts_without_response": sum(
                    n for rid, n in risk_alerts.items() if rid not in response_ids
                ),
                "completed_without_response": sorted(completed - stored),
                "response_without_completed": sorted(stored - completed),
                "integrity_check": integrity,
                "audit_chain": chain.problem or "ok",
                "summary_drift": len(summary_drift()),
            }
        )
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    import django

    django.setup()
    command: Any = sys.argv[1]
    if command == "populate":
        populate(int(sys.argv[2]))
    elif command == "inspect":
        inspect()
    else:
        sys.exit(f"unknown command {command!r}")
