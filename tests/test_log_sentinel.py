"""No health information in logs, redirects or e-mails (issue 6).

A unique sentinel goes into every free-text field of every catalogued form
(tests/forms_catalogue.py): with otherwise valid data, so that the saving paths run; with
broken data; from people who may not use the form (the matrix's 403 and 404); while the
mail server is down, with the worker's reminder round run on top; and, in the last test,
through the database task queue and `alliance worker`. Every logger is captured at DEBUG.
The sentinel must appear in no formatted log line, no record's arguments or exception
text, no redirect's Location and no outgoing e-mail.

A preferred name is not health information and is meant for e-mails to its owner ("Hello
Dana"): it carries a second sentinel, held to the same rules except that one.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.forms_catalogue import (
    Catalogue,
    FormSpec,
    build_catalogue,
    isolated,
    post_forms,
    refresh_sign_in,
    sign_in_as,
    valid_data,
)
from tests.web.test_access_matrix import MATRIX

HEALTH = "sentinel" + secrets.token_hex(6)
NAME = "namesentinel" + secrets.token_hex(6)
IDENTITY_FIELDS = {"preferred_name"}
# Loggers that may have handlers of their own or not propagate: captured directly, as is
# the root, which every other logger reaches.
NAMED_LOGGERS = [
    "django",
    "django.request",
    "django.server",
    "django.security",
    "django.security.csrf",
    "django.db.backends",
    "django.template",
    "allauth",
    "alliance",
    "django_tasks",
    "django_tasks_db",
    "py.warnings",
]
# Loggers the settings keep above DEBUG because they would write health information there
# (the template engine logs whole template contexts; the OAuth library and oauthlib log
# client ids and failed requests); they keep their level here, and
# test_pinned_loggers_stay_above_debug holds the settings to it.
PINNED = {
    "django.template": logging.INFO,
    "oauth2_provider": logging.WARNING,
    "oauthlib": logging.WARNING,
}
FAILING_EMAIL = "tests.web.failing_email.Backend"
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The forms whose saving path stores what a person wrote, and what saving answers (an
# invitation shows its link on the page; the rest redirect).
SAVED_WITH_SENTINEL = {
    "checkin_fill[client]": 302,
    "my_goal_propose[client]": 302,
    "episode_goal_propose[therapist]": 302,
    "my_goal_edit[client]": 302,
    "goal_edit[therapist]": 302,
    "plan_summary_edit[therapist]": 302,
    "my_messages[client]": 302,
    "episode_messages[therapist]": 302,
    "my_thread[client]": 302,
    "office_hours[therapist]": 302,
    "my_preferences[client]": 302,
    "agenda_add[client]": 302,
    "my_cultural_profile[client]": 302,
    "my_safety_plan_edit[client]": 302,
    "client_safety_plan_edit[therapist]": 302,
    "exercise_do[client]": 302,
    "exercise_assign[therapist]": 302,
    "alert_acknowledge[therapist]": 302,
    "alert_resolve[therapist]": 302,
    "profile[client]": 302,
    "client_invite[therapist]": 200,
    "staff_invite[admin]": 200,
}
# Server errors while the mail server is down: none (invitations and allauth's e-mails
# catch the failure and say so). Listed so that a new one fails this test.
MAIL_DOWN_SERVER_ERRORS: set[str] = set()


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self, record: logging.LogRecord) -> list[str]:
        """Everything a handler could write about the record (the formatted line with its
        traceback, the message and its arguments, and every extra attribute)."""
        return [self.format(record), repr(record.msg), repr(record.args)] + [
            repr(value) for value in vars(record).values()
        ]

    def said(self, text: str) -> bool:
        return any(text in record.getMessage() for record in self.records)


@contextmanager
def every_logger_captured() -> Iterator[Capture]:
    """The capture on the root and on every logger that has handlers of its own or does
    not propagate, and every logger at DEBUG (but PINNED) while it lasts."""
    capture = Capture()
    for name in NAMED_LOGGERS:
        logging.getLogger(name)
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    attached = {logging.getLogger()} | {
        logger for logger in loggers if logger.handlers or not logger.propagate
    }
    try:
        for logger in loggers:
            # A pinned logger's children inherit its level, as they do when the app runs.
            if not any(logger.name == n or logger.name.startswith(f"{n}.") for n in PINNED):
                logger.setLevel(logging.DEBUG)
            logger.disabled = False
        for logger in attached:
            logger.addHandler(capture)
        yield capture
    finally:
        for logger in attached:
            logger.removeHandler(capture)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


class Outcomes:
    """Every status and redirect seen."""

    def __init__(self) -> None:
        self.locations: list[tuple[str, str]] = []
        self.statuses: dict[str, int] = {}

    def note(self, what: str, response: Any) -> None:
        assert response.status_code < 500, f"{what}: {response.status_code}"
        self.statuses[what] = response.status_code
        if response.has_header("Location"):
            self.locations.append((what, response["Location"]))


def assert_nowhere(capture: Capture, outcomes: Outcomes) -> None:
    assert capture.records, "nothing was logged: the capture is not attached"
    for record in capture.records:
        for text in capture.texts(record):
            for sentinel in (HEALTH, NAME):
                assert sentinel not in text, f"logged by {record.name}: {capture.format(record)}"
    for what, location in outcomes.locations:
        for sentinel in (HEALTH, NAME):
            assert sentinel not in location, f"{what} redirected to {location}"
    assert mail.outbox, "no e-mail was sent: nothing was checked"
    for message in mail.outbox:
        parts = [message.subject, message.body, *message.to, *message.cc, *message.bcc]
        parts += [str(content) for content, _type in getattr(message, "alternatives", [])]
        parts += [str(value) for value in message.extra_headers.values()]
        assert not any(HEALTH in part for part in parts), f"in an e-mail: {message.subject}"


def sentinel_data(spec: FormSpec) -> dict[str, Any]:
    """Valid data, the sentinel in every free-text field (the name sentinel in names)."""
    if not spec.fields:
        return {"text": HEALTH, "note": HEALTH, "body": HEALTH}
    data = valid_data(spec, HEALTH)
    for name in IDENTITY_FIELDS & data.keys():
        data[name] = NAME
    return data


def broken_data(spec: FormSpec) -> dict[str, Any]:
    """The sentinel in every field that takes typing or a choice, too long or misplaced."""
    data: dict[str, Any] = {"extra_field": HEALTH}
    for name, field in spec.fields.items():
        if name == "csrfmiddlewaretoken" or field.kind == "hidden":
            continue
        if field.is_free_text or field.kind == "password":
            data[name] = HEALTH * 500
        elif field.kind in ("date", "datetime-local", "time", "number"):
            data[name] = f"{HEALTH}-13-45"
        else:
            data[name] = HEALTH
    return data


def test_pinned_loggers_stay_above_debug() -> None:
    """Even at ALLIANCE_LOG_LEVEL=DEBUG (the root at DEBUG) these log nothing below."""
    for name, level in PINNED.items():
        assert logging.getLogger(name).getEffectiveLevel() >= level, name


@pytest.fixture(scope="class")
def catalogue(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Catalogue]:
    """Every form, in a transaction rolled back after the class: before the transactional
    test below, which pytest-django runs after the others."""
    from alliance.measures.schedules import session_plan

    with django_db_blocker.unblock(), transaction.atomic():
        found = build_catalogue()
        # Something for the worker's reminder round: Dana's session tomorrow.
        cast = found.state.cast
        # Sessions are numbered in order: after any the catalogue's rows already booked.
        latest = cast.dana_episode.sessions.order_by("-number").first()
        tomorrow = timezone.now() + timedelta(hours=20)
        if latest is not None:
            tomorrow = max(tomorrow, latest.starts_at + timedelta(minutes=1))
        session_plan(actor=cast.alice, episode=cast.dana_episode, starts_at=tomorrow)
        yield found
        transaction.set_rollback(True)


class TestEveryForm:
    def post(self, role: str, path: str, data: dict[str, Any], what: str) -> None:
        """One POST in an example of its own; what runs after the commit (tasks, e-mails)
        runs too. With the mail server down the worker's round runs on top, and an
        exception (a 500 in production) is recorded, not raised."""
        client = self.catalogue.clients[role]
        mail_down = what.startswith("mail down")
        try:
            with isolated(client), self.on_commit(execute=True):
                self.outcomes.note(what, client.post(path, data))
                if mail_down:
                    call_command("worker", "--once", stdout=io.StringIO())
        except Exception as error:
            if not mail_down:
                raise
            self.mail_down_failures[what] = type(error).__name__

    def test_sentinel_reaches_no_log_redirect_or_email(
        self,
        catalogue: Catalogue,
        db: Any,
        django_capture_on_commit_callbacks: Any,
        settings: Any,
    ) -> None:
        self.catalogue, self.on_commit = catalogue, django_capture_on_commit_callbacks
        self.outcomes = Outcomes()
        self.mail_down_failures: dict[str, str] = {}
        forms = sorted(catalogue.forms.values(), key=lambda spec: spec.key)
        with every_logger_captured() as capture:
            for spec in forms:
                refresh_sign_in(catalogue.clients[spec.role])
                self.post(spec.role, spec.action, sentinel_data(spec), f"valid {spec.key}")
                self.post(spec.role, spec.action, broken_data(spec), f"broken {spec.key}")
            for spec in forms:
                for role, status in MATRIX[spec.url_name][1].get("POST", {}).items():
                    if status in (403, 404):
                        what = f"forbidden {spec.url_name}[{role}]"
                        self.post(role, spec.action, sentinel_data(spec), what)
            settings.EMAIL_BACKEND = FAILING_EMAIL
            for spec in forms:
                refresh_sign_in(catalogue.clients[spec.role])
                self.post(spec.role, spec.action, sentinel_data(spec), f"mail down {spec.key}")
        assert_nowhere(capture, self.outcomes)
        for key, status in SAVED_WITH_SENTINEL.items():
            seen = self.outcomes.statuses.get(f"valid {key}")
            assert seen == status, f"{key} was not saved with valid data: {seen}"
        # The failing paths ran (and were checked): refusals, e-mails and reminders failed.
        assert self.outcomes.statuses["forbidden goal_edit[supervisor]"] == 403
        assert self.outcomes.statuses["forbidden my_goal_edit[other_client]"] == 404
        assert capture.said("message notice for message")
        assert capture.said("reminder to user")
        failing = {what.split(" ")[-1].split("[")[0] for what in self.mail_down_failures}
        assert failing == MAIL_DOWN_SERVER_ERRORS, sorted(self.mail_down_failures.items())


def _submit(client: Client, page: str, text: str) -> Any:
    """Fill in the page's own form (the one posting back to it) as a person would, with
    ``text`` in its free-text fields, and send it."""
    [form] = [
        form for form in post_forms(client.get(page).content.decode()) if form.action in ("", page)
    ]
    return client.post(page, valid_data(FormSpec("", "", page, page, form.fields), text))


@pytest.mark.django_db(transaction=True)
def test_sentinel_reaches_no_log_through_the_task_queue(settings: Any) -> None:
    """As in production: a risk check-in, messages and an acknowledgement queue their
    e-mails in the database; `alliance worker --once` sends them, first with the mail
    server down, then up."""
    from django_tasks_db.models import DBTaskResult

    from alliance.measures.services import administration_request
    from tests.forms_catalogue import make_cast

    settings.TASKS = DB_TASKS
    cast = make_cast()
    outcomes = Outcomes()
    with every_logger_captured() as capture:
        dana, alice = sign_in_as(cast, "client"), sign_in_as(cast, "therapist")
        waiting = administration_request(
            actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
        )
        page = reverse("checkin_fill", args=[waiting.pk])
        answers = {f"phq9-{n}": "LA6568-5" for n in range(1, 9)} | {"phq9-9": "LA6571-9"}
        outcomes.note("check-in", dana.post(page, answers))
        outcomes.note("message", _submit(dana, reverse("my_messages"), HEALTH))
        thread = reverse("episode_messages", args=[cast.dana_episode.pk])
        outcomes.note("reply", _submit(alice, thread, HEALTH))
        alert = cast.dana_episode.alerts.get(kind="risk")
        acknowledge = reverse("alert_acknowledge", args=[alert.pk])
        outcomes.note("acknowledge", alice.post(acknowledge, {"note": HEALTH}))
        assert DBTaskResult.objects.filter(status="READY").count() >= 3  # queued, not sent
        settings.EMAIL_BACKEND = FAILING_EMAIL
        call_command("worker", "--once", stdout=io.StringIO())
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        outcomes.note("again", _submit(dana, reverse("my_messages"), HEALTH + " again"))
        call_command("worker", "--once", stdout=io.StringIO())
    assert set(outcomes.statuses.values()) == {302}, outcomes.statuses
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert capture.said("could not be sent")
    assert_nowhere(capture, outcomes)
