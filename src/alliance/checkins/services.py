"""Submitting a check-in: score and store the response, raise its alerts, queue the
therapist's e-mail for a risk alert — one transaction, the e-mail sent once it commits."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from alliance.alerts.reports import summary_record
from alliance.alerts.rules import alerts_for_response
from alliance.alerts.services import alert_raise_for_risk
from alliance.audit.context import AuditContext
from alliance.measures.services import response_store
from alliance.notifications.tasks import enqueue_in_transaction, send_alert_notification

if TYPE_CHECKING:
    from alliance.accounts.models import User
    from alliance.measures.models import Administration, Response


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
