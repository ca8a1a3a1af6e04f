"""The access policy: the one place that decides who may read or write clinical data.

Rules (DESIGN.md, "Access"):
- A therapist or supervisor reaches a client only through an episode of care in
  which they treat or supervise. Closed episodes are read-only.
- A client reaches only their own record.
- A practice admin manages accounts and does not read clinical content. The one
  exception is a copy for the client ("records", below). The practice admin cannot open a
  client's clinical record: they can download it only to fulfil the client's own pending
  request for a copy, after re-authenticating with their authenticator app, and the copy
  leaves out what the client kept private unless the client asked for everything.
- What the client writes for themselves (exercise entries, the cultural profile, treatment
  preferences) reaches their therapist, and separately their therapist's supervisor, only
  as the client chose ("who reads each part", below): the portal's sentences about who
  sees what are made from the same answers.

No access at all is a 404, so that nobody learns whether a record exists. Read
access without the right to write is a 403. Each condition stands on its own line
so that the tests exercise every branch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Model, Q, QuerySet
from django.http import Http404

from alliance.accounts.models import Role
from alliance.accounts.models import is_client_role as roles_is_client_role
from alliance.accounts.models import is_staff_role as roles_is_staff_role
from alliance.accounts.models import same_person as roles_same_person
from alliance.care.models import Episode, Session

if TYPE_CHECKING:
    from allauth.usersessions.models import UserSession
    from oauth2_provider.models import Application

    from alliance.accounts.models import User
    from alliance.api.models import ApiToken
    from alliance.exercises.models import Entry as ExerciseEntry
    from alliance.notes.models import PrivateNote, SessionSummary
    from alliance.records.models import CopyRequest, ErasureRequest


class Act(Enum):
    """What someone wants to do with a client's record."""

    READ = "read"
    # Clinical writes a treating therapist makes (sessions, closing the episode…).
    TREAT = "treat"
    # Writes a client makes to their own record (check-ins…).
    CONTRIBUTE = "contribute"
    # Acknowledging and resolving alerts: the treating therapist or the supervisor,
    # also once the episode is closed, so that no alert is left without an answer.
    ATTEND = "attend"


@dataclass(frozen=True)
class RecordAccess:
    client: User
    episodes: tuple[Episode, ...]

    @property
    def open_episodes(self) -> tuple[Episode, ...]:
        return tuple(e for e in self.episodes if e.is_open)


# --- who someone is ---
# Every role or identity question in the code asks one of these: the policy below, and
# also the checks that keep data valid ("an episode's therapist is a therapist", "only a
# client's record is erased") and the pages' questions ("is this the client or one of
# their clinicians?"). tests/test_access_in_one_place.py fails on a role or ownership
# comparison anywhere else.


class OfAClient(Protocol):
    """Something that belongs to one client (an episode, a response, a row about one)."""

    @property
    def client_id(self) -> int: ...


class OfAnEpisode(OfAClient, Protocol):
    """An episode, or a row that carries its people."""

    @property
    def therapist_id(self) -> int: ...

    @property
    def supervisor_id(self) -> int | None: ...


# Who a person is: the model defines each role (alliance.accounts.models, beneath every
# app); the questions below are asked here so that callers above care ask one module.
def is_client(user: User) -> bool:
    return user.is_client


def is_therapist(user: User) -> bool:
    return user.is_therapist


def is_supervisor(user: User) -> bool:
    return user.is_supervisor


def is_admin(user: User) -> bool:
    return user.is_admin


def is_clinician(user: User) -> bool:
    """A therapist or a supervisor."""
    return user.is_clinician


def is_staff_member(user: User) -> bool:
    """A therapist, a supervisor or the practice admin (not Django's ``is_staff``)."""
    return user.is_staff_member


is_client_role = roles_is_client_role
is_staff_role = roles_is_staff_role
same_person = roles_same_person


def is_one_of(user: User, person_ids: Collection[int]) -> bool:
    return user.pk in person_ids


def is_episode_client(user: User, of: OfAClient) -> bool:
    """Whether this person is the client the episode (or response, row…) belongs to."""
    return same_person(user.pk, of.client_id)


def is_treating_therapist(user: User, episode: OfAnEpisode) -> bool:
    return same_person(user.pk, episode.therapist_id)


def is_episode_supervisor(user: User, episode: OfAnEpisode) -> bool:
    return same_person(user.pk, episode.supervisor_id)


