"""Progress over time: what the progress pages show, each chart with a table of the same numbers.

The clinician sees every instrument in the episodes they reach, with bands, the clinical
cut-off and the reliable change since intake (Jacobson & Truax, from the instrument's
definition). The client sees their own scores in plain words (the view decides whether
they see them at all: ``client_sees_progress``).

The view fetches all responses of the episodes shown in one query; they are grouped here,
so the number of queries does not grow with the number of check-ins.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance import instruments as engine
from alliance.alerts.rules import trackable
from alliance.care.models import Episode
from alliance.instruments.names import client_name, formal_name
from alliance.instruments.trajectories.model import expected_score
from alliance.localtime import when
from alliance.measures.instruments import get_instrument
from alliance.measures.models import Response
from alliance.web import charts
from alliance.web.presenters.charts import ChartWithLegend, chart_with_legend
from alliance.web.presenters.panels import Panel

Audience = Literal["clinician", "client"]

SESSION_FEEDBACK = "session-feedback"
# Outcome measures in the order clinicians usually read them; others follow by id, and
# session feedback comes last.
OUTCOME_ORDER = ("phq-9", "gad-7", "pcl-5", "phq-15", "audit-c", "phq-2", "gad-2")
# The client's own baseline on session feedback: there are no norms, so the first
# ratings are the yardstick for later ones.
BASELINE_COUNT = 3

CATEGORY_LABELS: dict[str, Promise] = {
    "recovered": gettext_lazy("recovered"),
    "reliably improved": gettext_lazy("reliably improved"),
    "no reliable change": gettext_lazy("no reliable change"),
    "reliably deteriorated": gettext_lazy("reliably deteriorated"),
}

# The portal never uses the clinical category names (DESIGN.md, "Wording").
CLIENT_CHANGE_SENTENCES: dict[str, Promise] = {
    "recovered": gettext_lazy(
        "Your scores have moved into the range most people without these difficulties report."
    ),
    "reliably improved": gettext_lazy("Your scores show a real improvement since you started."),
    "no reliable change": gettext_lazy("Your scores have stayed about the same so far."),
    "reliably deteriorated": gettext_lazy(
        "Your scores suggest things have been harder lately. "
        "It may help to talk about this with your therapist."
    ),
}
# While a risk answer stands, lower scores are not news to be glad of on their own
# (README, "Clinical decisions"): the client is not told they are in the healthy range.
CLIENT_CHANGE_BESIDE_RISK = gettext_lazy(
    "Your scores are lower than when you started, but one of your recent answers said "
    "things have been very hard, and that matters more than any score."
)


@dataclass(frozen=True)
class Series:
    """One instrument's scores in one episode, oldest first, and what they add up to."""

    instrument: engine.Instrument
    responses: list[Response]
    change: engine.ChangeResult | None
    change_available: bool
    baseline: tuple[float, float] | None  # (mean, sd) of the first scores

    @property
    def is_feedback(self) -> bool:
        return self.instrument.id == SESSION_FEEDBACK

    @property
    def by_session(self) -> bool:
        """Every score belongs to a session, so the x axis can be session numbers."""
        return all(r.administration.session_id is not None for r in self.responses)


@dataclass(frozen=True)
class Row:
    when: datetime
    cells: list[str]


