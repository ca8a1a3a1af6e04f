"""The FHIR API against the ORM: one client's Observations searched page by page, and a
Bulk Data ``Patient/$export`` of the demo practice x10.

    .venv/bin/python benchmarks/bench_api.py [--clients 380] [--runs 3]

A temporary database (``alliance migrate``) holds the scale practice
(``alliance.web.scale.build_scale_practice``, the data set of ``alliance demo --scale``)
with ten times the demo practice's clients (38 → 380 by default): each client one episode
with 26 to 104 weeks of PHQ-9, GAD-7 and session feedback (the demo's clients have 4 to
30 weeks, so each of these clients carries more history than a demo client), goals,
alerts. Client ``n`` is treated by therapist ``ceil(n / 50)``; the first supervisor
supervises the first 2,000 clients, so their export is the whole practice.

1. Search: the client with the most responses; their therapist's personal token
   (``user/*.rs``) searches ``Observation?patient=…&_count=100`` through Django's test
   client, following ``next`` links to the last page (every request through the bearer
   check, rate limit, selectors, mapping, audit). Against: the same client's responses
   read straight from the ORM (``Response.objects.filter(client=…)``, every field), the
   rows the Observations are made from. Best of ``--runs``.
2. Export: the supervisor's token kicks off ``Patient/$export`` (all eight types), the
   worker's step runs it (``bulk_export_run``: chunked reads, mapping, sealing), and
   every file is read back decrypted to the end; NDJSON lines per second over the whole.
   Against: the same rows read straight from the ORM (patients, episodes, goals with
   their versions and ratings, responses, alerts; the episodes once more for the care
   plans), as model instances in chunks, no mapping. One run each (an export is minutes).

Progress goes to stderr; results to stdout; the last line is the ratio alone: export
time / ORM time for the same data (how many times longer the export takes).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from _setup import fresh_database, machine, progress

if TYPE_CHECKING:
    from alliance.accounts.models import User

DEMO_CLIENTS = 38  # the demo practice: 30 clients in care and 8 whose care has ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10 * DEMO_CLIENTS)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    fresh_database("bench-api")

    from django.db import connection
    from django.db.models import Count

    from alliance.accounts.models import User
    from alliance.web.scale import build_scale_practice, email_of

    progress(f"building the scale practice: {options.clients:,} clients")
    built = build_scale_practice(options.clients, progress=progress)
    progress(f"built in {built.seconds:.0f} s: {built.responses_added:,} responses")
    connection.close()  # the build's one long connection; start the timing on a fresh one

    client = (
        User.objects.filter(role="client")
        .annotate(n=Count("responses"))
        .order_by("-n", "pk")
        .first()
    )
    assert client is not None
    supervisor = User.objects.get(email=email_of("supervisor", 1))
    print(f"machine: {machine()}")
    print(
        f"data: the scale practice, {options.clients:,} clients "
        f"({built.responses_added:,} responses)"
    )
    search_api, search_orm, observations, responses = bench_search(client, options.runs)
    print(
        f"search: {observations:,} Observations of one client ({responses:,} responses) in "
        f"{search_api * 1000:.0f} ms through the API, all pages of 100 "
        f"({observations / search_api:,.0f} resources/s); the ORM reads the responses in "
        f"{search_orm * 1000:.1f} ms; API/ORM {search_api / search_orm:,.1f}x"
    )
    export_s, lines, size, orm_s, rows = bench_export(supervisor)
    print(
        f"$export: {lines:,} NDJSON lines ({size / 2**20:,.0f} MiB) in {export_s:.1f} s "
        f"({lines / export_s:,.0f} lines/s), kick-off to the last file read back"
    )
    print(f"ORM: the same {rows:,} rows read in {orm_s:.1f} s ({rows / orm_s:,.0f} rows/s)")
    # The whole process's peak (the build included): an export held in memory would add
    # its NDJSON on top (the files' plaintext size is printed above for comparison).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MiB")
    print(f"ratio: {export_s / orm_s:.1f}")


def bench_search(client: User, runs: int) -> tuple[float, float, int, int]:
    from django.test import Client

    from alliance.api.services import api_token_create
    from alliance.care.models import Episode
    from alliance.measures.models import Response

    episode = Episode.objects.filter(client=client).select_related("therapist").get()
    _token, raw = api_token_create(
        actor=episode.therapist, owner=episode.therapist, scope="user/*.rs", days=1
    )
    browser = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")
    best_api = best_orm = float("inf")
    found = 0
    for _run in range(runs):
        started = time.perf_counter()
        url: str | None = f"/fhir/R4/Observation?patient={client.pk}&_count=100"
        found = 0
        while url is not None:
            answer = browser.get(url)
            assert answer.status_code == 200, answer.content[:300]
            bundle = json.loads(answer.content)
            found += len(bundle.get("entry", []))
            following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
            url = None
            if following:
                parts = urlsplit(following[0])
                url = f"{parts.path}?{parts.query}"
        best_api = min(best_api, time.perf_counter() - started)
        started = time.perf_counter()
        rows = list(Response.objects.filter(client=client).order_by("submitted_at", "pk"))
        best_orm = min(best_orm, time.perf_counter() - started)
        progress(f"search run: {found:,} Observations, {len(rows):,} responses")
    return best_api, best_orm, found, len(rows)


def bench_export(supervisor: User) -> tuple[float, int, int, float, int]:
    from django.conf import settings

    from alliance.accounts.models import User
    from alliance.alerts.models import Alert
    from alliance.api.bulk import (
        Kickoff,
        bulk_export_run,
        bulk_export_start,
        export_file_lines,
    )
    from alliance.api.callers import token_caller
    from alliance.api.models import BulkExport
    from alliance.api.resources import EXPORTS
    from alliance.api.services import api_token_create
    from alliance.measures.models import Response
    from alliance.plans.models import Goal

    token, _raw = api_token_create(
        actor=supervisor,
        owner=supervisor,
        scope="user/*.rs",
        days=1,
    )
    caller = token_caller(token)
    progress(f"$export into {settings.BULK_EXPORT_DIR}")
    started = time.perf_counter()
    export = bulk_export_start(
        caller=caller,
        kickoff=Kickoff(list(EXPORTS), None),
        request_url="http://localhost/fhir/R4/Patient/$export",
    )
    assert bulk_export_run(str(export.pk))
    export = BulkExport.objects.get(pk=export.pk)
    lines = size = 0
    for file in list(export.files.all()):
        for chunk in export_file_lines(export, file.resource_type):
            lines += chunk.count(b"\n")
            size += len(chunk)
        progress(f"{file.resource_type}: {file.count:,} lines")
    export_s = time.perf_counter() - started

    from alliance.api.selectors import caller_episodes

    started = time.perf_counter()
    episodes = caller_episodes(caller)
    rows = 0
    querysets = [
        User.objects.filter(pk__in=episodes.values("client_id")),
        episodes,
        episodes,  # once more: the care plans are the episodes' plans
        Goal.objects.filter(episode__in=episodes).prefetch_related("versions", "ratings"),
        Response.objects.filter(episode__in=episodes),
        Alert.objects.filter(episode__in=episodes),
    ]
    for queryset in querysets:
        for _row in queryset.iterator(chunk_size=500):
            rows += 1
    orm_s = time.perf_counter() - started
    return export_s, lines, size, orm_s, rows


if __name__ == "__main__":
    main()
