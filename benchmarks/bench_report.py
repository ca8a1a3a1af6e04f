"""The practice outcome report on 1M responses: ``alliance.alerts.reports.outcome_report``
(SQLite, reading the per-episode score summaries) against DuckDB computing the same counts
from the same response rows.

    .venv/bin/python benchmarks/bench_report.py [--responses 1000000] [--therapists 20]
        [--runs 3] [--seed 20261125]

A temporary database (``alliance migrate``) is filled by direct SQL inserts (the services
would take hours for a million rows): ``--therapists`` therapists and enough clients with one
episode each (30 % closed) to hold ``--responses`` responses, each episode 1 to 110 weeks of
PHQ-9, GAD-7 and session feedback (one administration per response, as the app stores them;
no sessions or audit events, which the report does not read). As the rows bypass
``response_submit``, the score summaries it keeps are then built once with
``summary_rebuild()`` (what the data migration runs); that is timed and printed, not part of
the comparison. Totals follow a per-episode
course (improving, flat or worsening, with noise); the stored answers, bands and scores come
from the real scoring engine (a pool of scored answer sets per total).

Ours: ``outcome_report(scope="all")`` on the app's own SQLite connection, ``--runs`` times,
best run reported (the first run also warms the page cache).

DuckDB: its ``sqlite`` extension is not bundled and cannot be downloaded here (no network;
autoinstall is switched off and ``INSTALL`` is never called), so the columns the report needs
are read from the same SQLite file with Python's ``sqlite3`` into pandas frames and registered
in an in-memory DuckDB; that load is timed and printed but is not part of the comparison. Only
DuckDB's query is timed (best of ``--runs``): per episode and instrument the first and the
latest total (``arg_min``/``arg_max`` on submitted_at, then id), categorised with the same
rules (``alliance.alerts.reports.outcome_rules()``: threshold, clinical cut-off, direction),
counted per instrument and therapist. Both results must be identical, row for row.

Progress goes to stderr; results to stdout; the last line is the ratio alone:
ours / DuckDB (query times).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta

from _setup import fresh_database, machine, progress

USER_INSERT = (
    "INSERT INTO accounts_user (id, password, last_login, is_superuser, email, preferred_name, "
    "pronouns, language, role, country, reminders_enabled, is_active, date_joined) "
    "VALUES (?, ?, NULL, 0, ?, ?, '', 'en', ?, '', 1, 1, ?)"
)
EPISODE_INSERT = (
    "INSERT INTO care_episode (id, client_id, therapist_id, supervisor_id, status, opened_at, "
    "closed_at, client_sees_progress) VALUES (?, ?, ?, NULL, ?, ?, ?, 1)"
)
ADMINISTRATION_INSERT = (
    "INSERT INTO measures_administration (id, episode_id, session_id, instrument_id, "
    'instrument_version, requested_by_id, "when", created_at, available_from, due_at, '
    "completed_at, cancelled_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL)"
)
RESPONSE_INSERT = (
    "INSERT INTO measures_response (id, administration_id, episode_id, client_id, "
    "instrument_id, instrument_version, answers, text_answers, total, band, subscales, "
    "critical, answered, required, started_at, submitted_at, submitted_by_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# (instrument, items, top answer, when)
INSTRUMENTS = (
    ("phq-9", 9, 3, "before_session"),
    ("gad-7", 7, 3, "before_session"),
    ("session-feedback", 5, 10, "after_session"),
)


def db_time(value: datetime) -> str:
    """A datetime as Django stores it in SQLite (naive UTC text)."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


def answer_pool(rng: random.Random) -> dict[tuple[str, int], list[tuple[object, ...]]]:
    """Per instrument and total, a few scored answer sets (the Response columns, prepared)."""
    from bench_dashboard import stored

    from alliance.web.demo import FEEDBACK_ITEMS, spread

    pool: dict[tuple[str, int], list[tuple[object, ...]]] = {}
    for instrument_id, items, top, _ in INSTRUMENTS:
        for total in range(items * top + 1):
            sets = []
            for _ in range(3):
                values = spread(total, items, top, rng)
                if instrument_id == "phq-9":
                    # Item 9 kept at 0 (a risk answer would be a critical item, not needed here).
                    values = [*spread(min(total, 24), 8, 3, rng), 0]
                answers: object = values
                if instrument_id == "session-feedback":
                    answers = dict(zip(FEEDBACK_ITEMS, values, strict=True))
                sets.append(stored(instrument_id, answers))  # type: ignore[arg-type]
            pool[(instrument_id, total)] = sets
    return pool


