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
from alliance.alerts.services import alert_raise_for_risk
from alliance.api.callers import ApiCaller
from alliance.api.fhir_answers import WriteRefused, answers_from, checkin_named
from alliance.api.selectors import caller_checkin_to_answer
from alliance.audit.context import AuditContext
from alliance.instruments import get_instrument
from alliance.measures.models import Administration, Response
from alliance.measures.services import AlreadyCompleted, NotOpenForAnswers, response_store
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


@dataclass(frozen=True)
class Submitted:
    """A check-in's stored response, and whether this call stored it (False: it was
    answered before, and nothing was stored again)."""

    response: Response
    created: bool


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
        return Submitted(Response.objects.get(administration=administration), created=False)
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
        return Submitted(done.response, created=False)
    except NotOpenForAnswers as closed:  # withdrawn meanwhile
        raise _not_open(administration, closed.state) from None
    except ValidationError as error:
        raise WriteRefused(422, "invalid", " ".join(error.messages)) from None
    except PermissionDenied:
        raise WriteRefused(403, "forbidden", CLIENTS_ONLY) from None
    return Submitted(response, created=True)
