"""Caseload dashboard (GET /clinic/) at 10 and at 500 clients with two years of weekly data:
queries per page and p50/p95 time, in-process with Django's test client.

    .venv/bin/python benchmarks/bench_dashboard.py [--small 10] [--large 500] [--weeks 104]
        [--requests 50] [--budget 120] [--min-requests 5] [--seed 20261125]

One temporary database (``alliance migrate``) holds two therapists: one treating ``--small``
clients, one treating ``--large``. Accounts and episodes are made through the services
(``user_create``, ``episode_open``; client passwords hashed with MD5 instead of Argon2 so that
500 accounts take seconds: nobody logs in as a client here). Each client's history is
bulk-inserted in the shape the services store it (sessions and alerts with ``bulk_create``,
administrations and responses with ``executemany`` SQL, each column prepared by its model
field as Django would; one transaction per client): ``--weeks`` weekly
sessions plus one booked next week, and per week a PHQ-9 and a GAD-7 before the session and a
session-feedback after it (administration + response, answers scored by the real engine,
``alliance.instruments.score``), two check-ins waiting for the next session, an overdue
check-in for 10 % of clients, and alerts (three resolved per client; open risk 2 %,
not-on-track 8 %, rupture 4 %, disengagement 3 %). No audit events are written for the bulk
rows (the page does not read them).

Each therapist signs in through the login form and the authenticator-code step, as staff
must; after untimed warm-up requests (up to
5 each, stopping after 20 s), the two caseloads are requested alternately ``--requests`` times,
or fewer when ``--budget`` seconds of timed requests are spent (never fewer than
``--min-requests``), timing the whole request (middleware, the caseload query, template
rendering). Queries are counted with ``CaptureQueriesContext`` on every timed request (they
must not vary), and each page must show the first page of the caseload (all of it when it
fits on one page, ``CASELOAD_PAGE_SIZE`` = 25 clients, most in need first, otherwise) and
say how many clients there are in all.

Progress goes to stderr; results to stdout; the last line is the ratio alone:
p95(large) / p95(small).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from _setup import fresh_database, machine, percentile, progress

PASSWORD = "bench-password-2026"
ADMINISTRATION_INSERT = (
    'INSERT INTO "measures_administration" (id, episode_id, session_id, instrument_id, '
    'instrument_version, requested_by_id, "when", created_at, available_from, due_at, '
    "completed_at, cancelled_at) VALUES (" + ", ".join(["%s"] * 12) + ")"
)
RESPONSE_INSERT = (
    'INSERT INTO "measures_response" (id, administration_id, episode_id, client_id, '
    "instrument_id, instrument_version, answers, text_answers, total, band, subscales, "
    "critical, answered, required, started_at, submitted_at, submitted_by_id) "
    "VALUES (" + ", ".join(["%s"] * 17) + ")"
)
OPEN_ALERTS = (("risk", 0.02), ("not_on_track", 0.08), ("rupture", 0.04), ("disengagement", 0.03))


_STORED: dict[tuple[str, tuple[object, ...]], tuple[object, ...]] = {}
RESPONSE_SCORED = (
    "instrument_id",
    "instrument_version",
    "answers",
    "text_answers",
    "total",
    "band",
    "subscales",
    "critical",
    "answered",
    "required",
)


def stored(instrument_id: str, answers: list[int] | dict[str, int]) -> tuple[object, ...]:
    """The Response columns the service would store for these answers (RESPONSE_SCORED order),
    each already prepared for the database by its own model field; cached per distinct answers."""
    key = (instrument_id, tuple(answers.items() if isinstance(answers, dict) else answers))
    if key in _STORED:
        return _STORED[key]
    from django.db import connection

    from alliance import instruments as engine
    from alliance.measures.instruments import get_instrument
    from alliance.measures.models import Response
    from alliance.measures.services import stored_answers

    instrument = get_instrument(instrument_id)
    result = engine.score(instrument, answers)
    scored, text = stored_answers(result)
    values = {
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "answers": scored,
        "text_answers": text,
        "total": result.total,
        "band": result.band.code if result.band else "",
        "subscales": dict(result.subscales),
        "critical": [
            {"link_id": h.link_id, "position": h.position, "value": h.value}
            for h in result.critical
        ],
        "answered": result.completeness.answered,
        "required": result.completeness.required,
    }
    _STORED[key] = tuple(
        Response._meta.get_field(name).get_db_prep_save(values[name], connection)
        for name in RESPONSE_SCORED
    )
    return _STORED[key]


def db_time(value: datetime | None) -> str | None:
    """A datetime as Django stores it in SQLite (naive UTC text)."""
    if value is None:
        return None
    return str(value.astimezone(UTC).replace(tzinfo=None))


def next_id(cursor: object, table: str) -> int:
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')  # type: ignore[attr-defined]
    return cursor.fetchone()[0]  # type: ignore[attr-defined]


def caseload(
    therapist_email: str, clients: int, first: int, weeks: int, now: datetime, rng: random.Random
) -> None:
    from django.db import connection, transaction
    from django.test import override_settings

    from alliance.accounts.mfa import demo_totp_secret, totp_activate
    from alliance.accounts.services import user_create
    from alliance.alerts.models import Alert
    from alliance.care.models import Episode, Session
    from alliance.care.services import episode_open
    from alliance.measures.models import When
    from alliance.web.demo import (
        DETERIORATING,
        FLAT,
        IMPROVING,
        RUPTURE_AND_REPAIR,
        feedback_answers,
        phq9_answers,
        severity_path,
        spread,
    )

    therapist = user_create(
        actor=None,
        email=therapist_email,
        password=PASSWORD,
        preferred_name=f"Therapist of {clients}",
        role="therapist",
    )
    # Staff must have a second factor; the benchmark signs in with it (see ``main``).
    totp_activate(user=therapist, secret=demo_totp_secret(therapist_email))
    # override_settings (not assignment) so that Django's cached hasher list is reset.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        people = [
            user_create(
                actor=None,
                email=f"client{n}@bench.test",
                password=PASSWORD,
                preferred_name=f"Client {n:04d}",
                role="client",
            )
            for n in range(first, first + clients)
        ]
    episodes = [episode_open(actor=therapist, client=c, therapist=therapist) for c in people]
    start = (now - timedelta(weeks=weeks)).replace(hour=10, minute=0, second=0, microsecond=0)
    Episode.objects.filter(pk__in=[e.pk for e in episodes]).update(
        opened_at=start - timedelta(days=3)
    )
    courses = [IMPROVING, FLAT, DETERIORATING, RUPTURE_AND_REPAIR]
    for done, (client, episode) in enumerate(zip(people, episodes, strict=True), 1):
        with transaction.atomic():
            sessions = Session.objects.bulk_create(
                [
                    Session(
                        episode=episode,
                        number=w + 1,
                        starts_at=start + timedelta(weeks=w),
                        created_at=start,
                    )
                    for w in range(weeks)
                ]
                + [
                    Session(
                        episode=episode,
                        number=weeks + 1,
                        starts_at=now + timedelta(days=rng.randint(1, 6)),
                        created_at=now,
                    )
                ]
            )
            course = rng.choice(courses)
            depression = severity_path(course, weeks, rng)
            administrations, responses = [], []
            with connection.cursor() as cursor:
                admin_id = next_id(cursor, "measures_administration")
                response_id = next_id(cursor, "measures_response")
            for w in range(weeks):
                session = sessions[w]
                before = session.starts_at - timedelta(hours=rng.randint(2, 20))
                after = session.starts_at + timedelta(minutes=55)
                for instrument_id, answers, when, kind in (
                    ("phq-9", phq9_answers(depression[w], rng), before, When.BEFORE_SESSION),
                    (
                        "gad-7",
                        spread(round(depression[w] * 0.7), 7, 3, rng),
                        before,
                        When.BEFORE_SESSION,
                    ),
                    (
                        "session-feedback",
                        feedback_answers(course, w, weeks, rng),
                        after,
                        When.AFTER_SESSION,
                    ),
                ):
                    fields = stored(instrument_id, answers)
                    administrations.append(
                        (
                            admin_id,
                            episode.pk,
                            session.pk,
                            instrument_id,
                            fields[1],
                            therapist.pk,
                            kind,
                            db_time(when),
                            db_time(session.starts_at) if kind == When.AFTER_SESSION else None,
                            db_time(session.starts_at) if kind == When.BEFORE_SESSION else None,
                            db_time(when),
                            None,
                        )
                    )
                    responses.append(
                        (
                            response_id,
                            admin_id,
                            episode.pk,
                            client.pk,
                            *fields,
                            db_time(when - timedelta(minutes=2)),
                            db_time(when),
                            client.pk,
                        )
                    )
                    admin_id += 1
                    response_id += 1
            next_session = sessions[-1]
            version = {i: stored(i, [0] * n)[1] for i, n in (("phq-9", 9), ("gad-7", 7))}
            for instrument_id in ("phq-9", "gad-7"):
                administrations.append(
                    (
                        admin_id,
                        episode.pk,
                        next_session.pk,
                        instrument_id,
                        version[instrument_id],
                        therapist.pk,
                        When.BEFORE_SESSION,
                        db_time(now - timedelta(days=1)),
                        None,
                        db_time(next_session.starts_at),
                        None,
                        None,
                    )
                )
                admin_id += 1
            if rng.random() < 0.10:  # an overdue check-in nobody cancelled
                administrations.append(
                    (
                        admin_id,
                        episode.pk,
                        None,
                        "phq-9",
                        version["phq-9"],
                        therapist.pk,
                        When.REQUESTED,
                        db_time(now - timedelta(days=9)),
                        None,
                        db_time(now - timedelta(days=2)),
                        None,
                        None,
                    )
                )
            with connection.cursor() as cursor:
                cursor.executemany(ADMINISTRATION_INSERT, administrations)
                cursor.executemany(RESPONSE_INSERT, responses)
            response_ids = [r[0] for r in responses]
            alerts = [
                Alert(
                    episode=episode,
                    client=client,
                    kind=rng.choice(OPEN_ALERTS)[0],
                    response_id=rng.choice(response_ids),
                    status="resolved",
                    created_at=start + timedelta(weeks=rng.randrange(weeks)),
                    resolved_at=now - timedelta(days=30),
                    notification="sent",
                )
                for _ in range(3)
            ]
            for kind, share in OPEN_ALERTS:
                if rng.random() < share:
                    alerts.append(
                        Alert(
                            episode=episode,
                            client=client,
                            kind=kind,
                            response_id=response_ids[-3],
                            created_at=now - timedelta(days=1),
                            notification="sent",
                        )
                    )
            Alert.objects.bulk_create(alerts)
        if done % 50 == 0 or done == clients:
            progress(f"  {therapist_email}: {done}/{clients} clients with {weeks} weeks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--budget",
        type=float,
        default=120,
        help="seconds of timed requests after which it stops (after at least --min-requests)",
    )
    parser.add_argument("--min-requests", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    fresh_database("dashboard")
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from alliance.accounts.mfa import demo_totp_secret, totp_code
    from alliance.alerts.models import Alert
    from alliance.alerts.selectors import CASELOAD_PAGE_SIZE
    from alliance.measures.models import Response

    rng = random.Random(args.seed)
    now = timezone.now()
    t0 = time.perf_counter()
    sizes = {"small": args.small, "large": args.large}
    emails = {"small": "therapist-small@bench.test", "large": "therapist-large@bench.test"}
    caseload(emails["small"], args.small, 1, args.weeks, now, rng)
    caseload(emails["large"], args.large, args.small + 1, args.weeks, now, rng)
    reset_queries()  # DEBUG keeps the bulk inserts' SQL; not wanted here
    responses = Response.objects.count()
    progress(
        f"data ready in {time.perf_counter() - t0:.0f} s: {responses:,} responses, "
        f"{Alert.objects.count():,} alerts"
    )

    browsers = {}
    for key, email in emails.items():
        browser = Client(HTTP_HOST="127.0.0.1")
        # Signed in as staff are: password, then the authenticator code.
        browser.post("/accounts/login/", {"login": email, "password": PASSWORD})
        code = totp_code(demo_totp_secret(email))
        signed = browser.post("/accounts/two-factor/authenticate/", {"code": code})
        if signed.status_code != 302:
            raise SystemExit(f"{email} could not sign in ({signed.status_code})")
        browsers[key] = browser

    def get(key: str) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            page = browsers[key].get("/clinic/")
            seconds = time.perf_counter() - t
        if page.status_code != 200:
            raise SystemExit(f"/clinic/ answered {page.status_code}")
        text = page.content.decode()
        rows = text.count('<th scope="row">')
        if rows != min(sizes[key], CASELOAD_PAGE_SIZE):
            raise SystemExit(f"the {key} caseload's first page lists {rows} clients")
        if sizes[key] > CASELOAD_PAGE_SIZE and f"of {sizes[key]}." not in text:
            raise SystemExit(f"the {key} caseload does not say it has {sizes[key]} clients")
        return seconds, len(queries.captured_queries)

    progress("warming up (untimed): up to 5 requests each, stopping after 20 s")
    warm_start = time.perf_counter()
    for _ in range(5):
        for key in sizes:
            get(key)
        if time.perf_counter() - warm_start > 20:
            break
    times: dict[str, list[float]] = {k: [] for k in sizes}
    counts: dict[str, set[int]] = {k: set() for k in sizes}
    progress(f"timing {args.requests} requests each, alternating (time budget {args.budget} s)")
    timed_start = time.perf_counter()
    for n in range(args.requests):
        if n >= args.min_requests and time.perf_counter() - timed_start > args.budget:
            progress(f"time budget spent: stopping after {n} requests each")
            break
        for key in sizes:
            seconds, count = get(key)
            times[key].append(seconds)
            counts[key].add(count)
        progress(f"  {n + 1}: " + ", ".join(f"{k} {times[k][-1] * 1e3:.0f} ms" for k in sizes))
    for key in sizes:
        if len(counts[key]) != 1:
            raise SystemExit(f"query count varied between requests: {counts[key]}")

    print(f"machine: {machine()}")
    print(
        f"data: {sum(sizes.values())} clients, {args.weeks} weeks each, {responses:,} responses "
        f"(PHQ-9 + GAD-7 + session feedback weekly); SQLite WAL, ALLIANCE_DEBUG=true"
    )
    for key in sizes:
        values = times[key]
        print(
            f"{sizes[key]:>4} clients: {counts[key].pop()} queries per page; "
            f"p50 {percentile(values, 50) * 1e3:,.1f} ms, "
            f"p95 {percentile(values, 95) * 1e3:,.1f} ms, "
            f"max {max(values) * 1e3:,.1f} ms ({len(values)} requests)"
        )
    ratio = percentile(times["large"], 95) / percentile(times["small"], 95)
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