@dataclass
class Section:
    """What the chart-and-table include renders for one instrument."""

    chart_id: str
    heading: str
    svg: SafeString
    # (swatch SVG, text) pairs, written on the page where the text keeps its size.
    legend: list[tuple[SafeString, str]]
    caption: str
    columns: list[str]
    rows: list[Row]
    summary: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def clinician_episodes(
    episodes: Sequence[Episode],
    responses: Sequence[Response],
    risk: Mapping[int, datetime],
    panels: Mapping[int, Sequence[Panel]],
    signals: Mapping[int, Sequence[str]] | None = None,
) -> list[dict[str, object]]:
    """For each episode, a section per instrument: what the clinician's progress page lists.

    ``responses`` are the episodes' scored responses, oldest first; ``risk`` the time of
    a standing risk answer by episode id; ``panels`` the goal ratings and exercises shown
    under each episode's scores, by episode id (``presenters/panels/pages.py``);
    ``signals`` the sentences about the client's "partly" or "no" replies to session
    summaries, by episode id (``presenters/preparation.summary_signal``).
    """
    language = _language()
    grouped = _series_by_episode(responses)
    return [
        {
            "episode": episode,
            "sections": [
                _clinician_section(series, episode, language, risk.get(episode.pk))
                for series in grouped.get(episode.pk, [])
            ],
            "panels": panels.get(episode.pk, []),
            "summary_signals": (signals or {}).get(episode.pk, []),
        }
        for episode in episodes
    ]


def client_sections(
    episode: Episode, responses: Sequence[Response], *, beside_risk: bool
) -> list[Section]:
    """A section per instrument of the client's own episode, in the portal's words."""
    language = _language()
    return [
        _client_section(series, language, beside_risk=beside_risk)
        for series in _series_by_episode(responses).get(episode.pk, [])
    ]


# Grouping and numbers


def _series_by_episode(responses: Sequence[Response]) -> dict[int, list[Series]]:
    groups: dict[tuple[int, str], list[Response]] = {}
    for response in responses:
        groups.setdefault((response.episode_id, response.instrument_id), []).append(response)
    instruments: dict[tuple[str, str], engine.Instrument | None] = {}
    result: dict[int, list[Series]] = {}
    for (episode_id, instrument_id), group in groups.items():
        # The newest version scored this client last; it gives the bands drawn.
        key = (instrument_id, group[-1].instrument_version)
        if key not in instruments:
            instruments[key] = _instrument(*key)
        instrument = instruments[key]
        if instrument is None:
            continue
        result.setdefault(episode_id, []).append(_series(instrument, group))
    for series_list in result.values():
        series_list.sort(key=lambda s: _instrument_order(s.instrument.id))
    return result


def _instrument(instrument_id: str, version: str) -> engine.Instrument | None:
    for wanted in (version, None):
        try:
            return get_instrument(instrument_id, wanted)
        except engine.UnknownInstrument:
            continue
    return None


def _instrument_order(instrument_id: str) -> tuple[int, int, str]:
    if instrument_id == SESSION_FEEDBACK:
        return (2, 0, instrument_id)
    if instrument_id in OUTCOME_ORDER:
        return (0, OUTCOME_ORDER.index(instrument_id), instrument_id)
    return (1, 0, instrument_id)


def _series(instrument: engine.Instrument, responses: list[Response]) -> Series:
    totals = [float(r.total) for r in responses if r.total is not None]
    change: engine.ChangeResult | None = None
    available = instrument.id != SESSION_FEEDBACK and instrument.reliable_change is not None
    if available and len(totals) >= 2:
        try:
            change = engine.reliable_change(instrument, totals[0], totals[-1])
        except engine.ReliableChangeUnavailable:
            available = False
    baseline = None
    if instrument.id == SESSION_FEEDBACK and len(totals) >= BASELINE_COUNT:
        first = totals[:BASELINE_COUNT]
        baseline = (statistics.mean(first), statistics.stdev(first))
    return Series(instrument, responses, change, available, baseline)


# What the clinician reads


