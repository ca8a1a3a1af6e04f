"""A rich record for Dana, made through the real services: every part of the whole record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

GOAL_FIRST = "Sleep through the night most nights"
GOAL_NOW = "Sleep through the night five nights a week"
SUMMARY = "We work on sleep and on getting back in touch with friends"
DANA_SAYS = "The walks helped more than I expected"
ALICE_SAYS = "Glad to hear it, let us talk about it on Tuesday"
FEEDBACK = "I would like more time for the sleep diary"
ENTRY_SHARED = "Waiting for the bus after work"
ENTRY_PRIVATE = "Something only for me about my brother"
HOPES = "To feel like myself again"
AGENDA = "The argument with my landlord"
BACKGROUND = "Grew up between two languages"
SAFETY_FIRST = "My niece Lucía"
SAFETY_NOW = "Walking the dog by the river"
ACK_NOTE = "Called Dana the same afternoon"
# After the session: the therapist's private note never leaves the workspace; the summary
# is the client's once signed, and is in both copies of their record with its reply.
PRIVATE_NOTE = "Process note: my own unease when the landlord came up"
PRIVATE_ADDENDUM = "Addendum: raise it in supervision"
SESSION_SUMMARY = "We agreed to try the sleep diary for a week"
SUMMARY_REPLY = "We also spoke about the visit of my sister"
REPLY_ANSWER = "Thank you: we will start with the visit of your sister"
TEXTS = (
    GOAL_FIRST,
    GOAL_NOW,
    SUMMARY,
    DANA_SAYS,
    ALICE_SAYS,
    FEEDBACK,
    ENTRY_SHARED,
    ENTRY_PRIVATE,
    HOPES,
    AGENDA,
    BACKGROUND,
    SAFETY_FIRST,
    SAFETY_NOW,
    SUMMARY_REPLY,
    REPLY_ANSWER,
)

PHQ9_WITH_RISK = [1, 2, 1, 1, 0, 1, 0, 0, 1]
SESSION_FEEDBACK = {
    "sf-bond": 8,
    "sf-goals": 7,
    "sf-approach": 7,
    "sf-respect": 9,
    "sf-overall": 8,
    "sf-comment": FEEDBACK,
}


@dataclass
class Rich:
    episode: Any
    session: Any
    goal: Any
    risk_response: Any
    feedback_response: Any
    alert: Any
    shared_entry: Any
    private_entry: Any


def respond(cast: Any, episode: Any, instrument_id: str, answers: Any) -> Any:
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    administration = administration_request(
        actor=episode.therapist, episode=episode, instrument_id=instrument_id
    )
    return response_submit(actor=episode.client, administration=administration, answers=answers)


def rich_record(cast: Any, episode: Any = None) -> Rich:
    """Everything a client's record can hold, for ``episode`` (Dana's by default)."""
    from django.utils import timezone

    from alliance.alerts.services import alert_acknowledge
    from alliance.care.services import session_schedule
    from alliance.exercises.services import assignment_create, entry_submit
    from alliance.messaging.services import message_send
    from alliance.notes.services import (
        note_add_addendum,
        note_sign,
        summary_reply,
        summary_reply_answer,
        summary_sign,
    )
    from alliance.plans.services import (
        goal_agree,
        goal_propose,
        goal_reword,
        goals_rate,
        plan_review_set,
        plan_summary_update,
    )
    from alliance.preferences.services import (
        agenda_item_add,
        cultural_profile_save,
        preferences_save,
    )
    from alliance.safety.services import safety_plan_save

    episode = episode or cast.dana_episode
    client, therapist = episode.client, episode.therapist
    session = session_schedule(
        actor=therapist, episode=episode, starts_at=timezone.now() + timedelta(days=3)
    )
    goal = goal_propose(actor=client, episode=episode, text=GOAL_FIRST)
    goal = goal_reword(actor=therapist, goal=goal, text=GOAL_NOW)
    goal = goal_agree(actor=client, goal=goal)
    risk = respond(cast, episode, "phq-9", PHQ9_WITH_RISK)
    goals_rate(actor=client, episode=episode, scores={goal.pk: 4}, response=risk)
    feedback = respond(cast, episode, "session-feedback", SESSION_FEEDBACK)
    alert = risk.alerts.get(kind="risk")
    alert_acknowledge(actor=therapist, alert=alert, note=ACK_NOTE)
    plan_summary_update(actor=therapist, episode=episode, text=SUMMARY)
    plan_review_set(actor=therapist, episode=episode, review_on=date.today() + timedelta(days=30))
    message_send(actor=client, episode=episode, body=DANA_SAYS, notify=False)
    message_send(actor=therapist, episode=episode, body=ALICE_SAYS, notify=False)
    journal = assignment_create(
        actor=therapist, episode=episode, exercise_type="exercise-reflection-journal"
    )
    record = assignment_create(
        actor=therapist, episode=episode, exercise_type="exercise-thought-record", goal=goal
    )
    shared = entry_submit(
        actor=client,
        assignment=record,
        answers={
            "tr-situation": ENTRY_SHARED,
            "tr-thought": "Nobody would notice",
            "tr-emotion": "sad",
            "tr-intensity-before": 70,
        },
        shared=True,
    )
    private = entry_submit(
        actor=client, assignment=journal, answers={"rj-entry": ENTRY_PRIVATE}, shared=False
    )
    preferences_save(
        actor=client, episode=episode, answers={"structure": "left", "style": "right"}, hopes=HOPES
    )
    agenda_item_add(actor=client, episode=episode, text=AGENDA)
    cultural_profile_save(
        actor=client,
        episode=episode,
        parts={"background": BACKGROUND, "languages": "English and Welsh"},
        shared={"background"},
    )
    safety_plan_save(actor=client, client=client, steps={"reasons": [SAFETY_FIRST]}, based_on=0)
    safety_plan_save(
        actor=therapist,
        client=client,
        steps={"reasons": [SAFETY_FIRST], "coping_alone": [SAFETY_NOW]},
        based_on=1,
    )
    note_sign(actor=therapist, session=session, text=PRIVATE_NOTE)
    note_add_addendum(actor=therapist, session=session, text=PRIVATE_ADDENDUM)
    signed = summary_sign(
        actor=therapist,
        session=session,
        parts={"decided": SESSION_SUMMARY},
        goal_ids=[goal.pk],
        assignment_ids=[record.pk],
    )
    summary_reply(actor=client, summary=signed, recognised="partly", text=SUMMARY_REPLY)
    summary_reply_answer(actor=therapist, summary=signed, text=REPLY_ANSWER)
    return Rich(episode, session, goal, risk, feedback, alert, shared, private)


def rows_about(client_id: int, episode_ids: set[int]) -> dict[str, int]:
    """Rows of every model that point at this person or at one of these episodes.

    Walks every installed model's foreign keys, so a model added later that refers to a
    client is counted too (and an erasure that forgets it fails its test).
    """
    from django.apps import apps
    from django.conf import settings

    from alliance.care.models import Episode

    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    counts: dict[str, int] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (
                field.is_relation and field.concrete and (field.many_to_one or field.one_to_one)
            ):
                continue
            if field.related_model is user_model:
                ids = {client_id}
            elif field.related_model is Episode:
                ids = episode_ids
            else:
                continue
            found = model._base_manager.filter(**{f"{field.name}__in": ids}).count()
            if found:
                key = f"{model._meta.label}.{field.name}"
                counts[key] = counts.get(key, 0) + found
    return counts
