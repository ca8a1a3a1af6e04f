"""Asking for questionnaires and storing responses with their scores.

A client's check-in is submitted through ``alliance.checkins.services.response_submit``,
which stores the response here and then raises its alerts: ``measures`` sits below
``alerts`` and never imports it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance import instruments as engine
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.care.models import Episode, Session
from alliance.care.services import episode_mark_due
from alliance.lib.fhir_bundle import resolve_references
from alliance.measures.instruments import get_instrument
from alliance.measures.models import (
    OCCASION_KINDS,
    Administration,
    CheckinTally,
    Response,
    When,
)

if TYPE_CHECKING:
    from alliance.accounts.models import User


class AlreadyCompleted(Exception):
    """The questionnaire was already submitted (a second click, or the back button)."""

    def __init__(self, response: Response) -> None:
        super().__init__("already completed")
        self.response = response


class NotOpenForAnswers(Exception):
    """The questionnaire takes no answers now: withdrawn by the therapist (``state``
    ``"cancelled"``) or its window not open yet (``"upcoming"``)."""

    def __init__(self, administration: Administration, state: str) -> None:
        super().__init__(f"not open for answers ({state})")
        self.administration = administration
        self.state = state


@transaction.atomic
def administration_request(
    *,
    actor: User,
    episode: Episode,
    instrument_id: str,
    due_at: datetime | None = None,
    created_at: datetime | None = None,
    session: Session | None = None,
    when: str = When.REQUESTED,
    context: AuditContext | None = None,
) -> Administration:
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError(_("Questionnaires can only be asked for in an open episode of care."))
    try:
        instrument = get_instrument(instrument_id)
    except engine.UnknownInstrument:
        raise ValidationError(_("Choose a questionnaire from the list.")) from None
    administration = Administration.objects.create(
        episode=episode,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        requested_by=actor,
        due_at=due_at,
        created_at=created_at or timezone.now(),
        session=session,
        when=when,
    )
    if when in OCCASION_KINDS:
        # A check-in the disengagement check counts, made outside the schedule: the round
        # must see its due time pass.
        episode_mark_due(episode_id=episode.pk)
    audit_record(
        actor=actor,
        action=Action.QUESTIONNAIRE_REQUESTED,
        client_id=episode.client_id,
        target_type="administration",
        target_id=administration.pk,
        context=context,
    )
    return administration


def stored_answers(result: engine.ScoreResult) -> tuple[dict[str, Any], dict[str, str]]:
    """Split validated answers into scored ones (stored as data) and free text (encrypted)."""
    scored: dict[str, Any] = {}
    text: dict[str, str] = {}
    for link_id, answer in result.answers.items():
        item = result.instrument.item(link_id)
        if item.kind == "text":
            if str(answer.value).strip():
                text[link_id] = str(answer.value)
            continue
        entry: dict[str, Any] = {"value": answer.value}
        if answer.option is not None:
            entry["code"] = answer.option.code
        scored[link_id] = entry
    return scored, text


@transaction.atomic
def response_store(
    *,
    actor: User,
    administration: Administration,
    answers: dict[str, Any],
    started_at: datetime | None = None,
    submitted_at: datetime | None = None,
    context: AuditContext | None = None,
) -> Response:
    """Score and store a response, in the caller's transaction when there is one; its
    alerts are raised by ``alliance.checkins.services.response_submit``, which calls this.

    Only the episode's client answers (anyone else: ``PermissionDenied``), while the episode
    is open. A second submission of the same administration stores nothing and raises
    ``AlreadyCompleted`` with the response already saved; one the therapist withdrew, or
    whose window is not open yet, stores nothing (and raises no alert) and raises
    ``NotOpenForAnswers``.
    """
    # The episode first, then the administration: the order the schedule sync takes them
    # in (``schedules.schedule_sync``), so that the two queue rather than deadlock.
    Episode.objects.select_for_update().filter(pk=administration.episode_id).values_list(
        "pk"
    ).first()
    administration = (
        Administration.objects.select_for_update()
        .select_related("episode")
        .get(pk=administration.pk)
    )
    access.require_episode_client(actor, administration.episode)
    existing = Response.objects.filter(administration=administration).first()
    if existing is not None:
        raise AlreadyCompleted(existing)
    if not administration.episode.is_open:
        raise ValidationError(_("This episode of care is closed, so nothing can be added to it."))
    # A past time only when history is brought in (the demo, an import).
    now = submitted_at or timezone.now()
    # Checked under the row lock: a withdrawal that lands while the form is open wins.
    if not administration.is_open_for_answers(now):
        raise NotOpenForAnswers(administration, administration.state(now))
    instrument = get_instrument(administration.instrument_id, administration.instrument_version)
    try:
        result = engine.score(instrument, answers)
    except engine.InvalidAnswers as error:
        raise ValidationError(str(error)) from None
    if not result.completeness.complete:
        raise ValidationError(_("Please answer every question that is not marked optional."))
    scored, text = stored_answers(result)
    if started_at is not None and started_at > now:
        started_at = None  # timing metadata only: no start after the end
    response = Response.objects.create(
        administration=administration,
        episode=administration.episode,
        client_id=administration.episode.client_id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        answers=scored,
        text_answers=text,
        total=result.total,
        band=result.band.code if result.band else "",
        subscales=dict(result.subscales),
        critical=critical_hits(result),
        answered=result.completeness.answered,
        required=result.completeness.required,
        started_at=started_at,
        submitted_at=now,
        submitted_by=actor,
    )
    administration.completed_at = now
    administration.save(update_fields=["completed_at"])
    # A late answer to a check-in already counted as passed unanswered moves it over.
    tally_add(
        episode_id=administration.episode_id,
        completed=1,
        expired=-1 if administration.expired_at is not None else 0,
    )
    audit_record(
        actor=actor,
        action=Action.RESPONSE_SUBMITTED,
        client_id=response.client_id,
        target_type="response",
        target_id=response.pk,
        context=context,
    )
    return response


def critical_hits(result: engine.ScoreResult) -> list[dict[str, Any]]:
    """The risk items a scoring tripped, as a response stores them (``Response.critical``)."""
    return [
        {"link_id": hit.link_id, "position": hit.position, "value": hit.value}
        for hit in result.critical
    ]


def critical_in_answers(
    administration: Administration, answers: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The risk items these answers to the administration's questionnaire trip, scored and
    stored nowhere, with the tripped items' answers as a response stores them; answers the
    engine refuses trip none. For answers that are not stored (a check-in sent again)."""
    instrument = get_instrument(administration.instrument_id, administration.instrument_version)
    try:
        result = engine.score(instrument, answers)
    except engine.InvalidAnswers:
        return [], {}
    hits = critical_hits(result)
    scored, _text = stored_answers(result)
    tripped = {hit["link_id"] for hit in hits}
    return hits, {link_id: scored[link_id] for link_id in tripped if link_id in scored}


