"""A client's whole record as one FHIR R4B Bundle, and the download that carries it.

The Bundle is of type ``collection``, not ``document``: a document Bundle is a clinical
document attested at a moment (a Composition first, a required timestamp and identifier),
while this is a copy of the data as it stands. A collection needs no generation time, so
the same database always exports the same bytes (the backup test compares them).

The Bundle is self-contained: every reference is the ``urn:uuid:`` fullUrl of another entry
of it (``alliance.lib.fhir_bundle``); the code below writes them as local keys
(``Patient/<id>``, ``Practitioner/<id>``, ``Goal/goal-<id>``…) and ``record_bundle``
resolves them. How the record maps to FHIR:

======================================  ===================================================
Alliance                                FHIR R4B
======================================  ===================================================
the client                              Patient: ``name.text`` as they gave it, pronouns in
                                        the ``individual-pronouns`` extension, language in
                                        ``communication``, e-mail in ``telecom``, country
                                        in ``address``
therapists, supervisors, other authors  Practitioner (name only)
episode of care                         EpisodeOfCare, with a CareTeam (therapist, supervisor)
session                                 Encounter (``planned`` before its time, then
                                        ``finished``)
session summary (signed)                Composition (``final``; ``amended`` once it has
                                        addenda): one section per part, one per addendum
                                        (dated, with its author), linked goals as section
                                        entries; ``encounter`` the session. Drafts and the
                                        therapist's private notes are never exported
treatment plan (one per episode)        CarePlan: current summary in ``description``,
                                        every summary in ``note``, the review date in the
                                        extension ``urn:alliance:extension:plan-review-on``,
                                        goals in ``goal``, exercises in ``activity``
goal                                    Goal: current wording in ``description``, every
                                        wording in ``note``; ratings in ``outcomeReference``
goal rating (0-10)                      Observation, ``valueInteger``, ``focus`` the Goal
questionnaire response                  QuestionnaireResponse and its Observations, made by
                                        ``alliance.measures.services.response_fhir_entries``
alert                                   DetectedIssue; acknowledgement and resolution (with
                                        their notes) in ``mitigation``
message                                 Communication (``payload.contentString``)
exercise entry                          QuestionnaireResponse of the exercise's own
                                        Questionnaire (the instrument engine), ``basedOn``
                                        the CarePlan; who may read it in the extension
                                        ``urn:alliance:extension:shared-with-therapist``,
                                        and ``…:shared-with-supervisor`` (true) when the
                                        supervisor may too
treatment preferences (every version)   QuestionnaireResponse of
                                        ``urn:alliance:questionnaire:treatment-preferences``;
                                        ``…:shared-with-therapist`` (false) when the client
                                        kept it to themselves, ``…:shared-with-supervisor``
                                        (true) when the supervisor may read it
agenda item                             Task (``requested``, ``cancelled`` = withdrawn,
                                        ``completed`` = talked about)
cultural profile                        QuestionnaireResponse of
                                        ``urn:alliance:questionnaire:cultural-profile``;
                                        each part's sharing is a boolean item beside it
                                        (``<part>-shared``), and ``<part>-shared-supervisor``
                                        (true) when the supervisor may read it too
safety plan (every version)             QuestionnaireResponse of
                                        ``urn:alliance:questionnaire:safety-plan``, one item
                                        per step
======================================  ===================================================

Check-ins asked for but not answered, reminders and read markers are workings of the app,
not part of the record, and are left out. Sharing with the supervisor appears only when
it is so (absent means not shared), so that records kept before it existed read the same.
Texts in the Bundle are in English (the readable copy is in the client's language).
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from alliance import instruments as engine
from alliance.accounts.models import User
from alliance.alerts.models import Alert, AlertKind
from alliance.care import access
from alliance.care.models import Episode
from alliance.exercises.catalogue import exercise_instrument
from alliance.exercises.models import Entry
from alliance.lib.fhir_bundle import resolve_references
from alliance.measures.services import _urn, response_fhir_entries
from alliance.messaging.models import Message
from alliance.notes.models import Recognised, SessionSummary, reply_of
from alliance.plans.models import Goal, GoalStatus
from alliance.preferences.items import CULTURAL_PARTS, ITEMS_BY_CODE
from alliance.preferences.models import (
    AgendaItem,
    AgendaStatus,
    CulturalProfile,
    TreatmentPreferences,
)
from alliance.records.readable import readable_record
from alliance.records.selectors import ClientRecord, EpisodeRecord, PlanRecord, client_record
from alliance.safety.steps import STEPS

Resource = dict[str, Any]

PRONOUNS_URL = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"
REVIEW_ON_URL = "urn:alliance:extension:plan-review-on"
SHARED_URL = "urn:alliance:extension:shared-with-therapist"
SHARED_SUPERVISOR_URL = "urn:alliance:extension:shared-with-supervisor"
ALERT_STATUS_URL = "urn:alliance:extension:alert-status"
ALERT_KINDS = "urn:alliance:codesystem:alert-kinds"
ALERT_STEPS = "urn:alliance:codesystem:alert-steps"
PREFERENCE_ANSWERS = "urn:alliance:codesystem:preference-answers"
GOAL_RATING = "urn:alliance:codesystem:goal-rating"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
BCP47 = "urn:ietf:bcp:47"
PREFERENCES_QUESTIONNAIRE = "urn:alliance:questionnaire:treatment-preferences"
CULTURAL_QUESTIONNAIRE = "urn:alliance:questionnaire:cultural-profile"
SAFETY_QUESTIONNAIRE = "urn:alliance:questionnaire:safety-plan"

GOAL_LIFECYCLE = {
    GoalStatus.PROPOSED: "proposed",
    GoalStatus.ACTIVE: "active",
    GoalStatus.ACHIEVED: "completed",
    GoalStatus.SET_ASIDE: "cancelled",
}
AGENDA_TASK_STATUS = {
    AgendaStatus.OPEN: "requested",
    AgendaStatus.WITHDRAWN: "cancelled",
    AgendaStatus.DISCUSSED: "completed",
}


SUMMARY_SECTIONS = (
    ("discussed", "What we talked about"),
    ("decided", "What we decided together"),
    ("client_will", "What the client will do"),
    ("therapist_will", "What the therapist will do before next time"),
)


def _narrative(text: str) -> dict[str, str]:
    """A section's text as FHIR narrative: escaped XHTML, one line per line."""
    lines = "<br/>".join(html.escape(line) for line in text.splitlines())
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{lines}</div>',
    }