def _clinician_section(
    series: Series, episode: Episode, language: str, risk_at: datetime | None = None
) -> Section:
    instrument = series.instrument
    responses = series.responses
    first_total = _total(responses[0])
    rows = [
        Row(
            when=r.submitted_at,
            cells=[
                _session_text(r),
                charts.number(_total(r)),
                _band_text(instrument, r.band, language),
                _("intake") if index == 0 else _signed(_total(r) - first_total),
            ],
        )
        for index, r in enumerate(responses)
    ]
    summary, notes = [], []
    if series.is_feedback:
        notes.append(_not_validated(instrument, language))
        if series.baseline is not None:
            mean, sd = series.baseline
            summary.append(
                _(
                    "Baseline (mean of the first %(count)s scores ± 1 SD): %(mean)s ± %(sd)s. "
                    "Later scores below the shaded range are lower than is usual for this client."
                )
                % {"count": BASELINE_COUNT, "mean": _one(mean), "sd": _one(sd)}
            )
        else:
            summary.append(
                _("The baseline is drawn once there are %(count)s scores.")
                % {"count": BASELINE_COUNT}
            )
    else:
        if risk_at is not None:
            # Before the change, so that "recovered" is never read without it.
            summary.append(risk_sentence(risk_at))
        summary.append(_clinician_change(series))
        if not instrument.validated:
            notes.append(_not_validated(instrument, language))
    chart_id = f"chart-{episode.pk}-{instrument.id}"
    drawn = _chart(
        series,
        chart_id=chart_id,
        title=_("%(instrument)s over time") % {"instrument": formal_name(instrument, language)},
        audience="clinician",
        language=language,
    )
    return Section(
        chart_id=chart_id,
        heading=formal_name(instrument, language),
        svg=drawn.svg,
        legend=drawn.legend,
        caption=_("%(instrument)s: every score")
        % {"instrument": formal_name(instrument, language)},
        columns=[_("Date"), _("Session"), _("Total"), _("Band"), _("Change from intake")],
        rows=rows,
        summary=summary,
        notes=notes,
    )


def risk_sentence(risk_at: datetime) -> str:
    """Said before any change since intake while a risk answer stands."""
    return _(
        "A risk item was answered at or above its threshold on %(date)s: a score "
        "out of the clinical range does not mean the risk has passed. Read this "
        "change beside the risk follow-up."
    ) % {"date": when(risk_at, "date")}


def _clinician_change(series: Series) -> str:
    if not series.change_available:
        return _(
            "Reliable change since intake: not available (this instrument has no published "
            "norms or reliable-change threshold)."
        )
    change = series.change
    if change is None:
        return _("Reliable change since intake: needs a second score.")
    return _(
        "Reliable change since intake: %(category)s (%(before)s to %(after)s, %(change)s "
        "points; a change of %(threshold)s points or more is reliable. Source: %(source)s)."
    ) % {
        "category": CATEGORY_LABELS[change.category],
        "before": charts.number(change.before),
        "after": charts.number(change.after),
        "change": _signed(change.change),
        "threshold": _one(change.threshold_points),
        "source": _threshold_source_name(change.threshold_note),
    } + _threshold_caveat(change.threshold_note)


def _threshold_source_name(note: str) -> str:
    """The name of the source in an instrument's provenance note.

    The note is written for the definition's readers ("NHS Talking Therapies Manual:
    reliable improvement is a change of 6 or more PHQ-9 points (read in a secondary source
    only)"): its source is named before the first colon, and how it was read is in brackets.
    Pasted whole into the sentence it read like a code comment, in English on a Spanish page.
    """
    name = note.split(":", 1)[0]
    return re.sub(r"\s*\([^)]*secondary[^)]*\)", "", name).strip() or note


def _threshold_caveat(note: str) -> str:
    if "secondary source" not in note:
        return ""
    return " " + str(
        _(
            "This threshold was checked only in a secondary source that quotes it, not in "
            "the original."
        )
    )


# What the client reads