def caseload_parts(user: User) -> tuple[QuerySet[Episode], QuerySet[Episode]]:
    """Of the episodes this person reaches, those they treat and those they supervise
    (``is_treating_therapist``, ``is_episode_supervisor``), for the database to order and
    page."""
    reachable = episodes_reachable_by(user).order_by()
    return reachable.filter(therapist_id=user.pk), reachable.filter(supervisor_id=user.pk)


def treated_by(user: User) -> ExpressionWrapper:
    """``is_treating_therapist`` as a column, for the database to count by."""
    return ExpressionWrapper(Q(therapist_id=user.pk), output_field=BooleanField())


def supervised_by(user: User) -> ExpressionWrapper:
    """``is_episode_supervisor`` as a column, for the database to count by."""
    return ExpressionWrapper(Q(supervisor_id=user.pk), output_field=BooleanField())


def audience(user: User, episode: OfAClient) -> Literal["client", "clinician"]:
    """Whom a page about the episode speaks to: its client, or one of their clinicians."""
    return "client" if is_episode_client(user, episode) else "clinician"


def episodes_reachable_by(user: User) -> QuerySet[Episode]:
    """Every episode whose record this person may at least read."""
    episodes = Episode.objects.select_related("client", "therapist", "supervisor")
    if not user.is_authenticated or not user.is_active:
        return episodes.none()
    if user.role == Role.CLIENT:
        return episodes.filter(client=user)
    if user.role in (Role.THERAPIST, Role.SUPERVISOR):
        return episodes.filter(Q(therapist=user) | Q(supervisor=user))
    return episodes.none()


def may_act_on_episode(user: User, episode: Episode, act: Act) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if act is Act.READ:
        return user.pk in (episode.client_id, episode.therapist_id, episode.supervisor_id)
    if act is Act.ATTEND:
        return user.role in (Role.THERAPIST, Role.SUPERVISOR) and user.pk in (
            episode.therapist_id,
            episode.supervisor_id,
        )
    if not episode.is_open:
        return False
    if act is Act.TREAT:
        return user.role == Role.THERAPIST and episode.therapist_id == user.pk
    if act is Act.CONTRIBUTE:
        return user.role == Role.CLIENT and episode.client_id == user.pk
    return False


def access_episode(user: User, episode_id: int, act: Act = Act.READ) -> Episode:
    """The episode, if this person may do ``act`` on it: else 404 (no access) or 403."""
    episode = episodes_reachable_by(user).filter(pk=episode_id).first()
    if episode is None:
        raise Http404
    if not may_act_on_episode(user, episode, Act.READ):
        raise Http404
    if not may_act_on_episode(user, episode, act):
        raise PermissionDenied
    return episode


def require_episode_client(user: User, episode: Episode) -> None:
    """For a service that only the episode's client may call (their preferences, their
    exercise entries, their check-in answers): anyone else is refused (403). Whether the
    episode is still open the service says itself, in words."""
    if not may_act_on_episode(user, episode, Act.READ):
        raise PermissionDenied
    if not is_episode_client(user, episode):
        raise PermissionDenied


T = TypeVar("T", bound=Model)


def access_in_episode(user: User, queryset: QuerySet[T], pk: int, act: Act = Act.READ) -> T:
    """Something that belongs to an episode (a response, an alert…), through that episode."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    access_episode(user, found.episode_id, act)  # type: ignore[attr-defined]
    return found


def access_session_preparation(user: User, session_id: int) -> Session:
    """A session, for its preparation page: the episode's treating therapist, and its
    supervisor (who reads it, read only). Anyone else is a 404, the client included: the
    page is the clinician's notes for the session, not the client's record."""
    session = (
        Session.objects.select_related("episode__client", "episode__therapist")
        .filter(pk=session_id, episode__in=episodes_reachable_by(user))
        .first()
    )
    if session is None:
        raise Http404
    if not may_act_on_episode(user, session.episode, Act.READ):
        raise Http404
    if not (
        is_treating_therapist(user, session.episode) or is_episode_supervisor(user, session.episode)
    ):
        raise Http404
    return session


def access_client_record(user: User, client_id: int) -> RecordAccess:
    """A client's record as this person may read it, through their episodes; else 404."""
    episodes = tuple(episodes_reachable_by(user).filter(client_id=client_id))
    if not episodes:
        raise Http404
    return RecordAccess(client=episodes[0].client, episodes=episodes)


