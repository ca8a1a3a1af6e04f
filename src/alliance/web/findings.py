"""Alert findings in words: each code an alert stored (``alliance.alerts.findings``, made from
the engine's :class:`alliance.instruments.findings.Finding`) becomes a sentence in the reader's
language, here and nowhere else (STYLE.md 12: store facts, render words).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.instruments.alert_rules import MIN_HISTORY, SD_FLOOR_SHARE
from alliance.instruments.trajectories.model import RESPONSE_SESSION
from alliance.instruments.trajectories.rules import LATE_RESPONSE_SESSION

if TYPE_CHECKING:
    from alliance.alerts.models import Alert


def number(value: Any) -> str:
    """A whole number without ".0", else one decimal, in the reader's locale (7,2 in es)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    rounded = round(float(value), 1)
    if rounded == int(rounded):
        return formats.number_format(int(rounded))
    return formats.number_format(rounded, decimal_pos=1)


def reason_sentences(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Why the alert was raised, one sentence per finding, in the active language."""
    return [
        sentence
        for finding in findings
        if not str(finding.get("code", "")).startswith("method_")
        for sentence in [reason_sentence(finding)]
        if sentence
    ]


def reason_sentence(finding: Mapping[str, Any]) -> str:
    code = finding.get("code")
    n = {key: number(value) for key, value in finding.items() if key != "code"}
    if code == "reliable_deterioration":
        return _(
            "Score %(latest)s at session %(session)s is %(rise)s points above the intake "
            "score of %(intake)s: at least the reliable-change threshold of %(threshold)s "
            "points, so a reliable deterioration."
        ) % {**n, "rise": number(finding["latest"] - finding["intake"])}
    if code == "curve_red":
        return (
            _(
                "Score %(latest)s at session %(session)s is at or above %(band)s, the upper "
                "band of the expected course for an intake of %(intake)s (expected "
                "%(expected)s): not on track."
            )
            % n
        )
    if code == "schueller":
        return (
            _(
                "PHQ-9 score %(latest)s, %(week)s weeks after intake, is at or above %(cut)s, "
                "the non-response cut point from week %(from_week)s (Schueller et al. 2015)."
            )
            % n
        )
    if code == "curve_amber":
        return (
            _(
                "Score %(latest)s at session %(session)s is above %(band)s, the amber band of "
                "the expected course for an intake of %(intake)s (expected %(expected)s)."
            )
            % n
        )
    if code == "no_reliable_improvement":
        return (
            _(
                "Score %(latest)s at session %(session)s against an intake of %(intake)s: "
                "no reliable improvement (%(threshold)s points or more) by session "
                "%(by_session)s (Saunders et al. 2019)."
            )
            % n
        )
    if code == "late_response_cap":
        return (
            _(
                "Lowered to amber: before session %(by_session)s a score no higher than the "
                "intake is lack of change, and some clients improve only later (Saunders et "
                "al. 2019)."
            )
            % n
        )
    if code == "intake_below_caseness":
        return (
            _(
                "The intake score of %(intake)s is below the caseness cut-off of %(cutoff)s, "
                "so only the reliable-deterioration rule applies."
            )
            % n
        )
    if code == "under_cutoff":
        text = (
            _("The total of %(latest)s is %(cutoff)s or less")
            if finding.get("flag_if", "<=") == "<="
            else _("The total of %(latest)s is under %(cutoff)s")
        ) % n
        source = (
            _("the rupture cut-off is Alliance's own suggestion, not a validated cut-off")
            if finding.get("ours")
            else _("the instrument's rupture cut-off")
        )
        return _("%(text)s (%(source)s): worth a check-in.") % {"text": text, "source": source}
    if code == "reliable_drop":
        text = (
            ngettext(
                "Total %(latest)s is %(drop)s points below this client's own running mean of "
                "%(mean)s over %(earlier)s earlier session, more than the %(threshold)s "
                "points that count as a reliable drop (1.96 x sqrt(2) x SD %(sd_used)s, "
                "Jacobson & Truax 1991 applied to the client's own variability).",
                "Total %(latest)s is %(drop)s points below this client's own running mean of "
                "%(mean)s over %(earlier)s earlier sessions, more than the %(threshold)s "
                "points that count as a reliable drop (1.96 x sqrt(2) x SD %(sd_used)s, "
                "Jacobson & Truax 1991 applied to the client's own variability).",
                int(finding.get("earlier") or 0),
            )
            % n
        )
        if finding.get("floor") is not None:
            text += " " + (
                _(
                    "The client's own SD of %(sd)s was raised to the floor of %(floor)s (5%% of "
                    "the range, ours), so that a steady client is not flagged for a small dip."
                )
                % n
            )
        return text
    if code == "missed_checkins":
        count = int(finding.get("count") or 0)
        return ngettext(
            "%(count)s check-in in a row was not completed.",
            "%(count)s check-ins in a row were not completed.",
            count,
        ) % {"count": count}
    if code == "text":
        # Written in English before alerts stored codes; shown as it was written.
        return str(finding.get("text", ""))
    return ""


def method_sentences(findings: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """(the model's name, how the rule works) for the finding that says so, if any."""
    for finding in findings:
        code = finding.get("code")
        if code == "method_default_curve":
            return _("Alliance default (log-session curve)"), _default_method()
        if code == "method_fitted_curve":
            return _fitted_name(finding), _fitted_method(finding)
        if code == "method_rupture":
            return "", _(
                "Rupture: a session-feedback total at or under the instrument's rupture "
                "cut-off, or, with %(history)s or more earlier scores, a drop from the "
                "client's own running mean of more than 1.96 x sqrt(2) x the client's SD of "
                "earlier scores (Jacobson & Truax 1991, within-person; ours), the SD floored "
                "at %(floor)s%% of the range (ours)."
            ) % {"history": MIN_HISTORY, "floor": number(SD_FLOOR_SHARE * 100)}
    return None


def _default_method() -> str:
    return " ".join(
        (
            _(
                "Expected score E(k) = I x (1 - 0.5 x min(ln k, ln %(session)s) / ln "
                "%(session)s): the log-session shape of Finch, Lambert & Schaalje (2001), "
                "reaching a 50%% reduction at session %(session)s and flat after (ours). Red "
                "at or above E(k) + R (about a one-sided 90%% band, ours), amber above "
                "E(k) + R/2, where R is the reliable-change threshold."
            )
            % {"session": RESPONSE_SESSION},
            _rules_note(),
        )
    )


def _fitted_name(finding: Mapping[str, Any]) -> str:
    weight = float(finding.get("weight") or 0)
    values = {"episodes": finding.get("episodes"), "share": number(round(weight * 100))}
    if weight >= 1:
        return _("Practice-fitted mixed model (n = %(episodes)s episodes)") % values
    return (
        _(
            "Practice-fitted mixed model blended with the Alliance default (n = %(episodes)s "
            "episodes; %(share)s%% practice curve)"
        )
        % values
    )


def _fitted_method(finding: Mapping[str, Any]) -> str:
    weight = float(finding.get("weight") or 0)
    text = _(
        "Mixed growth model fitted on this practice's closed episodes (%(episodes)s "
        "episodes with 3 or more scores after intake): score ~ intake x ln(session) + "
        "intake^2, random intercept and slope on ln(session) per episode (REML), sessions "
        "capped at 20. Red at or above the one-sided 90%% prediction band, amber above "
        "the 75%% band."
    ) % {"episodes": finding.get("episodes")}
    if weight < 1:
        text += " " + (
            _(
                "Until %(full)s episodes the curve and bands are blended linearly with the "
                "Alliance default (%(share)s%% practice curve) (ours)."
            )
            % {
                "full": finding.get("full_weight_at", 500),
                "share": number(round(weight * 100)),
            }
        )
    return f"{text} {_rules_note()}"


def _rules_note() -> str:
    return _(
        "Red also for reliable deterioration (intake + R) and, for PHQ-9 with weekly sessions, "
        "the week 4/9/14 cut points of Schueller et al. (2015); amber for no reliable "
        "improvement by session %(session)s; before session %(session)s lack of change alone "
        "is never red (Saunders et al. 2019); an intake below the caseness cut-off is checked "
        "for reliable deterioration only."
    ) % {"session": LATE_RESPONSE_SESSION}


def alert_explanation(alert: Alert) -> tuple[list[str], str, str]:
    """(reasons, model name, method) of an alert, in the active language. An alert from
    before findings whose model or method was not recognised shows its English text."""
    reasons = reason_sentences(alert.findings or [])
    method = method_sentences(alert.findings or [])
    if method is not None:
        return reasons, method[0], method[1]
    details = alert.details or {}
    return reasons, str(details.get("model_name") or ""), str(details.get("method") or "")
