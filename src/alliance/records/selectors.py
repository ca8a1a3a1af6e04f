"""Reading a client's whole record at once, for the export (FHIR and the readable copy).

Callers have already decided that the record may be read whole
(``alliance.care.access``, "records" section). Everything comes back oldest first and in
id order, so that the same database always gives the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from alliance.alerts.models import Alert
from alliance.care.models import Episode, Session
from alliance.exercises.models import Assignment, Entry
from alliance.measures.models import Response
from alliance.messaging.models import Message
from alliance.notes.models import SessionSummary, SummaryAddendum
from alliance.plans.models import Goal, GoalRating, GoalVersion, Plan, PlanSummaryVersion
from alliance.preferences.items import CULTURAL_PARTS
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from alliance.records.models import CopyRequest, Erasure, ErasureRequest
from alliance.safety.models import SafetyPlanVersion

if TYPE_CHECKING:
    from alliance.accounts.models import User


@dataclass
class PlanRecord:
    """What an episode's treatment plan (a FHIR CarePlan) is made of."""

    episode: Episode
    plan: Plan | None
    summaries: list[PlanSummaryVersion]
    goals: list[Goal]
    assignments: list[Assignment]
    entries: list[Entry]

    def entries_of(self, assignment: Assignment) -> list[Entry]:
        return [entry for entry in self.entries if entry.assignment_id == assignment.pk]


@dataclass
class EpisodeRecord:
    episode: Episode
    sessions: list[Session]
    plan: Plan | None
    summaries: list[PlanSummaryVersion]
    goals: list[Goal]
    responses: list[Response]
    alerts: list[Alert]
    messages: list[Message]
    assignments: list[Assignment]
    entries: list[Entry]
    preferences: list[TreatmentPreferences]
    agenda: list[AgendaItem]
    cultural: CulturalProfile | None
    # Signed session summaries with their addenda (a draft is not part of the record; the
    # therapist's private notes never are).
    session_summaries: list[SessionSummary] = field(default_factory=list)

    def entries_of(self, assignment: Assignment) -> list[Entry]:
        return [entry for entry in self.entries if entry.assignment_id == assignment.pk]

    def plan_record(self) -> PlanRecord:
        return PlanRecord(
            episode=self.episode,
            plan=self.plan,
            summaries=self.summaries,
            goals=self.goals,
            assignments=self.assignments,
            entries=self.entries,
        )