def own_user_sessions(user: User) -> QuerySet[UserSession]:
    """The signed-in sessions a person may see and end: only their own."""
    from allauth.usersessions.models import UserSession

    if not user.is_authenticated or not user.is_active:
        return UserSession.objects.none()
    return UserSession.objects.filter(user=user)


# --- the FHIR API: a personal token acts for its owner and reaches what they may ---


def may_hold_api_scope(user: User, context: str) -> bool:
    """A client's token reads their own record (``patient/…``); a member of staff's reads
    as they do on the web (``user/…``: the practice admin's reaches no record)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if context == "patient":
        return user.role == Role.CLIENT
    if context == "user":
        return user.role in (Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN)
    return False


def own_api_tokens(user: User) -> QuerySet[ApiToken]:
    """The API tokens a person may see and revoke: only their own."""
    from alliance.api.models import ApiToken

    if not user.is_authenticated or not user.is_active:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(owner=user)


def access_own_api_token(user: User, token_id: int) -> ApiToken:
    token = own_api_tokens(user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


def own_authorised_apps(user: User) -> QuerySet[Application]:
    """The OAuth apps a person may see and take back: those holding a token that acts for
    them, and nobody else's."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application, RefreshToken

    if not user.is_authenticated or not user.is_active:
        return Application.objects.none()
    live_access = AccessToken.objects.filter(user=user, expires__gt=timezone.now())
    live_refresh = RefreshToken.objects.filter(user=user, revoked__isnull=True)
    return Application.objects.filter(
        Q(pk__in=live_access.values("application")) | Q(pk__in=live_refresh.values("application"))
    ).order_by("name")


def access_own_authorised_app(user: User, app_id: int) -> Application:
    app = own_authorised_apps(user).filter(pk=app_id).first()
    if app is None:
        raise Http404
    return app


def api_episodes(user: User, context: str) -> QuerySet[Episode]:
    """The episodes whose record a token of this context reaches: the owner's reach on the
    web, and with ``patient/…`` only the owner's own record."""
    if not may_hold_api_scope(user, context):
        return Episode.objects.none()
    if context == "patient":
        return episodes_reachable_by(user).filter(client=user)
    return episodes_reachable_by(user)


def may_use_clinician_api(user: User, context: str) -> bool:
    """The JSON API (``/api/v1/``) is the clinician workspace's: a staff token (``user/…``)
    of someone who sees a caseload. A client's token and the practice admin's are refused
    (403) on every route, whatever the record asked for."""
    return context == "user" and may_hold_api_scope(user, context) and may_see_caseload(user)


def may_bulk_export(user: User, context: str) -> bool:
    """FHIR Bulk Data ``Patient/$export`` is for a clinician's systems: a staff token
    (``user/…``) of someone who sees a caseload, and it holds exactly what that token
    reads (``api_episodes``). A client's token is refused: their whole record is one
    search away (and a copy is on their records page). The practice admin's is refused
    too, and there is no system-level ``/$export``: the admin reads no clinical content,
    so no role may take the whole practice's data in one go."""
    return context == "user" and may_hold_api_scope(user, context) and may_see_caseload(user)


def require_bulk_export(user: User, context: str) -> None:
    """A token that may not export is told so (403): the route is no secret."""
    if not may_bulk_export(user, context):
        raise PermissionDenied


def access_client_episode_to_treat(user: User, client_id: int) -> Episode:
    """The client's open episode this person treats, to ask for a questionnaire without
    naming the episode: 404 when they do not reach the client, 403 when they reach but do
    not treat them (the supervisor) or the episode is closed."""
    record = access_client_record(user, client_id)
    treated = [e for e in record.open_episodes if may_act_on_episode(user, e, Act.TREAT)]
    if not treated:
        raise PermissionDenied
    return treated[0]


# --- launched from an EHR (SMART): the clinician the EHR names must be this person ---


def may_launch_from_ehr(user: User) -> bool:
    """Who an EHR may launch into a client's record: the clinicians who have a caseload."""
    return may_see_caseload(user)


def is_linked_clinician(user: User, ehr_id: int, fhir_user: str) -> bool:
    """Whether the practice linked this EHR's ``fhirUser`` to this signed-in person."""
    from alliance.ehr.models import ExternalIdentifier, IdentifierKind

    if not may_launch_from_ehr(user):
        return False
    return ExternalIdentifier.objects.filter(
        ehr_id=ehr_id, kind=IdentifierKind.CLINICIAN, value=fhir_user, person=user
    ).exists()