def _client_section(series: Series, language: str, *, beside_risk: bool = False) -> Section:
    instrument = series.instrument
    heading = (
        _("Your feedback on your sessions")
        if series.is_feedback
        else client_name(instrument, language)
    )
    # A column of dashes says nothing to a client: it shows only where sessions are known.
    with_sessions = any(r.administration.session_id is not None for r in series.responses)
    rows = [
        Row(
            when=r.submitted_at,
            cells=[
                *([_session_text(r)] if with_sessions else []),
                charts.number(_total(r)),
                _band_text(instrument, r.band, language, with_range=False),
            ],
        )
        for r in series.responses
    ]
    summary = [_direction_sentence(series)]
    if series.is_feedback:
        if series.baseline is not None:
            summary.append(
                _(
                    "The shaded area shows the range of your first %(count)s ratings, so you "
                    "can compare later sessions with how things started."
                )
                % {"count": BASELINE_COUNT}
            )
    elif series.change is not None:
        category = series.change.category
        if beside_risk and category in ("recovered", "reliably improved"):
            summary.append(str(CLIENT_CHANGE_BESIDE_RISK))
        else:
            summary.append(str(CLIENT_CHANGE_SENTENCES[category]))
    elif series.change_available:
        summary.append(_("After your next check-in you will be able to see how things change."))
    chart_id = f"my-chart-{instrument.id}"
    drawn = _chart(series, chart_id=chart_id, title=heading, audience="client", language=language)
    return Section(
        chart_id=chart_id,
        heading=heading,
        svg=drawn.svg,
        legend=drawn.legend,
        caption=_("Your scores, one row per check-in"),
        columns=[
            _("Date"),
            *([_("Session")] if with_sessions else []),
            _("Score"),
            _("Range"),
        ],
        rows=rows,
        summary=summary,
    )


def _direction_sentence(series: Series) -> str:
    if series.is_feedback:
        return _("Higher ratings mean a session felt more helpful to you.")
    if series.instrument.direction == "higher_is_worse":
        return _("Lower scores mean fewer difficulties.")
    return _("Higher scores mean things are going better.")


# Shared pieces


def _chart(
    series: Series, *, chart_id: str, title: str, audience: Audience, language: str
) -> ChartWithLegend:
    """The chart, and its legend as (swatch, text) pairs for the page."""
    instrument = series.instrument
    clinician = audience == "clinician"
    cutoff = None
    if instrument.clinical_cutoff is not None:
        value = {"value": charts.number(instrument.clinical_cutoff.value)}
        cutoff = charts.Cutoff(
            float(instrument.clinical_cutoff.value),
            _("Clinical cut-off (%(value)s)") % value
            if clinician
            else _(
                "Dashed line: the usual dividing point between lower and higher scores (%(value)s)"
            )
            % value,
        )
    points = _points(series)
    series_label = _("Total score") if clinician else _("Your scores")
    bands = _shades(instrument, language)
    baseline = _baseline(
        series,
        _("Client's baseline: mean ± 1 SD of the first scores")
        if clinician
        else _("Your first ratings"),
    )
    expected = _expected(series) if clinician else None
    return chart_with_legend(
        chart_id=chart_id,
        title=title,
        description=_description(series, audience),
        points=points,
        y_min=float(instrument.total_min),
        y_max=float(instrument.total_max),
        series_label=series_label,
        y_label=(_("Total (%(range)s)") if clinician else _("Score (%(range)s)"))
        % {"range": _span(instrument.total_min, instrument.total_max)},
        x_label=_("Session") if series.by_session else _("Check-in"),
        bands=bands,
        cutoff=cutoff,
        baseline=baseline,
        expected=expected,
    )


def _expected(series: Series) -> charts.Expected | None:
    """The expected course for this client's intake (TRAJECTORIES.md default), where the
    not-on-track rule applies: a symptom measure with a threshold and an intake at or
    above its clinical cut-off."""
    cutoff = series.instrument.clinical_cutoff
    if not trackable(series.instrument) or cutoff is None or not series.responses:
        return None
    intake = series.responses[0].total
    if intake is None or intake < cutoff.value:
        return None
    values = [expected_score(intake, k) for k in range(1, len(series.responses) + 1)]
    return charts.Expected(values, _("Expected course for this intake (Alliance default curve)"))