def rescore(response: Response) -> engine.ScoreResult:
    """The response scored again from its stored answers, with its own instrument version."""
    instrument = get_instrument(response.instrument_id, response.instrument_version)
    answers: dict[str, Any] = {k: v["value"] for k, v in response.answers.items()}
    answers.update(response.text_answers or {})
    return engine.score(instrument, answers)


# --- Check-in tallies: what the practice report's completion rate sums (issue 16) ---


def tally_add(*, episode_id: int, completed: int = 0, expired: int = 0) -> None:
    """Add to an episode's ``CheckinTally``, in the caller's transaction: one UPDATE on
    the row (the database adds, so concurrent writers cannot lose a count), or the row's
    first INSERT; if another transaction inserted it meanwhile, the UPDATE runs on that."""
    if not completed and not expired:
        return

    def update() -> bool:
        return (
            CheckinTally.objects.filter(episode_id=episode_id).update(
                completed=F("completed") + completed, expired=F("expired") + expired
            )
            > 0
        )

    if update():
        return
    try:
        with transaction.atomic():
            CheckinTally.objects.create(
                episode_id=episode_id, completed=max(completed, 0), expired=max(expired, 0)
            )
    except IntegrityError:
        update()


def checkins_expire(*, now: datetime | None = None) -> int:
    """Count the check-ins that passed their due time unanswered since the last call into
    their episodes' tallies (``Administration.expired_at``); returns how many. The worker's
    periodic round calls it; until it has, the report counts them from the administrations
    themselves (a partial index keeps that set small).

    Rows another transaction holds (an answer being stored, a withdrawal) are skipped and
    left for the next call, so this never waits on a client."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Administration.objects.select_for_update(skip_locked=True)
            .filter(
                completed_at__isnull=True,
                cancelled_at__isnull=True,
                expired_at__isnull=True,
                due_at__isnull=False,
                due_at__lt=now,
            )
            .order_by("pk")
            .values_list("pk", "episode_id")
        )
        if not rows:
            return 0
        Administration.objects.filter(pk__in=[pk for pk, _episode in rows]).update(expired_at=now)
        per_episode: dict[int, int] = {}
        for _pk, episode_id in rows:
            per_episode[episode_id] = per_episode.get(episode_id, 0) + 1
        for episode_id, count in sorted(per_episode.items()):
            tally_add(episode_id=episode_id, expired=count)
    return len(rows)


# Per episode, from its administrations: completed, and counted as passed unanswered.
TALLY_FROM_ADMINISTRATIONS_SQL = """
    SELECT episode_id,
        SUM(CASE WHEN completed_at IS NOT NULL AND cancelled_at IS NULL THEN 1 ELSE 0 END)
            AS completed,
        SUM(CASE WHEN completed_at IS NULL AND cancelled_at IS NULL
            AND expired_at IS NOT NULL THEN 1 ELSE 0 END) AS expired
    FROM measures_administration
    GROUP BY episode_id