def _dt(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _day(value: date) -> str:
    return value.isoformat()


def patient_resource(client: User) -> Resource:
    """The client as a FHIR Patient (the record export's, and the FHIR API's)."""
    patient: Resource = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "active": client.is_active,
        "name": [{"use": "usual", "text": client.preferred_name}],
        "telecom": [{"system": "email", "value": client.email}],
        "communication": [
            {
                "language": {"coding": [{"system": BCP47, "code": client.language}]},
                "preferred": True,
            }
        ],
    }
    if client.pronouns:
        patient["extension"] = [
            {
                "url": PRONOUNS_URL,
                "extension": [{"url": "value", "valueCodeableConcept": {"text": client.pronouns}}],
            }
        ]
    if client.country:
        patient["address"] = [{"country": client.country}]
    return patient


@dataclass(frozen=True)
class People:
    """How a resource refers to people: the client as their Patient, everyone else as a
    Practitioner, each with the name they go by (``name_of``; empty leaves it out)."""

    client_id: int
    name_of: Callable[[int | None], str]

    def person(self, user_id: int) -> dict[str, str]:
        kind = "Patient" if access.same_person(user_id, self.client_id) else "Practitioner"
        ref = {"reference": f"{kind}/{user_id}"}
        name = self.name_of(user_id)
        if name:
            ref["display"] = name
        return ref

    @property
    def patient(self) -> dict[str, str]:
        return self.person(self.client_id)


def _period(episode: Episode) -> dict[str, str]:
    period: dict[str, str] = {"start": _dt(episode.opened_at)}
    if episode.closed_at is not None:
        period["end"] = _dt(episode.closed_at)
    return period


