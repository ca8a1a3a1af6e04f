"""The demo practice: realistic people and history, made through the real services.

Loading is idempotent: an account that already exists is kept as it is, and an
episode or session that exists is not made again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from alliance.accounts.mfa import demo_totp_secret, totp_activate
from alliance.accounts.models import Role, User
from alliance.accounts.services import user_create
from alliance.alerts.models import Alert
from alliance.alerts.rules import disengagement_check
from alliance.alerts.services import alert_acknowledge, alert_resolve
from alliance.care import access
from alliance.care.models import Episode, Session
from alliance.care.services import episode_close, episode_open, session_schedule
from alliance.checkins.services import response_submit
from alliance.exercises.demo import demo_exercises
from alliance.measures.models import When
from alliance.measures.schedules import schedule_sync
from alliance.measures.services import administration_request
from alliance.messaging.demo import demo_messaging, demo_office_hours
from alliance.notes.demo import demo_summaries
from alliance.plans.demo import demo_plans
from alliance.preferences.demo import demo_preferences
from alliance.safety.demo import demo_safety

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published on purpose: it is the demo

# (preferred name, pronouns, language)
STAFF = {
    "admin@demo.test": ("Morgan Lee", "they/them", "en", Role.ADMIN),
    "supervisor@demo.test": ("Dr. Samira Haddad", "she/her", "en", Role.SUPERVISOR),
    "therapist1@demo.test": ("Jordan Okafor", "he/him", "en", Role.THERAPIST),
    "therapist2@demo.test": ("Lucía Fernández", "she/her", "es", Role.THERAPIST),
    "therapist3@demo.test": ("Riley Nakamura", "they/them", "en", Role.THERAPIST),
}

CLIENTS = [
    ("Dana Whitfield", "she/her", "en"),
    ("Mateo Álvarez", "he/him", "es"),
    ("Priya Raman", "she/her", "en"),
    ("Kwame Mensah", "he/him", "en"),
    ("Sol Navarro", "they/them", "es"),
    ("Aiyana Redcloud", "she/her", "en"),
    ("Tomás Herrera", "he/him", "es"),
    ("Mei Chen", "she/her", "en"),
    ("Elliot Brooks", "he/they", "en"),
    ("Fatima Zahra Benali", "she/her", "en"),
    ("Grace O'Connell", "she/her", "en"),
    ("Haruto Sato", "he/him", "en"),
    ("Isabel Cruz", "she/her", "es"),
    ("Jamal Washington", "he/him", "en"),
    ("Kai Kahananui", "they/them", "en"),
    ("Leila Karimi", "she/her", "en"),
    ("Marisol Quispe", "she/her", "es"),
    ("Noah Goldberg", "he/him", "en"),
    ("Olusegun Adeyemi", "he/him", "en"),
    ("Paz Domínguez", "she/they", "es"),
    ("Quinn Murphy", "", "en"),
    ("Rosa Jiménez", "she/her", "es"),
    ("Sami Virtanen", "he/him", "en"),
    ("Tala Ibrahim", "she/her", "en"),
    ("Uriel Castillo", "he/him", "es"),
    ("Valentina Rossi", "she/her", "en"),
    ("Wren Abernathy", "they/them", "en"),
    ("Ximena Flores", "she/her", "es"),
    ("Yusuf Demir", "he/him", "en"),
    ("Zoe Papadopoulos", "she/her", "en"),
]

# Clients whose last two check-ins were not completed (30 is therapist1's, so that the
# demo therapist's own caseload shows every kind of alert).
DISENGAGING = frozenset({13, 30})

# Clients whose last session felt wrong and has not been talked through yet: an open
# rupture alert (27 is therapist1's).
RECENT_RUPTURE = frozenset({25, 27})

# Which episodes the demo closes, to show read-only records.
CLOSED_CLIENTS = frozenset({28})


def therapist_number_for(client_number: int) -> int:
    if client_number in (1, 2):
        return 1
    return (client_number % 3) + 1


def supervised(client_number: int) -> bool:
    return client_number in (1, 2) or client_number % 4 == 0


@dataclass
class DemoResult:
    created_people: int = 0
    created_episodes: int = 0
    created_sessions: int = 0
    created_responses: int = 0
    # (e-mail, who it is, the authenticator secret staff sign in with or "")
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Demo practice ready: {self.created_people} people, {self.created_episodes} "
            f"episodes of care, {self.created_sessions} sessions and {self.created_responses} "
            "questionnaire responses added this run."
        )

    def login_lines(self) -> list[str]:
        width = max(len(email) for email, _, _ in self.logins)
        label_width = max(len(label) for _, label, _ in self.logins)
        return [
            f"{email.ljust(width)}  {label.ljust(label_width)}  {secret}".rstrip()
            for email, label, secret in self.logins
        ]


def _person(
    email: str, name: str, pronouns: str, language: str, role: str, result: DemoResult
) -> User:
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing
    result.created_people += 1
    return user_create(
        actor=None,
        email=email,
        password=DEMO_PASSWORD,
        preferred_name=name,
        pronouns=pronouns,
        language=language,
        role=role,
    )


# How each demo client's scores move, so that every chart and alert has an example.
IMPROVING, FLAT, DETERIORATING, RUPTURE_AND_REPAIR = "improving", "flat", "deteriorating", "rupture"


def course_for(number: int) -> str:
    if number in (3, 11, 19):
        return DETERIORATING
    if number in (2, 9, 17, 25):
        return RUPTURE_AND_REPAIR
    if number % 5 == 0:
        return FLAT
    return IMPROVING


def severity_path(course: str, weeks: int, rng: random.Random) -> list[float]:
    """A PHQ-9-like total per week (0 to 27) for the course, with some noise."""
    intake = rng.uniform(13, 20)
    path = []
    for week in range(weeks):
        progress = week / max(weeks - 1, 1)
        if course == DETERIORATING:
            base = intake - 3 + 10 * progress
        elif course == FLAT:
            base = intake - 1
        else:
            base = intake * (1 - 0.6 * min(progress * 1.4, 1))
        path.append(min(27.0, max(0.0, base + rng.uniform(-2, 2))))
    return path


def spread(total: int, items: int, top: int, rng: random.Random) -> list[int]:
    """Item answers (0..top each) that add up to ``total``."""
    values = [0] * items
    for _ in range(min(total, items * top)):
        choices = [i for i in range(items) if values[i] < top]
        values[rng.choice(choices)] += 1
    return values


def phq9_answers(total: float, rng: random.Random, risk: bool = False) -> list[int]:
    values = [*spread(round(total), 8, 3, rng), 0]
    if risk:
        values[8] = 1
    return values


def feedback_answers(
    course: str, week: int, weeks: int, rng: random.Random, recent: bool = False
) -> dict[str, int]:
    level = rng.randint(8, 9)
    if recent and week == weeks - 1:
        level = 3  # a rupture at the last session, not yet talked through
    elif course == RUPTURE_AND_REPAIR and week == weeks // 2:
        level = 3  # the rupture: this session did not feel right
    elif course == RUPTURE_AND_REPAIR and week == weeks // 2 + 1:
        level = 6  # talked through, on the way back
    return {link_id: max(0, min(10, level + rng.randint(0, 1))) for link_id in FEEDBACK_ITEMS}


FEEDBACK_ITEMS = ("sf-bond", "sf-goals", "sf-approach", "sf-respect", "sf-overall")


def _history(
    number: int,
    episode: Episode,
    therapist: User,
    rng: random.Random,
    now: datetime,
    result: DemoResult,
    max_weeks: int,
) -> None:
    """Weekly sessions with check-ins before and feedback after, and the next session booked."""
    if episode.sessions.exists():
        return
    weeks = rng.randint(4, max_weeks)
    first = (now - timedelta(weeks=weeks)).replace(
        hour=rng.choice([9, 10, 11, 14, 15, 16, 17]), minute=0, second=0, microsecond=0
    )
    course = course_for(number)
    depression = severity_path(course, weeks, rng)
    for week in range(weeks + 1):
        starts_at = first + timedelta(weeks=week)
        if week == weeks:
            # The next session is still to come: within three days its check-in is open.
            soon = 2 if number in (1, 2) else rng.randint(1, 6)
            starts_at = (now + timedelta(days=soon)).replace(
                hour=starts_at.hour, minute=0, second=0, microsecond=0
            )
        session = session_schedule(actor=therapist, episode=episode, starts_at=starts_at)
        result.created_sessions += 1
        if week == weeks:
            break  # the next session: its check-in is waiting for the client
        _answer_old_alerts(episode, therapist, before=starts_at - timedelta(days=10))
        before = starts_at - timedelta(hours=rng.randint(2, 20))
        if number in DISENGAGING and week >= weeks - 2:
            # The last two check-ins were asked for and not completed (disengagement).
            for instrument_id in ("phq-9", "gad-7"):
                administration_request(
                    actor=therapist,
                    episode=episode,
                    instrument_id=instrument_id,
                    created_at=before,
                    session=session,
                    when=When.BEFORE_SESSION,
                    due_at=starts_at,
                )
            continue
        risk = number == 1 and week == weeks - 1
        phq9 = phq9_answers(depression[week], rng, risk)
        _answered(session, therapist, "phq-9", When.BEFORE_SESSION, phq9, before)
        anxiety = spread(round(depression[week] * 0.7), 7, 3, rng)
        _answered(session, therapist, "gad-7", When.BEFORE_SESSION, anxiety, before)
        after = starts_at + timedelta(minutes=55)
        feedback = feedback_answers(course, week, weeks, rng, recent=number in RECENT_RUPTURE)
        _answered(session, therapist, "session-feedback", When.AFTER_SESSION, feedback, after)
        result.created_responses += 3
    # The next session's check-ins, from the episode's (default) schedule.
    schedule_sync(episode=episode, actor=therapist)
    disengagement_check(episode, now)
    # Backdated after the fact; the object too, as the client's voice is dated from it.
    episode.opened_at = first - timedelta(days=3)
    Episode.objects.filter(pk=episode.pk).update(opened_at=episode.opened_at)


# People whose care ended months ago (client31… in the demo): their closed episodes give
# the practice report and the alert-accuracy audit outcomes to count.
ALUMNI = [
    ("Beatriz Santos", "she/her", "es", IMPROVING),
    ("Connor Walsh", "he/him", "en", DETERIORATING),
    ("Dev Patel", "he/him", "en", IMPROVING),
    ("Esi Owusu", "she/her", "en", FLAT),
    ("Farid Nasser", "he/him", "en", DETERIORATING),
    ("Greta Lindqvist", "she/her", "en", IMPROVING),
    ("Iker Etxeberria", "he/him", "es", IMPROVING),
    ("Maya Levi", "she/her", "en", RUPTURE_AND_REPAIR),
]


def _past_episode(
    episode: Episode, therapist: User, rng: random.Random, now: datetime, course: str
) -> int:
    """A finished course of care: weekly sessions with check-ins and feedback, ended one
    to eleven months ago, its alerts answered, the episode closed. Returns the number of
    responses made (none if the episode already has its history)."""
    if episode.sessions.exists():
        return 0
    weeks = rng.randint(6, 12)
    ended = (now - timedelta(days=rng.randint(30, 330))).replace(
        hour=rng.choice([9, 11, 15, 17]), minute=0, second=0, microsecond=0
    )
    first = ended - timedelta(weeks=weeks - 1)
    depression = severity_path(course, weeks, rng)
    for week in range(weeks):
        starts_at = first + timedelta(weeks=week)
        session = session_schedule(actor=therapist, episode=episode, starts_at=starts_at)
        _answer_old_alerts(episode, therapist, before=starts_at - timedelta(days=10))
        before = starts_at - timedelta(hours=rng.randint(2, 20))
        _answered(
            session,
            therapist,
            "phq-9",
            When.BEFORE_SESSION,
            phq9_answers(depression[week], rng),
            before,
        )
        anxiety = spread(round(depression[week] * 0.7), 7, 3, rng)
        _answered(session, therapist, "gad-7", When.BEFORE_SESSION, anxiety, before)
        feedback = feedback_answers(course, week, weeks, rng)
        after = starts_at + timedelta(minutes=55)
        _answered(session, therapist, "session-feedback", When.AFTER_SESSION, feedback, after)
    _answer_old_alerts(episode, therapist, before=now)
    episode_close(actor=therapist, episode=episode)
    # Backdated after the fact, like the open episodes' start.
    Episode.objects.filter(pk=episode.pk).update(
        opened_at=first - timedelta(days=3), closed_at=ended + timedelta(days=1)
    )
    return weeks * 3


def _answer_old_alerts(episode: Episode, therapist: User, before: datetime) -> None:
    """Alerts from weeks ago were answered at the time, as a therapist would have."""
    old = Alert.objects.filter(episode=episode, status="open", created_at__lt=before)
    for alert in old.order_by("-created_at"):
        alert.refresh_from_db(fields=["status"])
        if alert.status != "open":
            continue  # answered with a newer alert of its kind (and resolved with it)
        alert_acknowledge(
            actor=therapist, alert=alert, note="Talked it through in the next session."
        )
        alert_resolve(actor=therapist, alert=alert, note="Plan adjusted together.")


def _answered(
    session: Session,
    therapist: User,
    instrument_id: str,
    kind: str,
    answers: object,
    when: datetime,
) -> None:
    episode = session.episode
    administration = administration_request(
        actor=therapist,
        episode=episode,
        instrument_id=instrument_id,
        created_at=when,
        session=session,
        when=kind,
        due_at=session.starts_at if kind == When.BEFORE_SESSION else None,
    )
    response_submit(
        actor=episode.client,
        administration=administration,
        answers=answers,  # type: ignore[arg-type]
        started_at=when - timedelta(minutes=2),
        submitted_at=when,
    )


def _clients_voice(number: int, episode: Episode, now: datetime) -> None:
    """Goals, preferences, safety plan, exercises and messages, each with its own random
    stream so that adding one feature does not reshuffle the others' data."""
    for feature, make in (
        ("plans", demo_plans),
        ("preferences", demo_preferences),
        ("safety", demo_safety),
        ("exercises", demo_exercises),
        ("messaging", demo_messaging),
    ):
        make(episode=episode, rng=random.Random(f"{feature}-{number}"), now=now)