@dataclass
class ClientRecord:
    client: User
    episodes: list[EpisodeRecord]
    safety_versions: list[SafetyPlanVersion]
    # Everyone else the record names (therapists, supervisors, authors), by id.
    people: dict[int, User] = field(default_factory=dict)

    def name_of(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id == self.client.pk:
            return self.client.display_name
        person = self.people.get(user_id)
        return person.display_name if person is not None else ""


def plan_record(episode: Episode, entries: QuerySet[Entry]) -> PlanRecord:
    """An episode's plan, with the exercise entries given (the caller has narrowed them to
    what the reader may see: ``alliance.care.access``)."""
    plan = Plan.objects.filter(episode=episode).first()
    summaries = PlanSummaryVersion.objects.filter(plan=plan) if plan is not None else None
    return PlanRecord(
        episode=episode,
        plan=plan,
        summaries=list(summaries.order_by("created_at", "pk")) if summaries is not None else [],
        goals=list(Goal.objects.filter(episode=episode).order_by("created_at", "pk")),
        assignments=list(Assignment.objects.filter(episode=episode).order_by("assigned_at", "pk")),
        entries=list(entries.filter(episode=episode).order_by("completed_at", "pk")),
    )


def _episode_record(episode: Episode, *, everything: bool) -> EpisodeRecord:
    plan = Plan.objects.filter(episode=episode).first()
    entries = Entry.objects.filter(episode=episode)
    preferences = TreatmentPreferences.objects.filter(episode=episode)
    cultural = CulturalProfile.objects.filter(episode=episode).first()
    if not everything:
        # What the client kept private: shared with nobody, not even their therapist.
        entries = entries.filter(shared=True)
        preferences = preferences.filter(shared=True)
        if cultural is not None:
            _leave_out_private_parts(cultural)
    goals = (
        Goal.objects.filter(episode=episode)
        .prefetch_related(
            Prefetch("versions", queryset=GoalVersion.objects.order_by("created_at", "pk")),
            Prefetch("ratings", queryset=GoalRating.objects.order_by("rated_at", "pk")),
        )
        .order_by("created_at", "pk")
    )
    return EpisodeRecord(
        episode=episode,
        sessions=list(Session.objects.filter(episode=episode).order_by("number")),
        plan=plan,
        summaries=list(
            PlanSummaryVersion.objects.filter(plan=plan).order_by("created_at", "pk")
            if plan is not None
            else []
        ),
        goals=list(goals),
        responses=list(Response.objects.filter(episode=episode).order_by("submitted_at", "pk")),
        alerts=list(Alert.objects.filter(episode=episode).order_by("created_at", "pk")),
        messages=list(Message.objects.filter(episode=episode).order_by("sent_at", "pk")),
        assignments=list(Assignment.objects.filter(episode=episode).order_by("assigned_at", "pk")),
        entries=list(entries.order_by("completed_at", "pk")),
        preferences=list(preferences.order_by("version")),
        agenda=list(AgendaItem.objects.filter(episode=episode).order_by("created_at", "pk")),
        cultural=cultural,
        session_summaries=list(
            SessionSummary.objects.filter(session__episode=episode, signed_at__isnull=False)
            .select_related("session", "reply")
            .prefetch_related(
                Prefetch("addenda", queryset=SummaryAddendum.objects.order_by("number")),
                "goals",
                "assignments",
            )
            .order_by("session__number")
        ),
    )


def _leave_out_private_parts(profile: CulturalProfile) -> None:
    """Blank, in this copy in memory only (never saved), the parts the client did not share."""
    for part in CULTURAL_PARTS:
        if not profile.is_shared(part.code):
            setattr(profile, part.code, "")


def _people_named(record: ClientRecord) -> set[int]:
    ids: set[int | None] = set()
    for part in record.episodes:
        episode = part.episode
        ids |= {episode.therapist_id, episode.supervisor_id}
        if part.plan is not None:
            ids.add(part.plan.review_set_by_id)
        ids |= {summary.author_id for summary in part.summaries}
        for session_summary in part.session_summaries:
            ids.add(session_summary.author_id)
            ids |= {addendum.author_id for addendum in session_summary.addenda.all()}
        for goal in part.goals:
            ids |= {goal.proposed_by_id, goal.ended_by_id}
            for version in goal.versions.all():
                ids |= {version.author_id, version.agreed_by_id}
            ids |= {rating.rated_by_id for rating in goal.ratings.all()}
        ids |= {response.submitted_by_id for response in part.responses}
        for alert in part.alerts:
            ids |= {alert.acknowledged_by_id, alert.resolved_by_id}
        ids |= {message.sender_id for message in part.messages}
        for assignment in part.assignments:
            ids |= {assignment.assigned_by_id, assignment.withdrawn_by_id}
        ids |= {preferences.created_by_id for preferences in part.preferences}
        for item in part.agenda:
            ids |= {item.created_by_id, item.closed_by_id}
    ids |= {version.author_id for version in record.safety_versions}
    return {pk for pk in ids if pk is not None and pk != record.client.pk}


def client_record(client: User, *, everything: bool = True) -> ClientRecord:
    """Everything the practice holds about this client, across all their episodes of care.

    ``everything`` False leaves out what the client kept private — exercise entries,
    cultural-profile parts and preference versions not shared with their therapist — as a
    copy for someone else holds it unless the client asked for everything.
    """
    from alliance.accounts.models import User

    episodes = Episode.objects.filter(client=client).order_by("opened_at", "pk")
    record = ClientRecord(
        client=client,
        episodes=[_episode_record(episode, everything=everything) for episode in episodes],
        safety_versions=list(
            SafetyPlanVersion.objects.filter(plan__client=client).order_by("number")
        ),
    )
    named = _people_named(record)
    record.people = {person.pk: person for person in User.objects.filter(pk__in=named)}
    return record


def erasure_requests() -> list[ErasureRequest]:
    """Requests waiting for the practice admin, oldest first."""
    return list(ErasureRequest.objects.select_related("client").order_by("requested_at", "pk"))


def erasure_request_of(client: User) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(client=client).first()


def erasures() -> list[Erasure]:
    return list(Erasure.objects.order_by("-erased_at", "-pk"))


def pending_copy_request(client: User) -> CopyRequest | None:
    return CopyRequest.objects.pending().filter(client=client).first()


def copy_requests_waiting() -> list[CopyRequest]:
    """Requests for a copy waiting for the practice admin, oldest first."""
    return list(
        CopyRequest.objects.pending().select_related("client").order_by("requested_at", "pk")
    )


def copies_made_for(client: User) -> list[CopyRequest]:
    """Every copy of the whole record made for someone other than the client, newest first."""
    return list(
        CopyRequest.objects.made()
        .filter(client=client)
        .select_related("made_by")
        .order_by("-made_at", "-pk")
    )