def populate(responses: int, therapists: int, rng: random.Random) -> tuple[int, int]:
    """Insert the practice; returns (episodes, responses)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.test import override_settings
    from django.utils import timezone

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        password = make_password("bench-password-2026")
    pool = answer_pool(rng)
    now = timezone.now()
    joined = db_time(now - timedelta(weeks=130))
    connection.ensure_connection()
    db = connection.connection
    user_id = 1
    episode_id = 1
    row_id = 1
    with transaction.atomic():
        db.executemany(
            USER_INSERT,
            [
                (t, password, f"therapist{t}@bench.test", f"Therapist {t:02d}", "therapist", joined)
                for t in range(1, therapists + 1)
            ],
        )
        user_id = therapists + 1
        while row_id <= responses:
            users, episodes, admins, rows = [], [], [], []
            while row_id <= responses and len(rows) < 50_000:
                client_id, therapist_id = user_id, rng.randint(1, therapists)
                user_id += 1
                weeks = rng.randint(1, 110)
                start = now - timedelta(weeks=weeks + rng.randint(0, 20), hours=rng.randint(0, 99))
                closed = rng.random() < 0.30
                end = start + timedelta(weeks=weeks, days=1)
                users.append(
                    (
                        client_id,
                        password,
                        f"client{client_id}@bench.test",
                        f"Client {client_id:06d}",
                        "client",
                        joined,
                    )
                )
                episodes.append(
                    (
                        episode_id,
                        client_id,
                        therapist_id,
                        "closed" if closed else "open",
                        db_time(start - timedelta(days=3)),
                        db_time(end) if closed else None,
                    )
                )
                intake = rng.uniform(3, 26)
                change = rng.choice((-0.5, -0.2, 0.0, 0.3, 0.5, 0.7, 0.8))  # share of intake
                for week in range(weeks):
                    progress_ = week / max(weeks - 1, 1)
                    phq = intake * (1 - change * min(progress_ * 1.5, 1)) + rng.uniform(-2.5, 2.5)
                    totals = {
                        "phq-9": round(min(24, max(0, phq))),
                        "gad-7": round(min(21, max(0, phq * 0.7 + rng.uniform(-2, 2)))),
                        "session-feedback": rng.randint(28, 50),
                    }
                    at = start + timedelta(weeks=week)
                    for instrument_id, _, _, when in INSTRUMENTS:
                        if row_id > responses:
                            break
                        fields = rng.choice(pool[(instrument_id, totals[instrument_id])])
                        submitted = at + timedelta(minutes=55 if when == "after_session" else -90)
                        admins.append(
                            (
                                row_id,
                                episode_id,
                                instrument_id,
                                fields[1],
                                therapist_id,
                                when,
                                db_time(submitted - timedelta(hours=12)),
                                db_time(submitted),
                            )
                        )
                        rows.append(
                            (
                                row_id,
                                row_id,
                                episode_id,
                                client_id,
                                *fields,
                                db_time(submitted - timedelta(minutes=2)),
                                db_time(submitted),
                                client_id,
                            )
                        )
                        row_id += 1
                episode_id += 1
            db.executemany(USER_INSERT, users)
            db.executemany(EPISODE_INSERT, episodes)
            db.executemany(ADMINISTRATION_INSERT, admins)
            db.executemany(RESPONSE_INSERT, rows)
            progress(f"  {row_id - 1:,}/{responses:,} responses, {episode_id - 1:,} episodes")
    return episode_id - 1, row_id - 1


DUCKDB_SQL = """
WITH rules(instrument_id, threshold, cutoff, sign) AS (VALUES {values}),
pairs AS (
    SELECT r.episode_id, r.instrument_id, e.therapist_id,
        arg_min(r.total, (r.submitted_at, r.id)) AS intake,
        arg_max(r.total, (r.submitted_at, r.id)) AS latest
    FROM responses r JOIN episodes e ON e.id = r.episode_id
    WHERE r.total IS NOT NULL AND r.instrument_id IN (SELECT instrument_id FROM rules)
    GROUP BY r.episode_id, r.instrument_id, e.therapist_id
    HAVING count(*) >= 2
),
judged AS (
    SELECT p.instrument_id, p.therapist_id, (p.intake - p.latest) * u.sign AS improvement,
        u.threshold,
        CASE WHEN u.sign = 1 THEN p.intake >= u.cutoff ELSE p.intake <= u.cutoff END AS sick,
        CASE WHEN u.sign = 1 THEN p.latest < u.cutoff ELSE p.latest > u.cutoff END AS well
    FROM pairs p JOIN rules u USING (instrument_id)
)
SELECT j.instrument_id, j.therapist_id, t.preferred_name,
    count(*) FILTER (WHERE improvement >= threshold AND sick AND well),
    count(*) FILTER (WHERE improvement >= threshold AND NOT (sick AND well)),
    count(*) FILTER (WHERE improvement < threshold AND -improvement < threshold),
    count(*) FILTER (WHERE improvement < threshold AND -improvement >= threshold),
    count(*)
