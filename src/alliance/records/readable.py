"""The readable copy of a client's whole record: one self-contained HTML file.

It is a file to keep and print, not a page the app serves: plain semantic HTML with a
small style sheet of its own, no script, nothing fetched from anywhere. It is written in
the client's language and speaks to them ("your goals"), whoever downloads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.care import access
from alliance.exercises.catalogue import ExerciseType, exercise_instrument
from alliance.instruments.names import client_name, formal_name
from alliance.instruments.texts import answer_text, answered_items, item_text
from alliance.measures.instruments import get_instrument
from alliance.measures.models import Response
from alliance.notes.models import SessionSummary, reply_of
from alliance.preferences.items import CULTURAL_PARTS, ITEMS
from alliance.records.selectors import ClientRecord, EpisodeRecord
from alliance.safety.models import SafetyPlanVersion
from alliance.safety.steps import STEPS

# What an alert meant, for the person it was about (DESIGN.md, "Wording").
ALERT_WORDS = {
    AlertKind.RISK: gettext_lazy("One of your answers suggested you might not be safe."),
    AlertKind.NOT_ON_TRACK: gettext_lazy(
        "Your scores suggested things were harder than expected at that point."
    ),
    AlertKind.RUPTURE: gettext_lazy(
        "Your feedback suggested that working together felt harder at that point."
    ),
    AlertKind.DISENGAGEMENT: gettext_lazy("Two check-ins in a row were not completed."),
}
ALERT_STATE_WORDS = {
    AlertStatus.OPEN: gettext_lazy("Not looked at yet"),
    AlertStatus.ACKNOWLEDGED: gettext_lazy("Your therapist has seen it"),
    AlertStatus.RESOLVED: gettext_lazy("Closed"),
}


@dataclass(frozen=True)
class Row:
    question: str
    answer: str


@dataclass
class Section:
    """One thing written or answered on one day, with its question-and-answer rows."""

    title: str
    when: datetime | None
    rows: list[Row] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


def _response_section(response: Response, language: str) -> Section:
    instrument = get_instrument(response.instrument_id, response.instrument_version)
    rows = []
    for item in instrument.items:
        if item.kind == "text":
            text = (response.text_answers or {}).get(item.link_id, "")
            if text:
                rows.append(Row(item_text(item, language), text))
            continue
        stored = response.answers.get(item.link_id)
        if stored is not None:
            answer = answer_text(item, stored.get("code"), stored.get("value"), language)
            rows.append(Row(item_text(item, language), answer))
    facts = []
    if response.total is not None:
        total = int(response.total) if float(response.total).is_integer() else response.total
        facts.append(_("Score: %(total)s") % {"total": total})
        band = instrument.band_for(response.total)
        if band is not None:
            facts.append(str(band.label.get(language) or band.label.get("en", "")))
    return Section(both_names(instrument, language), response.submitted_at, rows, facts)


def both_names(instrument: Any, language: str) -> str:
    """The name the client knows it by, then the published one a clinician or another
    service would look for: "Mood check-in: Patient Health Questionnaire-9 (PHQ-9)"."""
    plain = client_name(instrument, language)
    formal = formal_name(instrument, language)
    # "Session feedback (Alliance, …)" already starts with the plain name.
    return formal if formal.startswith(plain) else f"{plain}: {formal}"


def _entry_rows(entry: Any, language: str) -> list[Row]:
    instrument = exercise_instrument(entry.instrument_id, entry.instrument_version)
    return [Row(*pair) for pair in answered_items(instrument, entry.answers, language)]


def _exercises(part: EpisodeRecord, language: str) -> list[dict[str, Any]]:
    out = []
    for assignment in part.assignments:
        entries = [
            {
                "when": entry.completed_at,
                "shared": entry.shared,
                "supervisor": entry.shared_with_supervisor,
                "rows": _entry_rows(entry, language),
            }
            for entry in part.entries_of(assignment)
        ]
        out.append(
            {
                "name": ExerciseType(assignment.exercise_type).label,
                "assignment": assignment,
                "entries": entries,
            }
        )
    return out


def _preferences(part: EpisodeRecord) -> list[dict[str, Any]]:
    out = []
    for version in reversed(part.preferences):
        lines = []
        # In the form's order, not the stored dict's: PostgreSQL's jsonb keeps keys in an
        # order of its own, and a record must read the same on either database.
        for item in ITEMS:
            answer = version.answers.get(item.code)
            label = item.answer_label(answer) if answer is not None else None
            if label is not None:
                lines.append(Row(str(item.question), str(label)))
        out.append({"version": version, "lines": lines})
    return out


def _cultural(part: EpisodeRecord) -> list[dict[str, Any]]:
    profile = part.cultural
    if profile is None:
        return []
    return [
        {
            "label": part_.label,
            "text": profile.text_of(part_.code),
            "shared": profile.is_shared(part_.code),
            "supervisor": profile.sharing_of(part_.code).with_supervisor,
        }
        for part_ in CULTURAL_PARTS
        if profile.text_of(part_.code)
    ]


def _alerts(alerts: list[Alert]) -> list[dict[str, Any]]:
    return [
        {
            "alert": alert,
            "words": ALERT_WORDS[AlertKind(alert.kind)],
            "state": ALERT_STATE_WORDS[AlertStatus(alert.status)],
        }
        for alert in alerts
    ]


def _safety(version: SafetyPlanVersion) -> list[dict[str, Any]]:
    return [
        {"step": step, "entries": version.entries(step.key)}
        for step in STEPS
        if version.entries(step.key)
    ]


def _who(record: ClientRecord, user_id: int | None) -> str:
    """Who wrote something, as the client reads it: "You", or the person's name."""
    if user_id == record.client.pk:
        return _("You")
    return record.name_of(user_id)


