"""The scale practice: thousands of clients with up to two years of weekly history,
made through bulk inserts for benchmarks and capacity tests (issue 16).

``alliance demo --scale N`` and ``benchmarks/bench_scale.py`` call
:func:`build_scale_practice`. Client ``n`` (``client{n}@scale.test``) is treated by
therapist ``ceil(n / 50)`` and supervised by supervisor ``ceil(n / 2000)``; every client has
one episode of care (one in seven closed months ago, for the practice report's closed scope
and the alert-accuracy audit) with weekly sessions, a PHQ-9 and a GAD-7 before each and
session feedback after it.

Nothing goes through the per-row services and no audit event is written per row: rows are
made in memory and inserted in bulk, a batch of clients per transaction. On PostgreSQL two
processes make the batches' rows (as plain tuples) while this one COPYs them, so that
Python and the database work at once; elsewhere one process inserts with
``bulk_create``. What the services would have derived is derived here from the same rules,
so that every page shows the truth about the stored responses:

* every answer set is scored by ``alliance.instruments.score`` (cached per distinct set), and
  stored as ``response_store`` stores it (free text through the encrypted field);
* risk, not-on-track and rupture alerts follow ``alliance.alerts.rules`` (the same pure
  rules, the same one-open-alert-per-kind rule), and are answered ten days later as the demo
  therapists answer theirs; disengaged clients get the alert ``disengagement_check`` raises;
* each episode's ``ScoreSummary`` rows and ``CheckinTally`` (what the practice report
  reads) are computed from the batch's responses and check-ins, the disengaged clients'
  unanswered check-ins counted as the worker's round counts them; ``summary_drift`` and
  ``tally_drift`` find nothing to correct.

Each client's data comes from its own random stream, so growing the practice from 100 to
10,000 clients adds clients 101… and leaves the first hundred as they were.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from queue import Empty
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, reset_queries, transaction
from django.urls import reverse
from django.utils import timezone

from alliance import instruments as engine
from alliance.accounts.mfa import demo_totp_secret, totp_activate
from alliance.accounts.models import Role, User
from alliance.accounts.names import name_key
from alliance.alerts.findings import disengagement_findings, rupture_findings, track_findings
from alliance.alerts.models import Alert, AlertKind, AlertStatus, ScoreSummary
from alliance.alerts.rules import practice_model_for, trackable
from alliance.care.models import Episode, EpisodeStatus, Session
from alliance.instruments.alert_rules import rupture_cutoff, rupture_status
from alliance.instruments.trajectories.rules import track_status
from alliance.measures.instruments import get_instrument
from alliance.measures.models import (
    Administration,
    CheckinSchedule,
    CheckinTally,
    Response,
    When,
)
from alliance.measures.schedules import AFTER_DUE, BEFORE_OPENS
from alliance.measures.services import stored_answers
from alliance.web.demo import (
    DEMO_PASSWORD,
    DETERIORATING,
    FLAT,
    IMPROVING,
    RUPTURE_AND_REPAIR,
    feedback_answers,
    phq9_answers,
    severity_path,
    spread,
)

DOMAIN = "scale.test"
CLIENTS_PER_THERAPIST = 50
CLIENTS_PER_SUPERVISOR = 2000
BATCH_CLIENTS = 200  # clients per transaction (SQLite)
# PostgreSQL: smaller batches, so that the processes making rows and the one COPYing
# them overlap from the start; two such processes (with the database, the third and
# fourth busy process on two cores: the COPY side waits on the database much of the time).
COPY_BATCH_CLIENTS = 50
PRODUCERS = 2
ROWS_PER_INSERT = 1000  # rows per INSERT statement
LONGEST_WEEKS = 104  # two years

FIRST_NAMES = (
    "Ada", "Bea", "Cai", "Dana", "Eli", "Femi", "Gus", "Hana", "Ines", "Jon", "Kofi", "Lena",
    "Milo", "Nia", "Omar", "Pia", "Rafa", "Sara", "Teo", "Uma", "Vik", "Wen", "Yara", "Zed",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Baptiste", "Castro", "Dlamini", "Eriksen", "Fujita", "Garcia", "Haddad",
    "Ivanova", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okoro", "Park",
    "Quiroga", "Rossi", "Silva", "Tanaka", "Usman", "Vargas", "Weber", "Xu", "Young", "Zhou",
)  # fmt: skip
COMMENTS = (
    "It helped to slow down today.",
    "I would like more time on sleep next week.",
    "Hard session, but useful.",
)
ANSWERED_NOTE = "Talked it through in the next session."
RESOLVED_NOTE = "Plan adjusted together."


def email_of(kind: str, number: int | None = None) -> str:
    return f"{kind}{'' if number is None else number}@{DOMAIN}"


def is_closed(number: int) -> bool:
    return number % 7 == 0


def is_disengaged(number: int) -> bool:
    return number % 25 == 3 and not is_closed(number)


def risk_week(number: int, weeks: int) -> int | None:
    """The week a client answers PHQ-9 item 9 above 0: the last for 1 in 40 (an open risk
    alert on the caseload), an earlier one for another 1 in 40 (long since answered)."""
    if number % 40 == 1:
        return weeks - 1
    if number % 40 == 21:
        return weeks // 2
    return None


@dataclass
class ScaleResult:
    clients: int = 0
    clients_added: int = 0
    responses_added: int = 0
    alerts_added: int = 0
    seconds: float = 0.0
    # (e-mail, who it is, the authenticator secret staff sign in with or "")
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Scale practice ready: {self.clients:,} clients ({self.clients_added:,} added, "
            f"with {self.responses_added:,} responses and {self.alerts_added:,} alerts) "
            f"in {self.seconds:.0f} s."
        )

    def login_lines(self) -> list[str]:
        width = max(len(email) for email, _, _ in self.logins)
        label_width = max(len(label) for _, label, _ in self.logins)
        return [
            f"{email.ljust(width)}  {label.ljust(label_width)}  {secret}".rstrip()
            for email, label, secret in self.logins
        ]


def staff_counts(clients: int) -> tuple[int, int]:
    """How many therapists and supervisors a practice of ``clients`` has."""
    return (
        max(1, math.ceil(clients / CLIENTS_PER_THERAPIST)),
        max(1, math.ceil(clients / CLIENTS_PER_SUPERVISOR)),
    )


def _name(number: int) -> str:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} {last}"


def _staff(clients: int, password: str) -> dict[str, User]:
    """The admin, supervisors and therapists the practice needs, made if missing, each with
    the demo's fixed authenticator secret."""
    therapists, supervisors = staff_counts(clients)
    wanted = [(email_of("admin"), "Scale Admin", Role.ADMIN)]
    wanted += [
        (email_of("supervisor", k), f"Supervisor {_name(k)}", Role.SUPERVISOR)
        for k in range(1, supervisors + 1)
    ]
    wanted += [
        (email_of("therapist", k), f"Therapist {_name(k)}", Role.THERAPIST)
        for k in range(1, therapists + 1)
    ]
    have = {u.email: u for u in User.objects.filter(email__in=[e for e, _, _ in wanted])}
    new = [
        User(email=email, preferred_name=name, role=role, password=password)
        for email, name, role in wanted
        if email not in have
    ]
    User.objects.bulk_create(new, batch_size=ROWS_PER_INSERT)
    for user in User.objects.filter(email__in=[u.email for u in new]):
        totp_activate(user=user, secret=demo_totp_secret(user.email))
        have[user.email] = user
    return have