def episode_of_care_resource(episode: Episode, people: People) -> Resource:
    """An episode of care as an EpisodeOfCare (the record export's, and the FHIR API's)."""
    return {
        "resourceType": "EpisodeOfCare",
        "id": f"episode-{episode.pk}",
        "status": "active" if episode.is_open else "finished",
        "patient": people.patient,
        "careManager": people.person(episode.therapist_id),
        "team": [{"reference": f"CareTeam/care-team-{episode.pk}"}],
        "period": _period(episode),
    }


def care_plan_resource(part: PlanRecord, people: People) -> Resource:
    """An episode's treatment plan as a CarePlan (the record export's, and the FHIR API's):
    every episode has one, whether or not a plan was written yet."""
    episode = part.episode
    period = _period(episode)
    episode_ref = {"reference": f"EpisodeOfCare/episode-{episode.pk}"}
    team_ref = {"reference": f"CareTeam/care-team-{episode.pk}"}
    plan: Resource = {
        "resourceType": "CarePlan",
        "id": f"plan-{episode.pk}",
        "status": "active" if episode.is_open else "completed",
        "intent": "plan",
        "title": "Treatment plan",
        "subject": people.patient,
        "period": period,
        "author": people.person(episode.therapist_id),
        "contributor": [people.patient, people.person(episode.therapist_id)],
        "careTeam": [team_ref],
        "supportingInfo": [episode_ref],
    }
    if part.plan is not None:
        plan["created"] = _dt(part.plan.created_at)
        if part.plan.review_on is not None:
            plan["extension"] = [{"url": REVIEW_ON_URL, "valueDate": _day(part.plan.review_on)}]
    if part.summaries:
        plan["description"] = part.summaries[-1].text
        plan["note"] = [
            {
                "authorReference": people.person(summary.author_id),
                "time": _dt(summary.created_at),
                "text": summary.text,
            }
            for summary in part.summaries
        ]
    if part.goals:
        plan["goal"] = [{"reference": f"Goal/goal-{goal.pk}"} for goal in part.goals]
    activities = []
    for assignment in part.assignments:
        entries = part.entries_of(assignment)
        if assignment.is_withdrawn:
            status = "cancelled"
        elif entries:
            status = "in-progress"
        else:
            status = "not-started"
        detail: dict[str, Any] = {
            "kind": "Task",
            "code": {
                "coding": [{"system": "urn:alliance:exercise", "code": assignment.exercise_type}],
                "text": exercise_instrument(
                    assignment.exercise_type, assignment.instrument_version
                ).title,
            },
            "status": status,
            "performer": [people.patient],
        }
        if assignment.goal_id is not None:
            detail["goal"] = [{"reference": f"Goal/goal-{assignment.goal_id}"}]
        if assignment.due_on is not None:
            detail["scheduledString"] = f"by {_day(assignment.due_on)}"
        if assignment.note:
            detail["description"] = assignment.note
        activity: dict[str, Any] = {"detail": detail}
        if entries:
            activity["outcomeReference"] = [
                {"reference": f"QuestionnaireResponse/exercise-entry-{entry.pk}"}
                for entry in entries
            ]
        activities.append(activity)
    if activities:
        plan["activity"] = activities
    return plan


def goal_resource(goal: Goal, people: People) -> Resource:
    """A goal as a Goal; its ratings are Observations (``goal_rating_resources``)."""
    versions = list(goal.versions.all())
    ratings = list(goal.ratings.all())
    resource: Resource = {
        "resourceType": "Goal",
        "id": f"goal-{goal.pk}",
        "lifecycleStatus": GOAL_LIFECYCLE[GoalStatus(goal.status)],
        "description": {"text": goal.current_text},
        "subject": people.patient,
        "startDate": _day(timezone.localdate(goal.created_at)),
        "expressedBy": people.person(goal.proposed_by_id),
    }
    if goal.status == GoalStatus.ACHIEVED:
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT, "code": "achieved"}]
        }
    if goal.ended_at is not None:
        resource["statusDate"] = _day(timezone.localdate(goal.ended_at))
    if versions:
        resource["note"] = [
            {
                "authorReference": people.person(version.author_id),
                "time": _dt(version.created_at),
                "text": version.text,
            }
            for version in versions
        ]
    if ratings:
        resource["outcomeReference"] = [
            {"reference": f"Observation/goal-rating-{rating.pk}"} for rating in ratings
        ]
    return resource