def launch_reaches_client(user: User, client_id: int) -> bool:
    """Whether the client linked to the EHR's patient is in this clinician's reach (the
    same reach as the client's record page)."""
    return episodes_reachable_by(user).filter(client_id=client_id).exists()


def may_manage_accounts(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ADMIN


def may_manage_webhooks(user: User) -> bool:
    """Alert webhooks (addresses outside Alliance that hear of alerts): the practice admin."""
    return user.is_authenticated and user.is_active and user.role == Role.ADMIN


def may_invite_clients(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.THERAPIST


def may_see_caseload(user: User) -> bool:
    return (
        user.is_authenticated and user.is_active and user.role in (Role.THERAPIST, Role.SUPERVISOR)
    )


def may_see_practice_reports(user: User) -> bool:
    """De-identified practice outcomes: supervisors and the practice admin."""
    return user.is_authenticated and user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN)


def may_use_client_portal(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.CLIENT


def require(allowed: bool) -> None:
    """Pages that belong to a role: anyone else gets a 404, as for a missing record."""
    if not allowed:
        raise Http404


# --- who reads each part of the client's record ---
# The portal tells the client who reads what they write or answer; these functions are
# the answer, and both the pages that show a part and the sentences about it ask them
# (``alliance.web.sharing`` turns the answer into words). Besides the client: the
# treating therapist and the episode's clinical supervisor read check-ins, messages, the
# agenda, the plan and the safety plan. What the client writes for themselves reaches
# them only as the client chose, one choice per thing: nobody, their therapist, or their
# therapist and also the supervisor (never the supervisor alone). The practice admin
# reads none of it.


class Reader(Enum):
    """Who, besides the client, reads a part of the record of one episode."""

    THERAPIST = "therapist"
    SUPERVISOR = "supervisor"


class Part(Enum):
    """The parts of a client's record the portal speaks about."""

    CHECKIN = "checkin"
    MESSAGES = "messages"
    AGENDA = "agenda"
    PLAN = "plan"
    # The client's own, across episodes: read through any of them (``may_read_safety_plan``).
    SAFETY_PLAN = "safety_plan"
    # Chosen by the client, thing by thing (a ``Sharing`` for each).
    PREFERENCES = "preferences"
    CULTURAL_PART = "cultural_part"
    EXERCISE_ENTRY = "exercise_entry"


CHOSEN_BY_CLIENT = frozenset({Part.PREFERENCES, Part.CULTURAL_PART, Part.EXERCISE_ENTRY})


class Sharing(Enum):
    """The client's choice for one thing they wrote."""

    PRIVATE = "private"
    THERAPIST = "therapist"
    SUPERVISOR = "supervisor"  # the therapist, and also the therapist's supervisor

    @classmethod
    def of(cls, *, therapist: bool, supervisor: bool) -> Sharing:
        """From the two stored flags (the supervisor flag counts only with the therapist's)."""
        if not therapist:
            return cls.PRIVATE
        return cls.SUPERVISOR if supervisor else cls.THERAPIST

    @property
    def with_therapist(self) -> bool:
        return self is not Sharing.PRIVATE

    @property
    def with_supervisor(self) -> bool:
        return self is Sharing.SUPERVISOR


def readers(part: Part, episode: Episode, sharing: Sharing | None = None) -> frozenset[Reader]:
    """Who besides the client reads ``part`` of this episode (for a chosen part, as chosen).

    A supervisor counts only while the episode has one.
    """
    found: set[Reader] = set()
    if part in CHOSEN_BY_CLIENT:
        if sharing is None or not sharing.with_therapist:
            return frozenset()
        found.add(Reader.THERAPIST)
        if sharing.with_supervisor and episode.supervisor_id is not None:
            found.add(Reader.SUPERVISOR)
        return frozenset(found)
    found.add(Reader.THERAPIST)
    if episode.supervisor_id is not None:
        found.add(Reader.SUPERVISOR)
    return frozenset(found)


def may_read_part(user: User, episode: Episode, part: Part, sharing: Sharing | None = None) -> bool:
    """Whether this person reads ``part`` of the episode: its client always, others as
    ``readers`` says."""
    if not may_act_on_episode(user, episode, Act.READ):
        return False
    if user.role == Role.CLIENT:
        return user.pk == episode.client_id
    allowed = readers(part, episode, sharing)
    if Reader.THERAPIST in allowed and user.pk == episode.therapist_id:
        return True
    return Reader.SUPERVISOR in allowed and user.pk == episode.supervisor_id


def may_offer_supervisor_sharing(episode: Episode) -> bool:
    """The client is offered "also my therapist's supervisor" only when there is one."""
    return episode.supervisor_id is not None


# The client's voice. Each feature keeps its access decisions in its own section below,
# built on the episode rules above (READ, TREAT, CONTRIBUTE) and on ``may_read_part``.

# --- plans (treatment plan, goals, goal ratings) ---


def plan_side(user: User, episode: Episode) -> str | None:
    """Which author of the shared plan this person is ("client" / "therapist"), if any.

    Only the client and the treating therapist write the plan, and only while the episode
    is open; a supervisor reads it and so has no side.
    """
    if may_act_on_episode(user, episode, Act.CONTRIBUTE):
        return "client"
    if may_act_on_episode(user, episode, Act.TREAT):
        return "therapist"
    return None


def may_rate_goals(user: User, episode: Episode) -> bool:
    """Goal-based outcomes are the client's own ratings: nobody rates on their behalf."""
    return may_act_on_episode(user, episode, Act.CONTRIBUTE)


# --- preferences (treatment preferences, agenda, cultural profile) ---


def may_read_cultural_part(user: User, episode: Episode, *, sharing: Sharing) -> bool:
    """A part of the cultural profile: the client always; their clinicians as the client chose.

    An admin never reads it.
    """
    return may_read_part(user, episode, Part.CULTURAL_PART, sharing)


def may_read_preferences(user: User, episode: Episode, *, sharing: Sharing) -> bool:
    """A saved version of the treatment preferences, as the client chose when saving it."""
    return may_read_part(user, episode, Part.PREFERENCES, sharing)


def may_read_agenda(user: User, episode: Episode) -> bool:
    return may_read_part(user, episode, Part.AGENDA)


def may_withdraw_agenda_item(user: User, episode: Episode, *, added_by_id: int) -> bool:
    """Only the client who added an item may withdraw it, while the episode is open."""
    if not may_act_on_episode(user, episode, Act.CONTRIBUTE):
        return False
    return added_by_id == user.pk


def may_mark_agenda_discussed(user: User, episode: Episode) -> bool:
    """Marking an item "talked about" is the treating therapist's, in an open episode."""
    return may_act_on_episode(user, episode, Act.TREAT)


# --- notes (after a session: the private note and the shared summary) ---
# The private note is the therapist's process note ("psychotherapy notes", 45 CFR
# 164.501): its author and the episode's supervisor read it, nobody else: not the client,
# not another therapist, not the practice admin, and no copy of the client's record holds
# it. The shared summary is written by the treating therapist; their supervisor reads it
# too; the client reads it once it is signed, never as a draft. Only the treating
# therapist of an open episode writes either (drafts, signing, addenda).


def may_write_session_notes(user: User, episode: Episode) -> bool:
    return may_act_on_episode(user, episode, Act.TREAT)


def may_read_private_note(user: User, episode: Episode, note: PrivateNote | None) -> bool:
    """The author (a note not written yet: the treating therapist) and the supervisor.

    A therapist's private note about a session is read only by its author and the
    episode's supervisor; it is never in the client's record copy, the FHIR API or the
    practice report, and only the practice's backup and erasure handle it. A session
    summary reaches the client only once the therapist signs it; after that, changes are
    dated addenda and every one is kept.
    """
    if not may_act_on_episode(user, episode, Act.READ):
        return False
    if is_client(user):
        return False
    if is_episode_supervisor(user, episode):
        return True
    if note is None:
        return is_treating_therapist(user, episode)
    return same_person(user.pk, note.author_id)


def may_read_session_summary(user: User, episode: Episode, summary: SessionSummary) -> bool:
    """The episode's clinicians always; its client only once signed."""
    if not may_act_on_episode(user, episode, Act.READ):
        return False
    if is_episode_client(user, episode):
        return summary.is_signed
    return is_treating_therapist(user, episode) or is_episode_supervisor(user, episode)


def access_session_notes(user: User, session_id: int) -> Session:
    """A session, for the clinician's pages about it (the note, the summary): the same
    people as its preparation page (the treating therapist; the supervisor, reading)."""
    return access_session_preparation(user, session_id)


def require_private_note(user: User, episode: Episode, note: PrivateNote | None) -> None:
    """Someone who reaches the session but not this note (a later therapist): a 404."""
    if not may_read_private_note(user, episode, note):
        raise Http404


def require_write_session_notes(user: User, episode: Episode) -> None:
    """Called after the session was reached for reading: read-only is a 403."""
    if not may_write_session_notes(user, episode):
        raise PermissionDenied


def access_own_summary(user: User, summary_id: int) -> SessionSummary:
    """A signed summary, for its client; a draft, or anyone else's, is a 404."""
    from alliance.notes.models import SessionSummary

    summary = (
        SessionSummary.objects.select_related("session__episode", "author")
        .filter(pk=summary_id)
        .first()
    )
    if summary is None:
        raise Http404
    if not is_episode_client(user, summary.session.episode):
        raise Http404
    if not may_read_session_summary(user, summary.session.episode, summary):
        raise Http404
    return summary


def may_reply_to_summary(user: User, episode: Episode, summary: SessionSummary) -> bool:
    """The client's "Is this how you remember it?": only the episode's own client, only
    for a signed summary, only while the episode is open."""
    return summary.is_signed and may_act_on_episode(user, episode, Act.CONTRIBUTE)


def may_answer_summary_reply(user: User, episode: Episode) -> bool:
    """The treating therapist of an open episode answers the client's reply (once)."""
    return may_act_on_episode(user, episode, Act.TREAT)


def own_signed_summaries_filter(user: User) -> Q:
    """``may_read_session_summary`` for a client as a filter: their own, signed."""
    if not may_use_client_portal(user):
        return Q(pk__in=[])
    return Q(session__episode__client=user, signed_at__isnull=False)


# --- exercises ---
# An exercise entry belongs to the client. Its content reaches their therapist only when
# the client shared it, and the therapist's supervisor only when the client shared it with
# the supervisor too (``Sharing``); a clinician may know that an entry not shared with them
# exists (never what it says).


def may_assign_exercise(user: User, episode: Episode) -> bool:
    """Only the treating therapist assigns or withdraws, in an open episode."""
    return may_act_on_episode(user, episode, Act.TREAT)


def may_read_exercise_entry(user: User, entry: ExerciseEntry) -> bool:
    return may_read_part(user, entry.episode, Part.EXERCISE_ENTRY, entry.sharing)


def exercise_entries_readable_by(user: User, *, prefix: str = "") -> Q:
    """``may_read_exercise_entry`` as a filter on entries (``prefix`` "entries__" from an
    assignment): the client's own; the therapist's, shared; the supervisor's, shared with
    the supervisor too."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.CLIENT:
        return Q(**{f"{prefix}episode__client": user})
    return Q(**{f"{prefix}episode__therapist": user, f"{prefix}shared": True}) | Q(
        **{
            f"{prefix}episode__supervisor": user,
            f"{prefix}shared": True,
            f"{prefix}shared_with_supervisor": True,
        }
    )


def access_exercise_entry(user: User, entry_id: int) -> ExerciseEntry:
    """An entry's content for this person; a private entry is a 404 for everyone but its author."""
    from alliance.exercises.models import Entry

    entry = Entry.objects.select_related("episode", "assignment").filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    if not may_read_exercise_entry(user, entry):
        raise Http404
    return entry


def may_change_entry_sharing(user: User, entry: ExerciseEntry) -> bool:
    """Only the client, also after the episode is closed: who reads their writing is theirs."""
    return (
        user.is_authenticated
        and user.is_active
        and user.role == Role.CLIENT
        and entry.episode.client_id == user.pk
    )


def require_change_entry_sharing(user: User, entry: ExerciseEntry) -> None:
    if not may_change_entry_sharing(user, entry):
        raise PermissionDenied


# --- messaging ---


def is_thread_participant(user: User, episode: Episode) -> bool:
    """The two people of an episode's thread: the client and the treating therapist."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.CLIENT:
        return episode.client_id == user.pk
    if user.role == Role.THERAPIST:
        return episode.therapist_id == user.pk
    return False


def may_send_message(user: User, episode: Episode) -> bool:
    """Participants, in an open episode; the supervisor reads the thread but never sends."""
    if not is_thread_participant(user, episode):
        return False
    if user.role == Role.CLIENT:
        return may_act_on_episode(user, episode, Act.CONTRIBUTE)
    return may_act_on_episode(user, episode, Act.TREAT)


def require_send_message(user: User, episode: Episode) -> None:
    """Called after the episode was reached for reading: read-only is a 403."""
    if not may_send_message(user, episode):
        raise PermissionDenied


def may_set_office_hours(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.THERAPIST


# --- safety (safety plan) ---
# The plan belongs to the client and outlives episodes: the client always edits their
# own; the therapist of an OPEN episode co-authors it; anyone else who may read the
# client's record (a past therapist, the supervisor) reads it; admins never do.


def may_read_safety_plan(user: User, client: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.CLIENT:
        return user.pk == client.pk
    return episodes_reachable_by(user).filter(client_id=client.pk).exists()


def may_edit_safety_plan(user: User, client: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.CLIENT:
        return user.pk == client.pk
    return _treats_in_any(user, episodes_reachable_by(user).filter(client_id=client.pk))


def _treats_in_any(user: User, episodes: Iterable[Episode]) -> bool:
    return any(may_act_on_episode(user, episode, Act.TREAT) for episode in episodes)


def access_safety_plan(user: User, client_id: int, *, write: bool = False) -> User:
    """The client whose plan this person may read (404 otherwise) and, if asked, edit (403)."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    if user.role == Role.CLIENT:
        if user.pk != client_id:
            raise Http404
        return user
    # One query: the episodes through which this clinician reaches the client.
    episodes = list(episodes_reachable_by(user).filter(client_id=client_id))
    if not episodes:
        raise Http404
    if write and not _treats_in_any(user, episodes):
        raise PermissionDenied
    return episodes[0].client


# --- records (the whole record: export and erasure) ---
# The client downloads their own record whenever they like (the password again first).
# Nobody else takes the whole record away but to fulfil the client's own request for a
# copy ("About me" → "Your record" → "Ask the practice for a copy"), once:
# The practice admin cannot open a client's clinical record: they can download it only to
# fulfil the client's own pending request for a copy, after re-authenticating with their
# authenticator app, and the copy leaves out what the client kept private unless the
# client asked for everything.
# The client sees each copy on their record page (and the admin's in "Who has seen your
# record"). On the server, `alliance export-record` fulfils the same pending request;
# its operator may add --without-request (for a duty outside the app), which the client
# is shown too.
# The practice admin erases a client's record only for the client's own erasure request,
# after re-authenticating and typing the person's e-mail address; a request made another
# way (in writing, say) is carried out on the server with `alliance erase-client`.
# README and SECURITY.md say the same (tests/records/test_promise.py reads
# all three). Clinicians read the record through their episodes, page by page; they
# never take the whole of it away.
#
# Without a pending request the admin is refused with a 403, not a 404: they reach the
# person's page (they manage the account, and the person list shows every client), so a
# 404 would hide nothing, and the page says why in plain words.


def may_export_own_record(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.CLIENT


def require_export_own_record(user: User, client: User) -> None:
    """The client's own download: only the client, of their own record."""
    if not may_export_own_record(user):
        raise PermissionDenied
    if not same_person(user.pk, client.pk):
        raise PermissionDenied


def may_handle_client_records(user: User) -> bool:
    """The admin's pages about a client's whole record: requests, copies, erasure."""
    return may_manage_accounts(user)


def access_client_for_records(user: User, client_id: int) -> User:
    """The client whose whole record the admin handles; anyone else, or a staff id, is a 404."""
    from alliance.accounts.models import User as UserModel

    if not may_handle_client_records(user):
        raise Http404
    client = UserModel.objects.filter(pk=client_id, role=Role.CLIENT).first()
    if client is None:
        raise Http404
    return client


def may_erase_record_for(user: User, erasure_request: ErasureRequest | None) -> bool:
    """The admin erases a record only for the client's own request (re-authentication aside)."""
    if not may_handle_client_records(user):
        return False
    return erasure_request is not None


def may_copy_record_for(user: User, copy_request: CopyRequest | None) -> bool:
    """The admin takes a copy only for the client's pending request (re-authentication aside)."""
    if not may_handle_client_records(user):
        return False
    if copy_request is None:
        return False
    return copy_request.is_pending
