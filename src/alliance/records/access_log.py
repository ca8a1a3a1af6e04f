"""Reading the audit log for the people it is about: who looked at a client's record.

Here, not in ``audit``: it reads people and episodes of care, and ``audit`` sits below
every app (it keeps an actor's id and role, nothing of theirs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.audit.models import Action, AuditEvent
from alliance.care import access
from alliance.care.models import Episode


@dataclass(frozen=True)
class AccessVisit:
    """One person's looks at (or changes to) a client's record on one day, in plain words."""

    day: date
    first: datetime
    last: datetime
    times: int
    who: str
    relation: str
    what: str


# What the practice does with a client's record on its server (the CLI, no signed-in
# person): the copies `alliance export-record` makes. The app's own doings (an alert
# raised, an automatic reply) open nothing and are not listed.
SERVER_ACTIONS = (Action.RECORD_EXPORTED,)


def record_events_by_others(client: User) -> QuerySet[AuditEvent]:
    """What other people did with this client's record, on the web or on the server,
    newest first."""
    by_someone = Q(actor_id__isnull=False) | Q(action__in=SERVER_ACTIONS)
    return (
        AuditEvent.objects.filter(by_someone, client_id=client.pk)
        .exclude(actor_id=client.pk)
        .order_by("-seq")
    )


def _relation(
    event: AuditEvent, actor: User | None, therapists: set[int], supervisors: set[int]
) -> str:
    """How the client knows this person: their therapist, a supervisor, the practice admin."""
    if event.actor_id is None:
        return _("on its server, not through the website")
    if actor is None:
        return _("a former member of staff")
    if access.is_one_of(actor, therapists):
        return _("your therapist")
    if access.is_one_of(actor, supervisors):
        return _("your therapist's clinical supervisor")
    if access.is_admin(actor):
        return _("the practice administrator")
    return str(actor.get_role_display())


# How an API read names its token in the audit log (``alliance.api.callers.TOKEN_AUDIT_TARGET``).
API_TOKEN_TARGET = "api_token:"  # noqa: S105 (a label, not a secret)
API_APP_TARGET = "api_app:"


def _what(event: AuditEvent) -> str:
    """What was done, in words; a read through the API names the token by its prefix."""
    if event.action == Action.API_READ and event.target_type.startswith(API_TOKEN_TARGET):
        return _("read the record through the API, with the token %(token)s…") % {
            "token": event.target_type.removeprefix(API_TOKEN_TARGET)
        }
    if event.action == Action.API_READ and event.target_type.startswith(API_APP_TARGET):
        return _("read the record through the app %(app)s") % {
            "app": event.target_type.removeprefix(API_APP_TARGET)
        }
    return event.action_label


def access_visits(client: User, events: list[AuditEvent]) -> list[AccessVisit]:
    """Fold a page of events (newest first) into visits: same person, same action, same day."""
    people = {u.pk: u for u in User.objects.filter(pk__in={e.actor_id for e in events})}
    # One query for everyone on the page: who treats or supervises this client.
    episodes = list(
        Episode.objects.filter(client=client).values_list("therapist_id", "supervisor_id")
    )
    therapists = {therapist for therapist, supervisor in episodes}
    supervisors = {supervisor for therapist, supervisor in episodes if supervisor is not None}
    visits: list[AccessVisit] = []
    for event in events:
        actor = people.get(event.actor_id or 0)
        local = timezone.localtime(event.occurred_at)
        if event.actor_id is None:
            who = _("The practice")
        elif actor is not None:
            who = actor.display_name
        else:
            who = _("Someone who has left the practice")
        what = _what(event)
        last = visits[-1] if visits else None
        if last and (last.day, last.who, last.what) == (local.date(), who, what):
            visits[-1] = AccessVisit(
                day=last.day,
                first=local,
                last=last.last,
                times=last.times + 1,
                who=who,
                relation=last.relation,
                what=what,
            )
        else:
            visits.append(
                AccessVisit(
                    day=local.date(),
                    first=local,
                    last=local,
                    times=1,
                    who=who,
                    relation=_relation(event, actor, therapists, supervisors),
                    what=what,
                )
            )
    return visits