def goal_rating_resources(goal: Goal, people: People) -> list[Resource]:
    """A goal's ratings (0-10), each an Observation whose ``focus`` is the Goal."""
    observations = []
    for rating in goal.ratings.all():
        observation: Resource = {
            "resourceType": "Observation",
            "id": f"goal-rating-{rating.pk}",
            "status": "final",
            "code": {
                "coding": [{"system": GOAL_RATING, "code": "progress-towards-goal"}],
                "text": "Progress towards the goal (0 = not at all, 10 = goal reached)",
            },
            "subject": people.patient,
            "focus": [{"reference": f"Goal/goal-{goal.pk}"}],
            "effectiveDateTime": _dt(rating.rated_at),
            "performer": [people.person(rating.rated_by_id)],
            "valueInteger": rating.score,
        }
        if rating.response_id is not None:
            observation["derivedFrom"] = [
                {"reference": f"QuestionnaireResponse/response-{rating.response_id}"}
            ]
        observations.append(observation)
    return observations


def detected_issue_resource(alert: Alert, people: People) -> Resource:
    """An alert as a DetectedIssue; its own status (open, acknowledged…) in an extension."""
    kind = AlertKind(alert.kind)
    resource: Resource = {
        "resourceType": "DetectedIssue",
        "id": f"alert-{alert.pk}",
        "extension": [{"url": ALERT_STATUS_URL, "valueCode": alert.status}],
        "status": "final",
        "code": {
            "coding": [{"system": ALERT_KINDS, "code": kind.value, "display": str(kind.label)}],
            "text": str(kind.label),
        },
        "severity": "high" if kind == AlertKind.RISK else "moderate",
        "patient": people.patient,
        "identifiedDateTime": _dt(alert.created_at),
    }
    if alert.response_id is not None:
        resource["implicated"] = [
            {"reference": f"QuestionnaireResponse/response-{alert.response_id}"}
        ]
    if alert.details:
        resource["detail"] = json.dumps(alert.details, sort_keys=True, ensure_ascii=False)
    steps = []
    for code, at, by, note in (
        (
            "acknowledged",
            alert.acknowledged_at,
            alert.acknowledged_by_id,
            alert.acknowledgement_note,
        ),
        ("resolved", alert.resolved_at, alert.resolved_by_id, alert.resolution_note),
    ):
        if at is None:
            continue
        step: dict[str, Any] = {
            "action": {
                "coding": [{"system": ALERT_STEPS, "code": code}],
                "text": note or code,
            },
            "date": _dt(at),
        }
        if by is not None:
            step["author"] = people.person(by)
        steps.append(step)
    if steps:
        resource["mitigation"] = steps
    return resource


