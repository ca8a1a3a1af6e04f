"""Writing after a session: drafts, signing, and addenda once signed.

Each service checks the policy, validates, writes and records the audit event in one
transaction. A signed text is locked: a later change is refused in words and nothing is
stored; what the therapist adds afterwards is a dated addendum, appended in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.exercises.models import Assignment
from alliance.exercises.services import assignment_create
from alliance.notes.models import (
    MAX_ADDENDUM_CHARS,
    MAX_NOTE_CHARS,
    MAX_REPLY_ANSWER_CHARS,
    MAX_REPLY_CHARS,
    MAX_SUMMARY_PART_CHARS,
    PrivateNote,
    PrivateNoteAddendum,
    Recognised,
    SessionSummary,
    SummaryAddendum,
    SummaryReply,
)
from alliance.notes.tasks import send_summary_notice
from alliance.plans.models import Goal
from alliance.plans.services import goal_propose

if TYPE_CHECKING:
    from datetime import date

    from alliance.accounts.models import User
    from alliance.care.models import Session

SUMMARY_PARTS = ("discussed", "decided", "client_will", "therapist_will")


def _locked_message() -> str:
    return _(
        "This was signed, so its text can no longer change. Add an addendum below instead: "
        "it is dated and kept with it."
    )


def _text(value: str, *, most: int, field: str) -> str:
    text = value.replace("\r\n", "\n").strip()
    if len(text) > most:
        raise ValidationError(
            {field: _("Please keep this to %(most)s characters.") % {"most": most}}
        )
    return text


def _require_writer(actor: User, session: Session) -> None:
    if not access.may_write_session_notes(actor, session.episode):
        raise PermissionDenied


def _audit(
    actor: User, action: str, session: Session, target: str, pk: int, context: AuditContext | None
) -> None:
    audit_record(
        actor=actor,
        action=action,
        client_id=session.episode.client_id,
        target_type=target,
        target_id=pk,
        context=context,
    )


# --- the private note ---


def _locked_note(actor: User, session: Session) -> PrivateNote | None:
    note = PrivateNote.objects.select_for_update().filter(session=session).first()
    if not access.may_read_private_note(actor, session.episode, note):
        raise PermissionDenied
    return note


def _addendum_text(actor: User, session: Session, text: str) -> str:
    """An addendum's text, checked, by someone who may write this session's notes."""
    _require_writer(actor, session)
    cleaned = _text(text, most=MAX_ADDENDUM_CHARS, field="addendum")
    if not cleaned:
        raise ValidationError({"addendum": _("Write the addendum before adding it.")})
    return cleaned


def _next_number(addenda: Any) -> int:
    """Addenda are numbered 1, 2, … in the order they were added."""
    last: int | None = addenda.aggregate(last=Max("number"))["last"]
    return (last or 0) + 1


def _note_write(*, actor: User, session: Session, text: str, sign: bool) -> PrivateNote:
    """The note's text saved, and signed if ``sign``; a signed note is refused."""
    _require_writer(actor, session)
    cleaned = _text(text, most=MAX_NOTE_CHARS, field="text")
    if sign and not cleaned:
        raise ValidationError({"text": _("Write the note before signing it.")})
    note = _locked_note(actor, session)
    if note is not None and note.is_signed:
        raise ValidationError(_locked_message())
    if not cleaned:
        raise ValidationError({"text": _("Write something before saving the draft.")})
    if note is None:
        note = PrivateNote(session=session, author=actor)
    now = timezone.now()
    note.text = cleaned
    note.updated_at = now
    if sign:
        note.signed_at = now
    note.save()
    return note


@transaction.atomic
def note_save_draft(
    *, actor: User, session: Session, text: str, context: AuditContext | None = None
) -> PrivateNote:
    """Save the note as a draft (made on first save); a signed note is refused."""
    note = _note_write(actor=actor, session=session, text=text, sign=False)
    _audit(actor, Action.NOTE_SAVED, session, "private_note", note.pk, context)
    return note


@transaction.atomic
def note_sign(
    *, actor: User, session: Session, text: str, context: AuditContext | None = None
) -> PrivateNote:
    """Save the text and sign it: from now on it is locked."""
    note = _note_write(actor=actor, session=session, text=text, sign=True)
    _audit(actor, Action.NOTE_SIGNED, session, "private_note", note.pk, context)
    return note


@transaction.atomic
def note_add_addendum(
    *, actor: User, session: Session, text: str, context: AuditContext | None = None
) -> PrivateNoteAddendum:
    """A dated addition to a signed note, numbered after the ones before."""
    cleaned = _addendum_text(actor, session, text)
    note = _locked_note(actor, session)
    if note is None or not note.is_signed:
        raise ValidationError(_("An addendum is added to a signed note; sign the note first."))
    addendum = PrivateNoteAddendum.objects.create(
        note=note, number=_next_number(note.addenda), text=cleaned, author=actor
    )
    _audit(
        actor, Action.NOTE_ADDENDUM_ADDED, session, "private_note_addendum", addendum.pk, context
    )
    return addendum


