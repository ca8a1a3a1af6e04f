"""Submitting a check-in: score and store the response, raise its alerts, queue the
therapist's e-mail for a risk alert — one transaction, the e-mail sent once it commits.
The web form and the FHIR API (``response_submit_fhir``) both come through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from alliance.alerts.reports import summary_record
from alliance.alerts.rules import alerts_for_response
from alliance.alerts.selectors import risk_alert_raised
from alliance.alerts.services import SentAgain, alert_raise_for_risk
from alliance.api.callers import ApiCaller
from alliance.api.fhir_answers import WriteRefused, answers_from, checkin_named
from alliance.api.selectors import caller_checkin_to_answer
from alliance.audit.context import AuditContext
from alliance.care import access
from alliance.instruments import get_instrument
from alliance.measures.models import Administration, Response
from alliance.measures.services import (
    AlreadyCompleted,
    NotOpenForAnswers,
    critical_in_answers,
    response_store,
)
from alliance.notifications.tasks import enqueue_in_transaction, send_alert_notification

if TYPE_CHECKING:
    from alliance.accounts.models import User


@transaction.atomic
def response_submit(
    *,
    actor: User,
    administration: Administration,
    answers: dict[str, Any],
    started_at: datetime | None = None,
    submitted_at: datetime | None = None,
    context: AuditContext | None = None,
) -> Response:
    """Score and store a response, and raise its alerts — all in one transaction.

    Raises what ``alliance.measures.services.response_store`` raises (``AlreadyCompleted``,
    ``NotOpenForAnswers``, ``ValidationError``), having stored nothing and raised no alert.
    """
    response = response_store(
        actor=actor,
        administration=administration,
        answers=answers,
        started_at=started_at,
        submitted_at=submitted_at,
        context=context,
    )
    # The practice report reads each episode's first and latest score from this summary.
    summary_record(response)
    if response.critical:
        alert = alert_raise_for_risk(response=response)
        enqueue_in_transaction(send_alert_notification, alert.pk)
    alerts_for_response(response)
    return response


@transaction.atomic
def response_sent_again(*, actor: User, stored: Response, answers: dict[str, Any]) -> bool:
    """A check-in answered before and sent again (a second tab, a resend): nothing is
    stored again, and the check-in keeps the answers sent first. A risk answer in what was
    sent again is never dropped, though: unless the check-in already has its urgent alert,
    one is raised on it (``SentAgain``: which items, which answers, when) and the therapist
    is e-mailed, as for a first send. Returns whether ``stored`` has a risk answer or an
    urgent alert, now — whether the client is to be shown crisis help."""
    access.require_episode_client(actor, stored.episode)
    # Under the administration's row lock, as a first send: two copies sent at once raise
    # one alert between them.
    Administration.objects.select_for_update().filter(pk=stored.administration_id).values_list(
        "pk"
    ).first()
    if stored.critical or risk_alert_raised(stored):
        return True
    items, tripped = critical_in_answers(stored.administration, answers)
    if not items:
        return False
    alert = alert_raise_for_risk(
        response=stored, sent_again=SentAgain(items=items, answers=tripped, at=timezone.now())
    )
    enqueue_in_transaction(send_alert_notification, alert.pk)
    return True


@dataclass(frozen=True)
class Submitted:
    """A check-in's stored response, whether this call stored it (False: it was answered
    before, and nothing was stored again), and whether the client is to be shown crisis
    help (a risk answer in the response, or in what was sent again)."""

    response: Response
    created: bool
    risk: bool


CLIENTS_ONLY = "Only a client answers their own check-in: use their token (patient/…)."
CLOSED_STATES = {
    "cancelled": "This check-in was withdrawn by the therapist: it takes no answers.",
    "upcoming": "This check-in is not open yet: it takes answers from {start}.",
}
CARE_ENDED = "This episode of care is closed, so nothing can be added to it."


def _not_open(administration: Administration, state: str) -> WriteRefused:
    start = administration.available_from
    return WriteRefused(
        409, "conflict", CLOSED_STATES[state].format(start=start.isoformat() if start else "")
    )


@transaction.atomic
def response_submit_fhir(
    *, caller: ApiCaller, body: dict[str, Any], context: AuditContext | None = None
) -> Submitted:
    """A client's answers to one of their check-ins, sent as a QuestionnaireResponse,
    scored, stored and alerted by the web form's service (``response_submit``), in its
    transaction. The same check-in sent again stores nothing and gives the stored response.

    Raises ``WriteRefused`` (403 a staff token; 409 withdrawn, not open yet or care ended;
    422 the answers), ``Http404`` (not the caller's check-in), having stored nothing.
    """
    if caller.scopes[0].context != "patient":
        raise WriteRefused(403, "forbidden", CLIENTS_ONLY)
    administration = caller_checkin_to_answer(caller, checkin_named(body))
    if administration.is_completed:
        return _sent_again(caller, Response.objects.get(administration=administration), body)
    if not administration.episode.is_open:
        raise WriteRefused(409, "conflict", CARE_ENDED)
    state = administration.state(timezone.now())
    if state in CLOSED_STATES:
        raise _not_open(administration, state)
    instrument = get_instrument(administration.instrument_id, administration.instrument_version)
    answers = answers_from(body, instrument, administration.episode.client_id)
    try:
        response = response_submit(
            actor=caller.owner, administration=administration, answers=answers, context=context
        )
    except AlreadyCompleted as done:  # answered by another call meanwhile
        return _sent_again(caller, done.response, body)
    except NotOpenForAnswers as closed:  # withdrawn meanwhile
        raise _not_open(administration, closed.state) from None
    except ValidationError as error:
        raise WriteRefused(422, "invalid", " ".join(error.messages)) from None
    except PermissionDenied:
        raise WriteRefused(403, "forbidden", CLIENTS_ONLY) from None
    return Submitted(response, created=True, risk=response.critical_tripped)


def _sent_again(caller: ApiCaller, stored: Response, body: dict[str, Any]) -> Submitted:
    """The stored response for a check-in sent again; a risk answer in the copy (read as a
    first send reads it; a copy that does not read as answers has none) raises its alert."""
    instrument = get_instrument(stored.instrument_id, stored.instrument_version)
    try:
        answers = answers_from(body, instrument, stored.client_id)
    except WriteRefused:
        answers = {}
    risk = response_sent_again(actor=caller.owner, stored=stored, answers=answers)
    return Submitted(stored, created=False, risk=risk)
