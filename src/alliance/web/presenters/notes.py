"""What the pages about a session's notes show: the private note, the shared summary
(for the therapist, and for the client), and what a new summary starts with.

A new summary starts from what the client already sees: their check-ins since the last
session with the change from the one before (the preparation page's rows,
``presenters/preparation.py``), and what they asked to talk about with whether it was
talked about. It is written in the client's language, since it is for them.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from alliance import localtime
from alliance.accounts.models import User
from alliance.care import access
from alliance.care.models import Session
from alliance.exercises.models import Assignment
from alliance.instruments.names import client_name
from alliance.notes.models import PrivateNote, SessionSummary, SummaryReply
from alliance.preferences.models import AgendaStatus
from alliance.preparation.selectors import Preparation
from alliance.web.presenters import preparation


def summary_prefill(prep: Preparation, *, client: User) -> dict[str, str]:
    """The first words of a new summary's "what we talked about"."""
    page = preparation.preparation_page(prep)
    with translation.override(client.language):
        lines: list[str] = []
        if page["measures"]:
            lines.append(_("Your check-ins since our last session:"))
        for measure in page["measures"]:
            name = client_name(measure.instrument, client.language)
            lines.extend(_score_line(name, row) for row in measure.rows)
        if prep.agenda:
            lines.append(_("What you wanted to talk about:"))
        for item in prep.agenda:
            if item.status == AgendaStatus.DISCUSSED:
                lines.append(_("- %(item)s (talked about)") % {"item": item.text})
            else:
                lines.append(_("- %(item)s (not talked about yet)") % {"item": item.text})
    return {"discussed": "\n".join(lines)}


def _score_line(name: str, row: preparation.ScoreRow) -> str:
    values = {
        "name": name,
        "when": localtime.when(row.response.submitted_at, "short_date"),
        "total": row.total,
        "change": row.from_previous,
    }
    if row.from_previous == "—":
        return _("- %(name)s, %(when)s: %(total)s") % values
    return _("- %(name)s, %(when)s: %(total)s (%(change)s from the one before)") % values


def assignment_choices(assignments: list[Assignment]) -> list[tuple[Assignment, str]]:
    return [
        (
            assignment,
            _("%(exercise)s, assigned %(when)s")
            % {
                "exercise": assignment.get_exercise_type_display(),
                "when": localtime.when(assignment.assigned_at, "short_date"),
            },
        )
        for assignment in assignments
    ]


def _clinician_labels() -> dict[str, str]:
    return {
        "discussed": _("What we talked about"),
        "decided": _("What we decided together"),
        "client_will": _("What the client will do"),
        "therapist_will": _("What the therapist will do before next time"),
    }


def _client_labels() -> dict[str, str]:
    return {
        "discussed": _("What we talked about"),
        "decided": _("What we decided together"),
        "client_will": _("What you will do"),
        "therapist_will": _("What your therapist will do before next time"),
    }


def note_page(
    *, session: Session, note: PrivateNote | None, may_write: bool, **forms: Any
) -> dict[str, Any]:
    return {
        "session": session,
        "episode": session.episode,
        "client": session.episode.client,
        "note": note,
        "locked": note is not None and note.is_signed,
        "may_write": may_write,
        **forms,
    }


def summary_page(
    *,
    session: Session,
    summary: SessionSummary | None,
    reply: SummaryReply | None,
    may_write: bool,
    **forms: Any,
) -> dict[str, Any]:
    return {
        "session": session,
        "episode": session.episode,
        "client": session.episode.client,
        "summary": summary,
        "reply": reply,
        "may_answer": reply is not None and not reply.is_answered and may_write,
        "labels": _clinician_labels(),
        "locked": summary is not None and summary.is_signed,
        "may_write": may_write,
        **forms,
    }


def reply_initial(reply: SummaryReply | None) -> dict[str, str]:
    if reply is None:
        return {}
    return {"recognised": reply.recognised, "text": reply.text}


def client_summary(
    summary: SessionSummary, *, reply: SummaryReply | None, form: Any, user: User
) -> dict[str, Any]:
    """The client's page of one signed summary: its four parts, links and addenda, and
    their reply (changeable until their therapist has answered it)."""
    may_reply = access.may_reply_to_summary(user, summary.session.episode, summary)
    return {
        "summary": summary,
        "reply": reply,
        "reply_form": form,
        "may_reply": may_reply and (reply is None or not reply.is_answered),
        "labels": _client_labels(),
        "session": summary.session,
        "goals": list(summary.goals.prefetch_related("versions")),
        "assignments": list(summary.assignments.all()),
        "addenda": list(summary.addenda.select_related("author")),
    }