# --- the shared summary ---


def _summary_parts(parts: dict[str, str]) -> dict[str, str]:
    return {
        name: _text(parts.get(name, ""), most=MAX_SUMMARY_PART_CHARS, field=name)
        for name in SUMMARY_PARTS
    }


def _links(
    session: Session, goal_ids: Iterable[int], assignment_ids: Iterable[int]
) -> tuple[list[Goal], list[Assignment]]:
    """Only the episode's own goals and exercises can be linked."""
    goal_ids, assignment_ids = set(goal_ids), set(assignment_ids)
    goals = list(Goal.objects.filter(episode=session.episode_id, pk__in=goal_ids))
    assignments = list(Assignment.objects.filter(episode=session.episode_id, pk__in=assignment_ids))
    if len(goals) != len(goal_ids) or len(assignments) != len(assignment_ids):
        raise ValidationError(_("Link only goals and exercises of this episode of care."))
    return goals, assignments


def _summary_write(
    *,
    actor: User,
    session: Session,
    parts: dict[str, str],
    goal_ids: Iterable[int],
    assignment_ids: Iterable[int],
    sign: bool,
    holds_new_link: bool = False,
) -> SessionSummary:
    """The summary's words and links saved (and signed if ``sign``). A draft may be saved
    without words when it ``holds_new_link``: a goal or exercise just made from it."""
    _require_writer(actor, session)
    cleaned = _summary_parts(parts)
    goals, assignments = _links(session, goal_ids, assignment_ids)
    summary = SessionSummary.objects.select_for_update().filter(session=session).first()
    if summary is not None and summary.is_signed:
        raise ValidationError(_locked_message())
    if not any(cleaned.values()) and not holds_new_link:
        if sign:
            raise ValidationError(_("Write at least one part of the summary before signing it."))
        raise ValidationError(_("Write at least one part of the summary before saving it."))
    if summary is None:
        summary = SessionSummary(session=session, author=actor)
    now = timezone.now()
    for name, value in cleaned.items():
        setattr(summary, name, value)
    summary.updated_at = now
    if sign:
        summary.signed_at = now
    summary.save()
    summary.goals.set(goals)
    summary.assignments.set(assignments)
    return summary


@transaction.atomic
def summary_save_draft(
    *,
    actor: User,
    session: Session,
    parts: dict[str, str],
    goal_ids: Iterable[int] = (),
    assignment_ids: Iterable[int] = (),
    context: AuditContext | None = None,
) -> SessionSummary:
    """Save the summary as a draft: the client does not see it."""
    summary = _summary_write(
        actor=actor,
        session=session,
        parts=parts,
        goal_ids=goal_ids,
        assignment_ids=assignment_ids,
        sign=False,
    )
    _audit(actor, Action.SUMMARY_SAVED, session, "session_summary", summary.pk, context)
    return summary


@transaction.atomic
def summary_sign(
    *,
    actor: User,
    session: Session,
    parts: dict[str, str],
    goal_ids: Iterable[int] = (),
    assignment_ids: Iterable[int] = (),
    context: AuditContext | None = None,
    base_url: str = "",
) -> SessionSummary:
    """Save and sign the summary: it is locked, and the client can read it. With
    ``base_url``, the client is told by e-mail after the commit (``tasks.py``: no content,
    and only if they want reminders)."""
    summary = _summary_write(
        actor=actor,
        session=session,
        parts=parts,
        goal_ids=goal_ids,
        assignment_ids=assignment_ids,
        sign=True,
    )
    _audit(actor, Action.SUMMARY_SIGNED, session, "session_summary", summary.pk, context)
    if base_url:
        link, summary_id = f"{base_url}/", summary.pk
        transaction.on_commit(lambda: send_summary_notice.enqueue(summary_id, link), robust=True)
    return summary


@transaction.atomic
def summary_propose_goal(
    *,
    actor: User,
    session: Session,
    text: str,
    parts: dict[str, str],
    goal_ids: Iterable[int] = (),
    assignment_ids: Iterable[int] = (),
    context: AuditContext | None = None,
) -> Goal:
    """A new goal proposed while writing the draft: the draft's words are saved first, the
    goal is proposed by the plan's own rules (the client agrees it on their plan) and is
    linked to the summary. Refused as a whole: then nothing is saved."""
    summary = _summary_write(
        actor=actor,
        session=session,
        parts=parts,
        goal_ids=goal_ids,
        assignment_ids=assignment_ids,
        sign=False,
        holds_new_link=True,
    )
    goal = goal_propose(actor=actor, episode=session.episode, text=text, context=context)
    summary.goals.add(goal)
    _audit(actor, Action.SUMMARY_SAVED, session, "session_summary", summary.pk, context)
    return goal