class _Builder:
    """Collects the entries of one client's Bundle."""

    def __init__(self, record: ClientRecord, now: datetime) -> None:
        self.record = record
        self.client = record.client
        self.now = now
        self.entries: list[dict[str, Any]] = []
        self.people = People(client_id=record.client.pk, name_of=record.name_of)

    # References ---------------------------------------------------------------

    def person(self, user_id: int) -> dict[str, str]:
        return self.people.person(user_id)

    @property
    def patient(self) -> dict[str, str]:
        return self.people.patient

    def add(self, resource: Resource) -> None:
        local = f"{resource['resourceType']}/{resource['id']}"
        self.entries.append({"fullUrl": _urn(local), "resource": resource})

    # The person ---------------------------------------------------------------

    def add_patient(self) -> None:
        self.add(patient_resource(self.client))

    def add_practitioners(self) -> None:
        for pk in sorted(self.record.people):
            person = self.record.people[pk]
            self.add(
                {
                    "resourceType": "Practitioner",
                    "id": str(pk),
                    "name": [{"use": "usual", "text": person.preferred_name}],
                }
            )

    # One episode of care ------------------------------------------------------

    def add_episode(self, part: EpisodeRecord) -> None:
        episode = part.episode
        episode_ref = {"reference": f"EpisodeOfCare/episode-{episode.pk}"}
        plan_ref = {"reference": f"CarePlan/plan-{episode.pk}"}
        self.add(episode_of_care_resource(episode, self.people))
        members = [{"role": [{"text": "Therapist"}], "member": self.person(episode.therapist_id)}]
        if episode.supervisor_id is not None:
            members.append(
                {
                    "role": [{"text": "Clinical supervisor"}],
                    "member": self.person(episode.supervisor_id),
                }
            )
        self.add(
            {
                "resourceType": "CareTeam",
                "id": f"care-team-{episode.pk}",
                "status": "active" if episode.is_open else "inactive",
                "subject": self.patient,
                "participant": members,
            }
        )
        for session in part.sessions:
            self.add(
                {
                    "resourceType": "Encounter",
                    "id": f"session-{session.pk}",
                    "status": "planned" if session.starts_at > self.now else "finished",
                    "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
                    "type": [{"text": f"Session {session.number}"}],
                    "subject": self.patient,
                    "episodeOfCare": [episode_ref],
                    "participant": [{"individual": self.person(episode.therapist_id)}],
                    "period": {"start": _dt(session.starts_at)},
                }
            )
        for summary in part.session_summaries:
            self.add(self.session_summary(summary))
        self.add(care_plan_resource(part.plan_record(), self.people))
        for goal in part.goals:
            self.add(goal_resource(goal, self.people))
            for observation in goal_rating_resources(goal, self.people):
                self.add(observation)
        for response in part.responses:
            self.entries.extend(response_fhir_entries(response))
        for alert in part.alerts:
            self.add(detected_issue_resource(alert, self.people))
        for message in part.messages:
            self.add(self.communication(part, message))
        for entry in part.entries:
            self.add(self.exercise_entry(entry, plan_ref))
        for preferences in part.preferences:
            self.add(self.preferences(preferences))
        for item in part.agenda:
            self.add(self.agenda_item(item))
        if part.cultural is not None:
            self.add(self.cultural_profile(part.cultural))

    def _summary_reply(self, summary: SessionSummary) -> list[Resource]:
        """The client's reply ("Is this how you remember it?") and the therapist's answer."""
        reply = reply_of(summary)
        if reply is None:
            return []
        said = f"Is this how you remember it? {Recognised(reply.recognised).label}."
        sections: list[Resource] = [
            {
                "title": f"The client's reply, {_dt(reply.updated_at)}",
                "author": [self.person(self.client.pk)],
                "text": _narrative(f"{said} {reply.text}".strip()),
            }
        ]
        if reply.is_answered and reply.answered_by_id is not None and reply.answered_at:
            sections.append(
                {
                    "title": f"The therapist's answer, {_dt(reply.answered_at)}",
                    "author": [self.person(reply.answered_by_id)],
                    "text": _narrative(reply.answer),
                }
            )
        return sections

    def session_summary(self, summary: SessionSummary) -> Resource:
        signed_at = summary.signed_at or summary.updated_at
        addenda = list(summary.addenda.all())
        sections: list[Resource] = [
            {"title": title, "text": _narrative(getattr(summary, name))}
            for name, title in SUMMARY_SECTIONS
            if getattr(summary, name)
        ]
        goals = list(summary.goals.all())
        if goals:
            sections.append(
                {
                    "title": "Goals this session worked on",
                    "text": _narrative("; ".join(goal.current_text for goal in goals)),
                    "entry": [{"reference": f"Goal/goal-{goal.pk}"} for goal in goals],
                }
            )
        assignments = list(summary.assignments.all())
        if assignments:
            names = "; ".join(str(a.get_exercise_type_display()) for a in assignments)
            sections.append({"title": "Exercises", "text": _narrative(names)})
        for addendum in addenda:
            sections.append(
                {
                    "title": f"Addendum {addendum.number}, {_dt(addendum.created_at)}",
                    "author": [self.person(addendum.author_id)],
                    "text": _narrative(addendum.text),
                }
            )
        sections.extend(self._summary_reply(summary))
        return {
            "resourceType": "Composition",
            "id": f"session-summary-{summary.pk}",
            "status": "amended" if addenda else "final",
            "type": {"text": "Session summary"},
            "subject": self.patient,
            "encounter": {"reference": f"Encounter/session-{summary.session_id}"},
            "date": _dt(addenda[-1].created_at if addenda else signed_at),
            "author": [self.person(summary.author_id)],
            "title": f"Summary of session {summary.session.number}",
            "attester": [
                {
                    "mode": "professional",
                    "time": _dt(signed_at),
                    "party": self.person(summary.author_id),
                }
            ],
            "section": sections,
        }

    def communication(self, part: EpisodeRecord, message: Message) -> Resource:
        episode = part.episode
        resource: Resource = {
            "resourceType": "Communication",
            "id": f"message-{message.pk}",
            "status": "completed",
            "subject": self.patient,
            "sent": _dt(message.sent_at),
        }
        if message.sender_id is None:  # an automatic reply, which nobody wrote personally
            resource["category"] = [{"text": "automatic reply"}]
            resource["recipient"] = [self.patient]
        elif access.same_person(message.sender_id, self.client.pk):
            resource["sender"] = self.patient
            resource["recipient"] = [self.person(episode.therapist_id)]
        else:
            resource["sender"] = self.person(message.sender_id)
            resource["recipient"] = [self.patient]
        resource["payload"] = [{"contentString": message.body}]
        return resource

    def exercise_entry(self, entry: Entry, plan_ref: dict[str, str]) -> Resource:
        instrument = exercise_instrument(entry.instrument_id, entry.instrument_version)
        local_id = f"exercise-entry-{entry.pk}"
        try:
            result = engine.score(instrument, dict(entry.answers))
        except engine.InvalidAnswers:
            # An entry the form no longer accepts is still the client's: keep its words.
            resource: Resource = {
                "resourceType": "QuestionnaireResponse",
                "id": local_id,
                "status": "completed",
                "subject": self.patient,
                "authored": _dt(entry.completed_at),
                "item": [
                    {"linkId": link_id, "answer": [{"valueString": str(value)}]}
                    for link_id, value in sorted(entry.answers.items())
                ],
            }
        else:
            resource = engine.to_questionnaire_response(
                result,
                subject=f"Patient/{self.client.pk}",
                authored=_dt(entry.completed_at),
                response_id=local_id,
            )
        resource["extension"] = [{"url": SHARED_URL, "valueBoolean": entry.shared}]
        if entry.shared_with_supervisor:
            resource["extension"].append({"url": SHARED_SUPERVISOR_URL, "valueBoolean": True})
        resource["basedOn"] = [plan_ref]
        resource["author"] = self.patient
        return resource

    def preferences(self, version: TreatmentPreferences) -> Resource:
        items: list[dict[str, Any]] = []
        for code, answer in sorted(version.answers.items()):
            item = ITEMS_BY_CODE.get(code)
            if item is None:
                continue
            coding = {"system": PREFERENCE_ANSWERS, "code": answer}
            label = item.answer_label(answer)
            if label is not None:
                coding["display"] = str(label)
            items.append(
                {"linkId": code, "text": str(item.question), "answer": [{"valueCoding": coding}]}
            )
        for link_id, text, value in (
            ("hopes", "What I hope to get from therapy", version.hopes),
            ("working_together", "How I would like us to work together", version.working_together),
        ):
            if value:
                items.append({"linkId": link_id, "text": text, "answer": [{"valueString": value}]})
        resource: Resource = {
            "resourceType": "QuestionnaireResponse",
            "id": f"preferences-{version.pk}",
            "questionnaire": PREFERENCES_QUESTIONNAIRE,
            "status": "completed",
            "subject": self.patient,
            "authored": _dt(version.created_at),
            "author": self.person(version.created_by_id),
        }
        sharing = []
        if not version.shared:
            sharing.append({"url": SHARED_URL, "valueBoolean": False})
        if version.shared_with_supervisor:
            sharing.append({"url": SHARED_SUPERVISOR_URL, "valueBoolean": True})
        if sharing:
            resource["extension"] = sharing
        if items:
            resource["item"] = items
        return resource

    def agenda_item(self, item: AgendaItem) -> Resource:
        resource: Resource = {
            "resourceType": "Task",
            "id": f"agenda-item-{item.pk}",
            "status": AGENDA_TASK_STATUS[AgendaStatus(item.status)],
            "intent": "proposal",
            "code": {"text": "Something to talk about in a session"},
            "description": item.text,
            "for": self.patient,
            "requester": self.person(item.created_by_id),
            "authoredOn": _dt(item.created_at),
        }
        if item.closed_at is not None:
            resource["lastModified"] = _dt(item.closed_at)
        if item.session_id is not None:
            resource["encounter"] = {"reference": f"Encounter/session-{item.session_id}"}
        return resource

    def cultural_profile(self, profile: CulturalProfile) -> Resource:
        items: list[dict[str, Any]] = []
        for part in CULTURAL_PARTS:
            text = profile.text_of(part.code)
            if not text:
                continue
            items.append(
                {"linkId": part.code, "text": str(part.label), "answer": [{"valueString": text}]}
            )
            items.append(
                {
                    "linkId": f"{part.code}-shared",
                    "text": "Shared with the therapist",
                    "answer": [{"valueBoolean": profile.is_shared(part.code)}],
                }
            )
            if profile.sharing_of(part.code).with_supervisor:
                items.append(
                    {
                        "linkId": f"{part.code}-shared-supervisor",
                        "text": "Shared with the therapist's supervisor too",
                        "answer": [{"valueBoolean": True}],
                    }
                )
        resource: Resource = {
            "resourceType": "QuestionnaireResponse",
            "id": f"cultural-profile-{profile.pk}",
            "questionnaire": CULTURAL_QUESTIONNAIRE,
            "status": "completed",
            "subject": self.patient,
            "authored": _dt(profile.updated_at),
            "author": self.patient,
        }
        if items:
            resource["item"] = items
        return resource

    # The safety plan (the client's own, across episodes) -----------------------

    def add_safety_plan(self) -> None:
        for version in self.record.safety_versions:
            items = [
                {
                    "linkId": step.key,
                    "text": f"{step.number}. {step.title}",
                    "answer": [{"valueString": entry} for entry in version.entries(step.key)],
                }
                for step in STEPS
                if version.entries(step.key)
            ]
            resource: Resource = {
                "resourceType": "QuestionnaireResponse",
                "id": f"safety-plan-{version.plan_id}-v{version.number}",
                "questionnaire": SAFETY_QUESTIONNAIRE,
                "status": "completed",
                "subject": self.patient,
                "authored": _dt(version.created_at),
                "author": self.person(version.author_id),
            }
            if items:
                resource["item"] = items
            self.add(resource)