def _client_episode(
    number: int,
    person: tuple[str, str, str],
    staff: dict[str, User],
    supervisor: User,
    result: DemoResult,
) -> tuple[User, Episode]:
    """Demo client ``number`` (name, pronouns, language) and their episode of care with
    their therapist, made if missing; returns the therapist and the episode."""
    name, pronouns, language = person
    client = _person(f"client{number}@demo.test", name, pronouns, language, Role.CLIENT, result)
    therapist = staff[f"therapist{therapist_number_for(number)}@demo.test"]
    episode = Episode.objects.filter(client=client).first()
    if episode is None:
        episode = episode_open(
            actor=therapist,
            client=client,
            therapist=therapist,
            supervisor=supervisor if supervised(number) else None,
        )
        result.created_episodes += 1
    return therapist, episode


@transaction.atomic
def load_demo_practice(
    progress: Callable[[str], None] = lambda line: None, max_weeks: int = 30
) -> DemoResult:
    """Load the demo practice; ``max_weeks`` caps each client's history (4 to 30 weeks)."""
    result = DemoResult()
    rng = random.Random(20261125)  # the same practice every time
    now = timezone.now()
    progress("Creating staff accounts…")
    staff = {}
    for email, (name, pronouns, language, role) in STAFF.items():
        staff[email] = _person(email, name, pronouns, language, role, result)
        # Staff sign in with a second factor: a fixed secret, printed beside the login.
        secret = demo_totp_secret(email)
        totp_activate(user=staff[email], secret=secret)
        result.logins.append((email, f"{role.label} — {name}", secret))
    supervisor = staff["supervisor@demo.test"]
    for person in staff.values():
        if access.is_therapist(person):
            demo_office_hours(therapist=person)
    progress("Creating 30 clients with their episodes of care and sessions…")
    for number, (name, pronouns, language) in enumerate(CLIENTS, start=1):
        therapist, episode = _client_episode(
            number, (name, pronouns, language), staff, supervisor, result
        )
        _history(number, episode, therapist, rng, now, result, max_weeks)
        if episode.is_open:
            _clients_voice(number, episode, now)
        if episode.is_open and therapist_number_for(number) == 1:
            demo_summaries(episode=episode, now=now, unread_last=number == 1)
        if number in CLOSED_CLIENTS and episode.is_open:
            episode_close(actor=therapist, episode=episode)
        progress(f"  {number} of 30 clients")
    progress(f"Adding {len(ALUMNI)} clients whose care has ended…")
    for offset, (name, pronouns, language, course) in enumerate(ALUMNI):
        number = len(CLIENTS) + 1 + offset
        therapist, episode = _client_episode(
            number, (name, pronouns, language), staff, supervisor, result
        )
        made = _past_episode(episode, therapist, random.Random(f"alumni-{number}"), now, course)
        result.created_responses += made
        result.created_sessions += made // 3
    result.logins.append(("client1@demo.test … client30@demo.test", "Clients", ""))
    last = len(CLIENTS) + len(ALUMNI)
    result.logins.append(
        (f"client31@demo.test … client{last}@demo.test", "Clients whose care has ended", "")
    )
    result.logins.append(("client1@demo.test", "Client (English) — Dana Whitfield", ""))
    result.logins.append(("client2@demo.test", "Client (Spanish) — Mateo Álvarez", ""))
    return result