@transaction.atomic
def summary_assign_exercise(
    *,
    actor: User,
    session: Session,
    exercise_type: str,
    parts: dict[str, str],
    due_on: date | None = None,
    note: str = "",
    goal: Goal | None = None,
    goal_ids: Iterable[int] = (),
    assignment_ids: Iterable[int] = (),
    context: AuditContext | None = None,
) -> Assignment:
    """An exercise assigned while writing the draft: the draft's words are saved first, the
    exercise is assigned by the exercises' own rules and linked to the summary. Refused as
    a whole: then nothing is saved."""
    if not access.may_assign_exercise(actor, session.episode):
        raise PermissionDenied
    summary = _summary_write(
        actor=actor,
        session=session,
        parts=parts,
        goal_ids=goal_ids,
        assignment_ids=assignment_ids,
        sign=False,
        holds_new_link=True,
    )
    assignment = assignment_create(
        actor=actor,
        episode=session.episode,
        exercise_type=exercise_type,
        due_on=due_on,
        note=note,
        goal=goal,
        context=context,
    )
    summary.assignments.add(assignment)
    _audit(actor, Action.SUMMARY_SAVED, session, "session_summary", summary.pk, context)
    return assignment


@transaction.atomic
def summary_add_addendum(
    *, actor: User, session: Session, text: str, context: AuditContext | None = None
) -> SummaryAddendum:
    """A dated addition to a signed summary; the client reads it with the summary."""
    cleaned = _addendum_text(actor, session, text)
    summary = SessionSummary.objects.select_for_update().filter(session=session).first()
    if summary is None or not summary.is_signed:
        raise ValidationError(
            _("An addendum is added to a signed summary; sign the summary first.")
        )
    addendum = SummaryAddendum.objects.create(
        summary=summary, number=_next_number(summary.addenda), text=cleaned, author=actor
    )
    # A new addendum is news for the client: the portal says so again.
    summary.client_read_at = None
    summary.save(update_fields=["client_read_at"])
    _audit(
        actor,
        Action.SUMMARY_ADDENDUM_ADDED,
        session,
        "session_summary_addendum",
        addendum.pk,
        context,
    )
    return addendum


@transaction.atomic
def summary_mark_read(*, actor: User, summary: SessionSummary) -> None:
    """The client opened their signed summary: it is no longer "new" on their home page."""
    if not access.may_read_session_summary(actor, summary.session.episode, summary):
        raise PermissionDenied
    if not access.is_episode_client(actor, summary.session.episode):
        return
    if summary.client_read_at is None:
        summary.client_read_at = timezone.now()
        summary.save(update_fields=["client_read_at"])


# --- the client's reply to a signed summary ---


def _answered_message() -> str:
    return _("Your therapist has answered your reply, so it can no longer change.")


@transaction.atomic
def summary_reply(
    *,
    actor: User,
    summary: SessionSummary,
    recognised: str,
    text: str = "",
    context: AuditContext | None = None,
) -> SummaryReply:
    """The client's answer to "Is this how you remember it?" (yes, partly, no) with an
    optional comment. One reply per summary: the client may change it until their
    therapist has answered it; then it is kept as answered."""
    summary = (
        SessionSummary.objects.select_for_update()
        .select_related("session__episode")
        .get(pk=summary.pk)
    )
    episode = summary.session.episode
    if not access.may_reply_to_summary(actor, episode, summary):
        raise PermissionDenied
    if recognised not in Recognised.values:
        raise ValidationError({"recognised": _("Choose yes, partly or no.")})
    cleaned = _text(text, most=MAX_REPLY_CHARS, field="text")
    reply = SummaryReply.objects.filter(summary=summary).first()
    if reply is not None and reply.is_answered:
        raise ValidationError(_answered_message())
    now = timezone.now()
    if reply is None:
        reply = SummaryReply(summary=summary, created_at=now)
    reply.recognised = recognised
    reply.text = cleaned
    reply.updated_at = now
    reply.save()
    _audit(actor, Action.SUMMARY_REPLIED, summary.session, "summary_reply", reply.pk, context)
    return reply


@transaction.atomic
def summary_reply_answer(
    *, actor: User, summary: SessionSummary, text: str, context: AuditContext | None = None
) -> SummaryReply:
    """The treating therapist's short answer to the client's reply, once: the client reads
    it under their reply, which from then on no longer changes."""
    summary = SessionSummary.objects.select_related("session__episode").get(pk=summary.pk)
    if not access.may_answer_summary_reply(actor, summary.session.episode):
        raise PermissionDenied
    cleaned = _text(text, most=MAX_REPLY_ANSWER_CHARS, field="answer")
    if not cleaned:
        raise ValidationError({"answer": _("Write the answer before sending it.")})
    reply = SummaryReply.objects.select_for_update().filter(summary=summary).first()
    if reply is None:
        raise ValidationError(_("The client has not replied to this summary."))
    if reply.is_answered:
        raise ValidationError(_("This reply has already been answered; an answer is given once."))
    reply.answer = cleaned
    reply.answered_at = timezone.now()
    reply.answered_by = actor
    reply.save(update_fields=["answer", "answered_at", "answered_by"])
    _audit(
        actor, Action.SUMMARY_REPLY_ANSWERED, summary.session, "summary_reply", reply.pk, context
    )
    return reply