FROM judged j JOIN therapists t ON t.id = j.therapist_id
GROUP BY ALL
ORDER BY j.instrument_id, t.preferred_name
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--therapists", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    var_dir = fresh_database("report")
    import duckdb
    import pandas as pd
    from django.db import connection, transaction

    from alliance.alerts.reports import CATEGORIES, outcome_report, outcome_rules, summary_rebuild

    rng = random.Random(args.seed)
    progress(f"inserting {args.responses:,} responses")
    t0 = time.perf_counter()
    episodes, responses = populate(args.responses, args.therapists, rng)
    progress(f"data ready in {time.perf_counter() - t0:.0f} s")
    progress("score summaries: summary_rebuild() (what the data migration runs)")
    t = time.perf_counter()
    with transaction.atomic():
        summaries = summary_rebuild()
    rebuild_seconds = time.perf_counter() - t
    progress(f"  {summaries:,} summary rows in {rebuild_seconds:.1f} s")
    database = var_dir / "alliance.sqlite3"

    progress(f"ours: outcome_report(scope='all') x {args.runs}")
    ours_runs = []
    for _ in range(args.runs):
        t = time.perf_counter()
        ours = outcome_report(scope="all")
        ours_runs.append(time.perf_counter() - t)
        progress(f"  {ours_runs[-1]:.2f} s")
    connection.close()

    rules = outcome_rules()
    progress("DuckDB: loading the same rows from the SQLite file (sqlite3 -> pandas)")
    t = time.perf_counter()
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    frames = {
        "responses": pd.read_sql_query(
            "SELECT id, episode_id, instrument_id, total, submitted_at FROM measures_response",
            source,
        ),
        "episodes": pd.read_sql_query("SELECT id, therapist_id, status FROM care_episode", source),
        "therapists": pd.read_sql_query(
            "SELECT id, preferred_name FROM accounts_user WHERE role = 'therapist'", source
        ),
    }
    source.close()
    frames["responses"]["submitted_at"] = pd.to_datetime(
        frames["responses"]["submitted_at"], format="ISO8601"
    )
    duck = duckdb.connect()
    duck.execute("SET autoinstall_known_extensions = false")
    duck.execute("SET autoload_known_extensions = false")
    for name, frame in frames.items():
        # Materialised as DuckDB tables, so that the timed query reads DuckDB's own storage.
        duck.register(f"{name}_frame", frame)
        duck.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")
        duck.unregister(f"{name}_frame")
    load_seconds = time.perf_counter() - t
    progress(f"  loaded in {load_seconds:.1f} s")
    assert all(r.instrument_id.replace("-", "").isalnum() for r in rules)
    values = ", ".join(
        f"('{r.instrument_id}', {r.threshold!r}, {r.cutoff!r}, {1 if r.higher_is_worse else -1})"
        for r in rules
    )
    sql = DUCKDB_SQL.format(values=values)
    duck_runs = []
    for _ in range(args.runs):
        t = time.perf_counter()
        theirs = duck.execute(sql).fetchall()
        duck_runs.append(time.perf_counter() - t)
        progress(f"  DuckDB query {duck_runs[-1]:.3f} s")

    ours_rows = sorted(
        (
            r["instrument_id"],
            r["therapist_id"],
            r["therapist"],
            *[int(r["counts"][c]) for c in CATEGORIES],
            int(r["episodes"]),
        )
        for r in ours
    )
    duck_rows = sorted(tuple(int(v) if i > 2 else v for i, v in enumerate(row)) for row in theirs)
    if ours_rows != duck_rows:
        diff = set(ours_rows) ^ set(duck_rows)
        raise SystemExit(f"the reports differ on {len(diff)} rows, e.g. {sorted(diff)[:4]}")
    judged = sum(row[-1] for row in ours_rows)
    per_category = {c: sum(row[3 + i] for row in ours_rows) for i, c in enumerate(CATEGORIES)}

    ours_best, duck_best = min(ours_runs), min(duck_runs)
    print(f"machine: {machine()}; duckdb {duckdb.__version__}; pandas {pd.__version__}")
    print(
        f"data: {responses:,} responses (PHQ-9, GAD-7, session feedback) in {episodes:,} "
        f"episodes, {args.therapists} therapists; "
        f"SQLite file {database.stat().st_size / 2**20:,.0f} MB"
    )
    print(
        f"score summaries: {summaries:,} rows, built once by summary_rebuild() in "
        f"{rebuild_seconds:.1f} s (not in the ratio; kept current by response_submit after)"
    )
    print(
        f"report: {len(ours_rows)} rows (instrument x therapist), {judged:,} episode-instrument "
        f"pairs judged: " + ", ".join(f"{c} {n:,}" for c, n in per_category.items())
    )
    print(
        f"alliance outcome_report (SQLite): best {ours_best:.3f} s "
        f"(runs: {', '.join(f'{x:.3f}' for x in ours_runs)})"
    )
    print(
        f"DuckDB query: best {duck_best:.3f} s "
        f"(runs: {', '.join(f'{x:.3f}' for x in duck_runs)}); loading the rows from SQLite "
        f"via sqlite3/pandas, not in the ratio: {load_seconds:.1f} s"
    )
    print("results identical: every row and count")
    print(f"ratio: {ours_best / duck_best:.1f}")


if __name__ == "__main__":
    main()