def _session_summary(record: ClientRecord, summary: SessionSummary) -> dict[str, Any]:
    """A signed session summary as the client reads it on their own page, with their
    reply to it and their therapist's answer."""
    reply = reply_of(summary)
    return {
        "summary": summary,
        "author": _who(record, summary.author_id),
        "parts": [
            (_("What we talked about"), summary.discussed),
            (_("What we decided together"), summary.decided),
            (_("What you will do"), summary.client_will),
            (_("What your therapist will do before next time"), summary.therapist_will),
        ],
        "goals": [goal.current_text for goal in summary.goals.all()],
        "exercises": [str(a.get_exercise_type_display()) for a in summary.assignments.all()],
        "addenda": [
            {"addendum": addendum, "author": _who(record, addendum.author_id)}
            for addendum in summary.addenda.all()
        ],
        "reply": reply,
        "answered_by": _who(record, reply.answered_by_id) if reply is not None else "",
    }


def _episode(record: ClientRecord, part: EpisodeRecord, language: str) -> dict[str, Any]:
    episode = part.episode
    return {
        "episode": episode,
        "therapist": record.name_of(episode.therapist_id),
        "supervisor": record.name_of(episode.supervisor_id),
        "sessions": part.sessions,
        "session_summaries": [
            _session_summary(record, summary) for summary in part.session_summaries
        ],
        "plan": part.plan,
        "summary": part.summaries[-1].text if part.summaries else "",
        "earlier_summaries": part.summaries[:-1],
        "goals": [
            {
                "goal": goal,
                "earlier": list(goal.versions.all())[:-1],
                "ratings": list(goal.ratings.all()),
            }
            for goal in part.goals
        ],
        "checkins": [_response_section(response, language) for response in part.responses],
        "exercises": _exercises(part, language),
        "messages": [
            {
                "message": message,
                "who": (
                    _("Automatic reply")
                    if message.is_automatic
                    else _who(record, message.sender_id)
                ),
            }
            for message in part.messages
        ],
        "preferences": _preferences(part),
        "agenda": part.agenda,
        "cultural": _cultural(part),
        "alerts": _alerts(part.alerts),
    }


def readable_record(record: ClientRecord, *, now: datetime) -> str:
    """The HTML file, in the client's language."""
    language = record.client.language
    with translation.override(language):
        versions = record.safety_versions
        return render_to_string(
            "records/record.html",
            {
                "client": record.client,
                "practice_name": settings.PRACTICE_NAME,
                "exported_at": now,
                "language": language,
                "episodes": [
                    _episode(record, part, language) for part in reversed(record.episodes)
                ],
                "safety_current": _safety(versions[-1]) if versions else [],
                "safety_current_version": versions[-1] if versions else None,
                "safety_earlier": [
                    {
                        "version": version,
                        "author": (
                            _("you")
                            if access.same_person(version.author_id, record.client.pk)
                            else record.name_of(version.author_id)
                        ),
                        "steps": _safety(version),
                    }
                    for version in reversed(versions[:-1])
                ],
            },
        )
