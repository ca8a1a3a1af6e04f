"""What the session preparation page shows: each feature's news since the last session.

The numbers and their words are the progress page's (``presenters/progress.py``): the
band as the instrument names it, the change since intake with its reliable-change
sentence, and session feedback against the client's own baseline (the mean ± 1 SD of
their first ratings, as the progress chart shades it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from alliance import instruments as engine
from alliance.instruments.names import formal_name
from alliance.measures.models import Response
from alliance.notes.models import Recognised, SessionSummary, SummaryReply
from alliance.preparation.selectors import Preparation
from alliance.web import charts
from alliance.web.presenters import progress


@dataclass(frozen=True)
class ScoreRow:
    response: Response
    session: str
    total: str
    band: str
    from_intake: str
    from_previous: str


@dataclass(frozen=True)
class Measure:
    instrument: engine.Instrument
    heading: str
    rows: list[ScoreRow]
    summary: list[str]


@dataclass(frozen=True)
class FeedbackRow:
    response: Response
    session: str
    total: str
    against_baseline: str


@dataclass(frozen=True)
class Feedback:
    heading: str
    rows: list[FeedbackRow]
    summary: list[str]


def preparation_page(prep: Preparation) -> dict[str, Any]:
    """The page's context; every list may be empty, and the template says so in words."""
    measures: list[Measure] = []
    feedback: list[Feedback] = []
    language = progress.language()
    for series in progress.series_by_episode(prep.responses).get(prep.session.episode_id, []):
        shown = [r for r in series.responses if r.submitted_at >= prep.since]
        if not shown:
            continue
        heading = formal_name(series.instrument, language)
        if series.is_feedback:
            feedback.append(_feedback(series, shown, heading))
        else:
            measures.append(_measure(series, shown, heading, language, prep.risk_at))
    return {
        "prep": prep,
        "session": prep.session,
        "episode": prep.session.episode,
        "client": prep.session.episode.client,
        "measures": measures,
        "feedback": feedback,
        "last_summary": prep.last_summary,
        "summary_reply": summary_reply_of(prep.last_summary),
        "summary_signal": summary_signal(summary_reply_of(prep.last_summary)),
    }


def summary_reply_of(summary: SessionSummary | None) -> SummaryReply | None:
    if summary is None:
        return None
    try:
        return summary.reply
    except SummaryReply.DoesNotExist:
        return None


def summary_signal(reply: SummaryReply | None) -> str | None:
    """A "partly" or "no" is an alliance signal, said in words (never scored)."""
    if reply is None or not reply.is_a_signal:
        return None
    number = reply.summary.session.number
    if reply.recognised == Recognised.PARTLY:
        return _(
            "The client said the summary of session %(number)s was only partly how they "
            "remember it."
        ) % {"number": number}
    return _("The client said the summary of session %(number)s was not how they remember it.") % {
        "number": number
    }


def _measure(
    series: progress.Series,
    shown: list[Response],
    heading: str,
    language: str,
    risk_at: datetime | None,
) -> Measure:
    totals = [_total(r) for r in series.responses]
    first = series.responses[0]
    rows = []
    for response in shown:
        index = series.responses.index(response)
        rows.append(
            ScoreRow(
                response=response,
                session=progress.session_text(response),
                total=charts.number(totals[index]),
                band=progress.band_text(series.instrument, response.band, language),
                from_intake=_("intake")
                if response is first
                else progress.signed(totals[index] - totals[0]),
                from_previous=progress.signed(totals[index] - totals[index - 1]) if index else "—",
            )
        )
    summary = [progress.risk_sentence(risk_at)] if risk_at is not None else []
    summary.append(progress.clinician_change(series))
    return Measure(instrument=series.instrument, heading=heading, rows=rows, summary=summary)


def _feedback(series: progress.Series, shown: list[Response], heading: str) -> Feedback:
    baseline = series.baseline
    first = series.responses[: progress.BASELINE_COUNT]
    rows = [
        FeedbackRow(
            response=response,
            session=progress.session_text(response),
            total=charts.number(_total(response)),
            against_baseline=_against_baseline(response, baseline, in_baseline=response in first),
        )
        for response in shown
    ]
    if baseline is None:
        summary = [
            _("The client's baseline needs %(count)s ratings; there are fewer so far.")
            % {"count": progress.BASELINE_COUNT}
        ]
    else:
        mean, sd = baseline
        summary = [
            _(
                "The client's baseline (mean of the first %(count)s ratings ± 1 SD): %(mean)s "
                "± %(sd)s."
            )
            % {
                "count": progress.BASELINE_COUNT,
                "mean": progress.one_decimal(mean),
                "sd": progress.one_decimal(sd),
            }
        ]
    return Feedback(heading=heading, rows=rows, summary=summary)


def _against_baseline(
    response: Response, baseline: tuple[float, float] | None, *, in_baseline: bool
) -> str:
    if in_baseline:
        return _("one of the ratings the baseline is made of")
    if baseline is None:
        return "—"
    mean, sd = baseline
    total = _total(response)
    if total < mean - sd:
        return _("lower than is usual for this client")
    if total > mean + sd:
        return _("higher than is usual for this client")
    return _("within the client's usual range")


def _total(response: Response) -> float:
    return float(response.total) if response.total is not None else 0.0


def summary_signals(replies: list[SummaryReply]) -> dict[int, list[str]]:
    """The sentences of ``summary_signal``, by episode id (the progress page)."""
    by_episode: dict[int, list[str]] = {}
    for reply in replies:
        sentence = summary_signal(reply)
        if sentence is not None:
            by_episode.setdefault(reply.summary.session.episode_id, []).append(sentence)
    return by_episode