def record_bundle(record: ClientRecord, *, now: datetime | None = None) -> dict[str, Any]:
    """The whole record as a FHIR R4B collection Bundle (a plain dict, ready for JSON)."""
    builder = _Builder(record, now or timezone.now())
    # Codes and labels in English whoever asks, so the same data gives the same Bundle.
    with translation.override("en"):
        builder.add_patient()
        builder.add_practitioners()
        for part in record.episodes:
            builder.add_episode(part)
        builder.add_safety_plan()
    entries = resolve_references(builder.entries)
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def record_bundle_json(record: ClientRecord, *, now: datetime | None = None) -> str:
    return json.dumps(record_bundle(record, now=now), indent=2, ensure_ascii=False)


def archive_name(today: date) -> str:
    """A file name with no name and no health information in it."""
    return f"alliance-record-{today.isoformat()}.zip"


def record_archive(client: User, *, everything: bool, now: datetime | None = None) -> bytes:
    """The download: ``record.fhir.json``, ``record.html`` and a short ``README.txt``.

    ``everything`` False leaves out what the client kept private (``client_record``).
    """
    now = now or timezone.now()
    record = client_record(client, everything=everything)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("record.fhir.json", record_bundle_json(record, now=now))
        archive.writestr("record.html", readable_record(record, now=now))
        with translation.override(client.language):
            readme = render_to_string(
                "records/README.txt",
                {
                    "practice_name": settings.PRACTICE_NAME,
                    "exported_at": now,
                    "everything": everything,
                },
            )
        archive.writestr("README.txt", readme)
    return buffer.getvalue()