def _points(series: Series) -> list[charts.Point]:
    points = []
    for order, response in enumerate(series.responses, start=1):
        session = response.administration.session
        name = (
            _("Session %(number)s") % {"number": session.number}
            if session is not None
            else _("Check-in %(number)s") % {"number": order}
        )
        points.append(
            charts.Point(
                value=_total(response),
                tick=str(session.number if series.by_session and session else order),
                name=name,
                date=when(response.submitted_at, "short_date"),
            )
        )
    return points


def _description(series: Series, audience: Audience) -> str:
    responses = series.responses
    values = {
        "count": len(responses),
        "first": charts.number(_total(responses[0])),
        "latest": charts.number(_total(responses[-1])),
        "first_date": when(responses[0].submitted_at, "short_date"),
        "last_date": when(responses[-1].submitted_at, "short_date"),
        **_range(series.instrument),
    }
    if len(responses) == 1:
        text = (
            _("One score so far: %(first)s on %(first_date)s, on a scale from %(min)s to %(max)s.")
            if audience == "clinician"
            else _(
                "One check-in so far: %(first)s on %(first_date)s, on a scale from %(min)s "
                "to %(max)s."
            )
        )
    elif audience == "clinician":
        text = _(
            "%(count)s scores from %(first_date)s to %(last_date)s: first %(first)s, latest "
            "%(latest)s, on a scale from %(min)s to %(max)s. The table lists every score."
        )
    else:
        text = _(
            "%(count)s check-ins from %(first_date)s to %(last_date)s: first %(first)s, "
            "latest %(latest)s, on a scale from %(min)s to %(max)s. The table lists every score."
        )
    return text % values


def _shades(instrument: engine.Instrument, language: str) -> list[charts.BandShade]:
    """Bands as continuous ranges: each reaches up to where the next one starts."""
    bands = instrument.bands
    return [
        charts.BandShade(
            lower=float(band.lower),
            upper=float(bands[index + 1].lower if index + 1 < len(bands) else band.upper),
            label=_band_label(band, language, with_range=True),
            colour=charts.band_colour(index),
        )
        for index, band in enumerate(bands)
    ]


def _baseline(series: Series, label: str) -> charts.Baseline | None:
    if series.baseline is None:
        return None
    mean, sd = series.baseline
    return charts.Baseline(mean=mean, sd=sd, label=label)


def _band_label(band: engine.Band, language: str, *, with_range: bool) -> str:
    label = band.label.get(language) or band.label.get("en") or band.code
    if not with_range:
        return label
    return f"{label} ({_span(band.lower, band.upper)})"


def _band_text(
    instrument: engine.Instrument, code: str, language: str, *, with_range: bool = False
) -> str:
    for band in instrument.bands:
        if band.code == code:
            return _band_label(band, language, with_range=with_range)
    return code or "—"


def _not_validated(instrument: engine.Instrument, language: str) -> str:
    notice = instrument.metadata.get("not_validated_notice") or {}
    return str(
        notice.get(language)
        or notice.get("en")
        or _("This is not a validated instrument: it has no norms.")
    )


def _session_text(response: Response) -> str:
    session = response.administration.session
    return str(session.number) if session is not None else "—"


def _total(response: Response) -> float:
    return float(response.total) if response.total is not None else 0.0


def _range(instrument: engine.Instrument) -> dict[str, str]:
    return {
        "min": charts.number(instrument.total_min),
        "max": charts.number(instrument.total_max),
    }


def _span(low: float, high: float) -> str:
    return f"{charts.number(low)}\N{EN DASH}{charts.number(high)}"


def _signed(value: float) -> str:
    if value == 0:
        return "0"
    # U+2212 MINUS SIGN: read as "minus" by screen readers, unlike a hyphen.
    return f"+{_one(value)}" if value > 0 else f"\N{MINUS SIGN}{_one(-value)}"


def _one(value: float) -> str:
    return charts.number(round(value, 1))


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0]


# The same numbers in the same words on other clinician pages (``presenters/preparation.py``).
series_by_episode = _series_by_episode
clinician_change = _clinician_change
band_text = _band_text
session_text = _session_text
signed = _signed
one_decimal = _one
language = _language