@lru_cache(maxsize=200_000)
def _scored(instrument_id: str, answers: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """The Response fields ``response_store`` derives from these answers, by the real scoring."""
    instrument = get_instrument(instrument_id)
    result = engine.score(instrument, dict(answers))
    scored, text = stored_answers(result)
    return {
        "instrument_version": instrument.version,
        "answers": scored,
        "text_answers": text,
        "total": result.total,
        "band": result.band.code if result.band else "",
        "subscales": dict(result.subscales),
        "critical": [
            {"link_id": hit.link_id, "position": hit.position, "value": hit.value}
            for hit in result.critical
        ],
        "answered": result.completeness.answered,
        "required": result.completeness.required,
    }


def _course(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.55:
        return IMPROVING
    if draw < 0.8:
        return FLAT
    if draw < 0.92:
        return DETERIORATING
    return RUPTURE_AND_REPAIR


@dataclass
class _Batch:
    """Everything one batch of clients adds, in the order it is inserted."""

    users: list[User] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    schedules: list[CheckinSchedule] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    administrations: list[Administration] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


class _Rules:
    """The alert rules of ``alliance.alerts.rules`` over one episode's history in memory."""

    def __init__(self, models_by_instrument: dict[str, Any]) -> None:
        self.models = models_by_instrument
        self.instruments = {
            iid: get_instrument(iid) for iid in ("phq-9", "gad-7", "session-feedback")
        }

    def start(self, episode: Episode, therapist: User, batch: _Batch) -> None:
        self.episode, self.therapist, self.batch = episode, therapist, batch
        self.earlier: dict[str, list[tuple[float, datetime]]] = {}
        self.open: list[Alert] = []

    def _raise(self, kind: str, details: dict[str, Any], response: Response | None,
               findings: list[Any], at: datetime, **extra: Any) -> None:  # fmt: skip
        if kind != AlertKind.RISK and any(alert.kind == kind for alert in self.open):
            return  # one open alert of a kind per episode, as ``_raise`` keeps it
        alert = Alert(
            episode=self.episode,
            client=self.episode.client,
            kind=kind,
            response=response,
            details=details,
            findings=findings,
            created_at=at,
            **({"notification": "none"} | extra),
        )
        self.open.append(alert)
        self.batch.alerts.append(alert)

    def answer_old(self, before: datetime) -> None:
        """Alerts raised before ``before`` were acknowledged and resolved by then."""
        for alert in [a for a in self.open if a.created_at < before]:
            alert.status = AlertStatus.RESOLVED
            alert.acknowledged_at = min(alert.created_at + timedelta(days=2), before)
            alert.acknowledged_by = self.therapist
            alert.acknowledgement_note = ANSWERED_NOTE
            alert.resolved_at = min(alert.created_at + timedelta(days=3), before)
            alert.resolved_by = self.therapist
            alert.resolution_note = RESOLVED_NOTE
            self.open.remove(alert)

    def response(self, response: Response) -> None:
        """What ``response_submit`` raises for this response."""
        at = response.submitted_at
        if response.critical:
            self._raise(
                AlertKind.RISK,
                {
                    "instrument_id": response.instrument_id,
                    "instrument_version": response.instrument_version,
                    "items": response.critical,
                },
                response,
                [],
                at,
                # Long since e-mailed: the worker must not send these again.
                notification="sent",
                notification_attempted_at=at,
            )
        if response.total is None:
            return
        instrument = self.instruments[response.instrument_id]
        earlier = self.earlier.setdefault(instrument.id, [])
        total = float(response.total)
        if rupture_cutoff(instrument) is not None:
            status = rupture_status(instrument, [t for t, _ in earlier], total)
            if status is not None:
                self._raise(
                    AlertKind.RUPTURE,
                    {"instrument_id": instrument.id, "latest": status.latest},
                    response,
                    rupture_findings(status),
                    at,
                )
        elif trackable(instrument) and earlier:
            intake, intake_at = earlier[0]
            k = len(earlier) + 1
            weeks = (at - intake_at).total_seconds() / (7 * 24 * 3600)
            track = track_status(
                instrument,
                intake,
                k,
                response.total,
                weeks_since_intake=weeks,
                model=self.models.get(instrument.id),
            )
            if track.level == "red":
                self._raise(
                    AlertKind.NOT_ON_TRACK,
                    {
                        "instrument_id": instrument.id,
                        "session": k,
                        "intake": intake,
                        "latest": response.total,
                        "expected": round(track.expected, 1),
                    },
                    response,
                    track_findings(track),
                    at,
                )
        earlier.append((total, at))


def _answered(
    batch: _Batch,
    rules: _Rules,
    session: Session,
    instrument_id: str,
    kind: str,
    answers: dict[str, Any],
    at: datetime,
) -> None:
    episode = session.episode
    fields = _scored(instrument_id, tuple(answers.items()))
    administration = Administration(
        episode=episode,
        session=session,
        instrument_id=instrument_id,
        instrument_version=fields["instrument_version"],
        requested_by=rules.therapist,
        when=kind,
        created_at=at,
        due_at=session.starts_at if kind == When.BEFORE_SESSION else None,
        completed_at=at,
    )
    response = Response(
        administration=administration,
        episode=episode,
        client=episode.client,
        instrument_id=instrument_id,
        started_at=at - timedelta(minutes=2),
        submitted_at=at,
        submitted_by=episode.client,
        **fields,
    )
    batch.administrations.append(administration)
    batch.responses.append(response)
    rules.response(response)


def _client(
    number: int,
    staff: dict[str, User],
    password: str,
    now: datetime,
    batch: _Batch,
    rules: _Rules,
) -> None:
    """Client ``number``, their episode and its whole history, added to ``batch``."""
    rng = random.Random(f"scale-{number}")
    therapist = staff[email_of("therapist", math.ceil(number / CLIENTS_PER_THERAPIST))]
    supervisor = staff[email_of("supervisor", math.ceil(number / CLIENTS_PER_SUPERVISOR))]
    closed = is_closed(number)
    if closed:
        weeks = rng.randint(12, 52)
        ended = now - timedelta(days=rng.randint(30, 330))
        first = ended - timedelta(weeks=weeks - 1)
    else:
        weeks = rng.randint(26, LONGEST_WEEKS)
        first = now - timedelta(weeks=weeks)
    first = first.replace(hour=rng.choice([9, 10, 11, 14, 15, 16, 17]), minute=0, second=0,
                          microsecond=0)  # fmt: skip
    opened = first - timedelta(days=3)
    name = _name(number)
    client = User(
        email=email_of("client", number),
        preferred_name=name,
        name_key=name_key(name),  # what User.save keeps; COPY goes past it
        language="es" if number % 5 == 2 else "en",
        role=Role.CLIENT,
        password=password,
        date_joined=opened,
    )
    episode = Episode(
        client=client,
        therapist=therapist,
        supervisor=supervisor,
        opened_at=opened,
        status=EpisodeStatus.CLOSED if closed else EpisodeStatus.OPEN,
        closed_at=first + timedelta(weeks=weeks - 1, days=1) if closed else None,
    )
    batch.users.append(client)
    batch.episodes.append(episode)
    rules.start(episode, therapist, batch)
    course = _course(rng)
    depression = severity_path(course, weeks, rng)
    risky = risk_week(number, weeks)
    disengaged = is_disengaged(number)
    for week in range(weeks):
        starts_at = first + timedelta(weeks=week)
        session = Session(episode=episode, number=week + 1, starts_at=starts_at,
                          created_at=starts_at - timedelta(days=7))  # fmt: skip
        batch.sessions.append(session)
        rules.answer_old(starts_at - timedelta(days=10))
        before = starts_at - timedelta(hours=rng.randint(2, 20))
        if disengaged and week >= weeks - 2:
            # Asked for and never answered: the last two check-ins (disengagement).
            for instrument_id in ("phq-9", "gad-7"):
                batch.administrations.append(
                    Administration(
                        episode=episode,
                        session=session,
                        instrument_id=instrument_id,
                        instrument_version=get_instrument(instrument_id).version,
                        requested_by=therapist,
                        when=When.BEFORE_SESSION,
                        created_at=before,
                        due_at=starts_at,
                        # Counted by the worker's round since (``checkins_expire``).
                        expired_at=starts_at + timedelta(hours=1),
                    )
                )
            continue
        phq9 = phq9_answers(depression[week], rng, risk=week == risky)
        phq9_items = {f"phq9-{i}": value for i, value in enumerate(phq9, start=1)}
        _answered(batch, rules, session, "phq-9", When.BEFORE_SESSION, phq9_items, before)
        anxiety = spread(round(depression[week] * 0.7), 7, 3, rng)
        gad7_items = {f"gad7-{i}": value for i, value in enumerate(anxiety, start=1)}
        _answered(batch, rules, session, "gad-7", When.BEFORE_SESSION, gad7_items, before)
        feedback: dict[str, Any] = feedback_answers(course, week, weeks, rng)
        if rng.random() < 0.03:
            feedback["sf-comment"] = rng.choice(COMMENTS)  # encrypted at rest
        after = starts_at + timedelta(minutes=55)
        _answered(batch, rules, session, "session-feedback", When.AFTER_SESSION, feedback, after)
    if closed:
        rules.answer_old(now)
        return
    if disengaged:
        rules._raise(
            AlertKind.DISENGAGEMENT,
            {"missed": 2, "checked_at": now.isoformat()},
            None,
            disengagement_findings(2),
            now,
        )
    # The next session, with the check-ins ``schedule_sync`` gives it.
    schedule = CheckinSchedule(episode=episode, updated_at=opened)
    batch.schedules.append(schedule)
    soon = (now + timedelta(days=rng.randint(1, 6))).replace(
        hour=first.hour, minute=0, second=0, microsecond=0
    )
    upcoming = Session(episode=episode, number=weeks + 1, starts_at=soon, created_at=now)
    batch.sessions.append(upcoming)
    for kind, wanted, available_from, due_at in (
        (When.BEFORE_SESSION, schedule.before_session, soon - BEFORE_OPENS, soon),
        (When.AFTER_SESSION, schedule.after_session, soon, soon + AFTER_DUE),
    ):
        for instrument_id in wanted:
            batch.administrations.append(
                Administration(
                    episode=episode,
                    session=upcoming,
                    instrument_id=instrument_id,
                    instrument_version=get_instrument(instrument_id).version,
                    requested_by=therapist,
                    when=kind,
                    created_at=now,
                    available_from=available_from,
                    due_at=due_at,
                )
            )


def _summaries(responses: Iterable[Response]) -> list[ScoreSummary]:
    """Per episode and instrument, what ``summary_record`` would hold after these responses."""
    summaries: dict[tuple[int, str], ScoreSummary] = {}
    for response in responses:
        if response.total is None:
            continue
        total = float(response.total)
        key = (response.episode_id, response.instrument_id)
        summary = summaries.get(key)
        at = response.submitted_at
        if summary is None:
            summaries[key] = ScoreSummary(
                episode_id=response.episode_id,
                instrument_id=response.instrument_id,
                first_response=response,
                first_at=at,
                first_total=total,
                latest_response=response,
                latest_at=at,
                latest_total=total,
                scores=1,
                total_sum=total,
            )
            continue
        if (at, response.pk) < (summary.first_at, summary.first_response_id):
            summary.first_response, summary.first_at, summary.first_total = response, at, total
        if (at, response.pk) > (summary.latest_at, summary.latest_response_id):
            summary.latest_response, summary.latest_at = response, at
            summary.latest_total = total
        summary.scores += 1
        summary.total_sum += total
    return list(summaries.values())


def _tallies(administrations: Iterable[Administration]) -> list[CheckinTally]:
    """Per episode, what ``response_store`` and ``checkins_expire`` would have counted."""
    tallies: dict[int, CheckinTally] = {}
    for administration in administrations:
        if administration.cancelled_at is not None:
            continue
        completed = administration.completed_at is not None
        expired = not completed and administration.expired_at is not None
        if completed or expired:
            tally = tallies.setdefault(
                administration.episode_id, CheckinTally(episode_id=administration.episode_id)
            )
            tally.completed += completed
            tally.expired += expired
    return list(tallies.values())


def _insert(model: type[models.Model], rows: list[Any]) -> None:
    """Insert ``rows`` with ``bulk_create`` (setting their ids): the SQLite path."""
    model.objects.bulk_create(rows, batch_size=ROWS_PER_INSERT)  # type: ignore[attr-defined]


def _save(batch: _Batch) -> None:
    """The batch through ``bulk_create``, in one transaction (SQLite)."""
    with transaction.atomic():
        _insert(User, batch.users)
        _insert(Episode, batch.episodes)
        _insert(CheckinSchedule, batch.schedules)
        _insert(Session, batch.sessions)
        _insert(Administration, batch.administrations)
        _insert(Response, batch.responses)
        _insert(Alert, batch.alerts)
        _insert(ScoreSummary, _summaries(batch.responses))
        _insert(CheckinTally, _tallies(batch.administrations))


# --- PostgreSQL: rows as tuples, made in a second process while the first COPYs ---

# The tables in the order they are inserted (each points only at earlier ones or staff).
COPY_ORDER: tuple[type[models.Model], ...] = (
    User, Episode, CheckinSchedule, Session, Administration, Response, Alert, ScoreSummary,
    CheckinTally,
)  # fmt: skip
# Foreign keys to a user that point at the batch's own clients; every other key to a
# user points at staff, who exist before the build starts.
CLIENT_KEYS = frozenset({"client", "submitted_by"})


@dataclass(frozen=True)
class _Table:
    """One batch's rows of one table, as plain tuples in ``columns`` order. Keys inside the
    batch are the row's position in its table's list (``local`` names which columns, and
    the table they point at; an auto id is column 0); the inserting process turns them into
    ids from the tables' sequences."""

    model: type[models.Model]
    columns: list[str]
    local: list[tuple[int, type[models.Model]]]
    auto_id: bool
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class _Tuples:
    tables: list[_Table]
    clients: int
    responses: int
    alerts: int


def _local(field: models.Field[Any, Any]) -> type[models.Model] | None:
    """The batch table a foreign key points into, None for keys to staff (or no key)."""
    if not isinstance(field, models.ForeignKey):
        return None
    target = field.related_model
    assert isinstance(target, type)
    if target is User and field.name not in CLIENT_KEYS:
        return None
    return target


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a value becomes what COPY takes (None: as it is): JSON as its text (dumped in
    the process that makes the rows, not the one that inserts), encrypted fields through
    their own preparation, choices as plain text. Times, numbers and ids go as they are."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    if type(field).__module__.startswith("alliance."):  # encrypted at rest
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: None if value is None else str(value)
    return None


def _tuples(batch: _Batch) -> _Tuples:
    """The batch as plain rows. Rows get their position in their table as a stand-in id,
    so that the summaries (which order responses by id within a time) see the order the
    real ids will have."""
    lists: dict[type[models.Model], list[Any]] = {
        User: batch.users,
        Episode: batch.episodes,
        CheckinSchedule: batch.schedules,
        Session: batch.sessions,
        Administration: batch.administrations,
        Response: batch.responses,
        Alert: batch.alerts,
    }
    for rows in lists.values():
        for position, row in enumerate(rows):
            row.pk = position
    for model, rows in lists.items():
        relations = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
        for row in rows:
            for relation in relations:  # what bulk_create's related-field check does
                if getattr(row, relation.attname) is None and relation.is_cached(row):
                    related = relation.get_cached_value(row)
                    setattr(row, relation.attname, related.pk if related else None)
    lists[ScoreSummary] = _summaries(batch.responses)
    lists[CheckinTally] = _tallies(batch.administrations)
    tables = []
    for model in COPY_ORDER:
        meta = model._meta
        auto_id = isinstance(meta.pk, models.AutoField)
        fields = list(meta.concrete_fields)
        if auto_id:  # the id first
            fields.remove(meta.pk)
            fields.insert(0, meta.pk)
        local = [(0, model)] if auto_id else []
        local += [(n, target) for n, f in enumerate(fields) if (target := _local(f)) is not None]
        attnames = [f.attname for f in fields]
        converters = [(n, c) for n, f in enumerate(fields) if (c := _converter(f)) is not None]
        out = []
        for position, row in enumerate(lists[model]):
            values = [getattr(row, attname) for attname in attnames]
            for n, convert in converters:
                values[n] = convert(values[n])
            if auto_id:
                values[0] = position
            out.append(tuple(values))
        tables.append(
            _Table(
                model=model,
                columns=[f.column for f in fields],
                local=local,
                auto_id=auto_id,
                rows=out,
            )
        )
    return _Tuples(
        tables=tables,
        clients=len(batch.users),
        responses=len(batch.responses),
        alerts=len(batch.alerts),
    )


def _copy(tuples: _Tuples) -> None:
    """COPY one batch in one transaction, its stand-in ids turned into real ones."""
    ids: dict[type[models.Model], list[int]] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tuples.tables:
            meta = table.model._meta
            if table.auto_id:
                # A block of ids from the table's own sequence, in order.
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [meta.db_table, len(table.rows)],
                )
                ids[table.model] = sorted(row[0] for row in cursor.fetchall())
            if not table.rows:
                continue
            local = [(n, ids[target]) for n, target in table.local]
            columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
            name = connection.ops.quote_name(meta.db_table)
            with cursor.cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                for values in table.rows:
                    row = list(values)
                    for n, block in local:
                        if row[n] is not None:
                            row[n] = block[row[n]]
                    copy.write_row(row)


def _produce(
    chunks: list[range],
    staff: dict[str, User],
    password: str,
    now: datetime,
    models_by_instrument: dict[str, Any],
    queue: Any,
) -> None:
    """A process that makes rows: each of its batches' tuples handed over in turn, then
    None.

    It never touches the database: the connection it inherited is set aside unused (kept
    referenced, so that no finaliser closes the parent's session), and anything that
    did need one would open its own."""
    from django.db import connections

    for alias in connections:
        wrapper = connections[alias]
        wrapper.inherited = wrapper.connection  # type: ignore[attr-defined]
        wrapper.connection = None
    rules = _Rules(models_by_instrument)
    try:
        for chunk in chunks:
            batch = _Batch()
            for number in chunk:
                _client(number, staff, password, now, batch, rules)
            queue.put(_tuples(batch))
    finally:
        queue.put(None)


def existing_clients() -> int:
    return User.objects.filter(role=Role.CLIENT, email__endswith=f"@{DOMAIN}").count()


def _chunks(low: int, high: int, size: int = 0) -> list[range]:
    size = size or BATCH_CLIENTS
    return [range(n, min(n + size, high + 1)) for n in range(low, high + 1, size)]


def build_scale_practice(
    clients: int,
    progress: Callable[[str], None] = lambda line: None,
    now: datetime | None = None,
) -> ScaleResult:
    """Grow the scale practice to ``clients`` clients (the ones it has are kept).

    On PostgreSQL a second process makes the next batch's rows (the rules, the scoring,
    the summaries) while this one COPYs the last: the database and Python work on
    different cores. Elsewhere one process does both, through ``bulk_create``."""
    started = time.perf_counter()
    now = now or timezone.now()
    password = make_password(DEMO_PASSWORD)  # hashed once: every account shares it
    have = existing_clients()
    staff = _staff(max(clients, have), password)
    models_by_instrument = {iid: practice_model_for(iid) for iid in ("phq-9", "gad-7")}
    result = ScaleResult(clients=max(clients, have))
    chunks = _chunks(have + 1, clients)

    def done(added: int, responses: int, alerts: int) -> None:
        result.clients_added += added
        result.responses_added += responses
        result.alerts_added += alerts
        progress(
            f"clients {have + result.clients_added:,}/{clients:,} "
            f"({result.responses_added:,} responses added, "
            f"{time.perf_counter() - started:.0f} s)"
        )

    if connection.vendor == "postgresql" and chunks:
        _build_in_parallel(
            _chunks(have + 1, clients, COPY_BATCH_CLIENTS),
            staff,
            password,
            now,
            models_by_instrument,
            done,
        )
    else:
        rules = _Rules(models_by_instrument)
        for chunk in chunks:
            batch = _Batch()
            for number in chunk:
                _client(number, staff, password, now, batch, rules)
            _save(batch)
            reset_queries()  # with DEBUG on, Django keeps every statement's text otherwise
            done(len(batch.users), len(batch.responses), len(batch.alerts))
    result.seconds = time.perf_counter() - started
    result.logins = _logins(result.clients)
    return result


def _build_in_parallel(
    chunks: list[range],
    staff: dict[str, User],
    password: str,
    now: datetime,
    models_by_instrument: dict[str, Any],
    done: Callable[[int, int, int], None],
) -> None:
    """``PRODUCERS`` processes make the batches' rows (batch k by process k mod
    ``PRODUCERS``: each client's data comes from its own random stream, so which process
    makes it changes nothing) while this one COPYs them, in order."""
    context = multiprocessing.get_context("fork")
    workers = min(PRODUCERS, len(chunks))
    queues = [context.Queue(maxsize=2) for _ in range(workers)]  # two batches wait at most
    producers = [
        context.Process(
            target=_produce,
            args=(chunks[k::workers], staff, password, now, models_by_instrument, queues[k]),
            daemon=True,
        )
        for k in range(workers)
    ]
    for producer in producers:
        producer.start()
    try:
        for k in range(len(chunks)):
            tuples = _next(queues[k % workers], producers[k % workers])
            _copy(tuples)
            reset_queries()
            done(tuples.clients, tuples.responses, tuples.alerts)
    finally:
        for producer in producers:
            producer.join(timeout=5)
            if producer.is_alive():
                producer.terminate()


def _next(queue: Any, producer: Any, poll: float = 5.0) -> _Tuples:
    """The producer's next batch; an error if it stopped early (an exception, printed on
    stderr by multiprocessing, or killed), rather than waiting for ever."""
    while True:
        try:
            tuples = queue.get(timeout=poll)
        except Empty:
            if producer.is_alive():
                continue
            try:  # what it put just before it ended may still be on its way
                tuples = queue.get(timeout=poll)
            except Empty:
                tuples = None
        if tuples is None:
            raise RuntimeError("a process making the rows stopped early (see above)")
        return tuples


def _logins(clients: int) -> list[tuple[str, str, str]]:
    therapists, supervisors = staff_counts(clients)
    logins = [(email_of("admin"), "Practice admin", demo_totp_secret(email_of("admin")))]
    logins += [
        (
            email_of("supervisor", k),
            f"Supervisor of up to {CLIENTS_PER_SUPERVISOR:,} clients",
            demo_totp_secret(email_of("supervisor", k)),
        )
        for k in range(1, supervisors + 1)
    ]
    first = email_of("therapist", 1)
    logins.append((first, "Therapist of 50 clients", demo_totp_secret(first)))
    if therapists > 1:
        logins.append(
            (
                f"therapist2@{DOMAIN} … therapist{therapists}@{DOMAIN}",
                "Therapists (code: alliance demo-code EMAIL)",
                "",
            )
        )
    logins.append((f"client1@{DOMAIN} … client{clients}@{DOMAIN}", "Clients", ""))
    return logins


def scale_pages() -> dict[str, tuple[User, str]]:
    """The pages issue 16 measures, each with who opens it: the caseload of a therapist
    (50 clients) and of a supervisor (up to 2,000), a client's record and progress, the
    practice report and the alert-accuracy audit."""
    therapist = User.objects.get(email=email_of("therapist", 1))
    supervisor = User.objects.get(email=email_of("supervisor", 1))
    client = User.objects.get(email=email_of("client", 1))
    return {
        "caseload (therapist, 50 clients)": (therapist, reverse("caseload")),
        "caseload (supervisor)": (supervisor, reverse("caseload")),
        "client record": (therapist, reverse("client_record", args=[client.pk])),
        "progress": (therapist, reverse("client_progress", args=[client.pk])),
        "practice report": (supervisor, reverse("practice_report")),
        "alert-accuracy audit": (supervisor, reverse("alert_accuracy")),
    }