"""


def tally_rebuild() -> int:
    """Recompute every episode's tally from its administrations; returns how many rows.
    Inside a transaction it replaces the table's content; ``tally_drift`` checks it."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM measures_checkintally")
        # Built from a constant: no value of anyone's goes into this text.
        cursor.execute(
            "INSERT INTO measures_checkintally (episode_id, completed, expired) "  # noqa: S608
            f"SELECT * FROM ({TALLY_FROM_ADMINISTRATIONS_SQL}) counted "
            "WHERE counted.completed + counted.expired > 0"
        )
        cursor.execute("SELECT COUNT(*) FROM measures_checkintally")
        return int(cursor.fetchone()[0])


def tally_drift() -> list[int]:
    """Episodes whose stored tally differs from their administrations (an absent row is
    a tally of nothing): empty when the tallies are consistent."""
    with connection.cursor() as cursor:
        cursor.execute(TALLY_FROM_ADMINISTRATIONS_SQL)
        expected = {row[0]: (row[1], row[2]) for row in cursor.fetchall() if row[1] or row[2]}
    stored = {
        episode_id: (completed, expired)
        for episode_id, completed, expired in CheckinTally.objects.values_list(
            "episode_id", "completed", "expired"
        )
        if completed or expired
    }
    return sorted(k for k in expected.keys() | stored.keys() if expected.get(k) != stored.get(k))


def response_fhir_bundle(response: Response) -> dict[str, Any]:
    """The response as a FHIR R4 collection Bundle: a QuestionnaireResponse and its Observations.

    Self-contained: the client is not in it, so the subject is named by identifier only.
    """
    entries = resolve_references(response_fhir_entries(response))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def response_fhir_entries(response: Response) -> list[dict[str, Any]]:
    """The Bundle entries of a response, references still local keys (``Patient/<id>``):
    whoever puts them in a Bundle resolves them (``alliance.lib.fhir_bundle``)."""
    result = rescore(response)
    subject = f"Patient/{response.client_id}"
    authored = response.submitted_at.isoformat()
    qr_id = f"response-{response.pk}"
    qr_url = _urn(qr_id)
    qr = engine.to_questionnaire_response(
        result, subject=subject, authored=authored, response_id=qr_id
    )
    observations = engine.to_observations(
        result, subject=subject, effective=authored, derived_from=qr_url
    )
    entries = [{"fullUrl": qr_url, "resource": qr}]
    for number, observation in enumerate(observations, start=1):
        observation["id"] = f"{qr_id}-obs-{number}"
        entries.append({"fullUrl": _urn(observation["id"]), "resource": observation})
    return entries


def _urn(local_id: str) -> str:
    # Stable within an installation: the same response always exports the same ids.
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'alliance:' + local_id)}"
