"""The English the not-on-track and rupture rules wrote into an alert's ``details`` before
alerts stored findings as codes, frozen here (as the engine wrote it up to migration 0007) so
that the migration that reads those sentences stays tested against every sentence the engine
could write. The engine now returns findings; this writes the old sentences from them."""

from __future__ import annotations

from typing import Any

from alliance import instruments as engine
from alliance.alerts.findings import REASON_ORDER
from alliance.instruments.alert_rules import RuptureStatus
from alliance.instruments.trajectories.model import FittedModel, TrackStatus

DEFAULT_MODEL_NAME = "Alliance default (log-session curve, TRAJECTORIES.md)"
DEFAULT_METHOD = (
    "Expected score E(k) = I x (1 - 0.5 x min(ln k, ln 12) / ln 12): the log-session shape of "
    "Finch, Lambert & Schaalje (2001), reaching a 50% reduction at session 12 and flat after "
    "(ours, TRAJECTORIES.md). Red at or above E(k) + R (about a one-sided 90% band, ours), amber "
    "above E(k) + R/2, where R is the reliable-change threshold."
)
RULES_NOTE = (
    "Red also for reliable deterioration (intake + R) and, for PHQ-9 with weekly sessions, the "
    "week 4/9/14 cut points of Schueller et al. (2015); amber for no reliable improvement by "
    "session 6; before session 6 lack of change alone is never red (Saunders et al. 2019); an "
    "intake below the caseness cutoff is checked for reliable deterioration only."
)
RUPTURE_METHOD = (
    "Rupture (DESIGN.md): a total under the instrument's rupture cutoff, or, with 3 or "
    "more earlier scores, a drop from the client's own running mean of more than 1.96 x "
    "sqrt(2) x the client's SD of earlier scores (Jacobson & Truax 1991, within-person; "
    "ours), the SD floored at 5% of the range (ours)."
)


def fmt(x: float) -> str:
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.1f}"


def _curve_texts(status: TrackStatus, model: FittedModel | None) -> tuple[str, str, str]:
    """(red band, amber band, source) as the default and fitted models worded them."""
    e, r = status.expected, status.threshold
    if model is None:
        return (
            f"the expected {e:.1f} + {fmt(r)} (reliable-change threshold)",
            f"the expected {e:.1f} + {fmt(r / 2)} (half the reliable-change threshold)",
            "Alliance default curve, ours, after Finch et al. 2001",
        )
    w = model.weight
    if w >= 1:
        label, source = "the practice's", f"practice-fitted mixed model, n = {model.n_episodes}"
    else:
        label = f"the blended ({w:.0%} practice, {1 - w:.0%} Alliance default)"
        source = (
            f"practice-fitted mixed model, n = {model.n_episodes}, blended with the Alliance "
            "default (ours)"
        )
    red, amber = status.band_upper_red, status.band_upper_amber
    return (
        f"{label} 90% band of {red:.1f} (expected {e:.1f})",
        f"{label} 75% band of {amber:.1f} (expected {e:.1f})",
        source,
    )


def _model_name_and_method(model: FittedModel | None) -> tuple[str, str]:
    if model is None:
        return DEFAULT_MODEL_NAME, f"{DEFAULT_METHOD} {RULES_NOTE}"
    n = f"n = {model.n_episodes} episodes"
    if model.weight >= 1:
        name = f"Practice-fitted mixed model ({n})"
    else:
        name = (
            f"Practice-fitted mixed model blended with the Alliance default ({n}; "
            f"{model.weight:.0%} practice curve)"
        )
    method = (
        "Mixed growth model fitted on this practice's closed episodes "
        f"({model.n_episodes} episodes with 3 or more scores after intake): score ~ intake x "
        "ln(session) + intake^2, random intercept and slope on ln(session) per episode "
        "(REML, statsmodels MixedLM), sessions capped at 20 (TRAJECTORIES.md). Red at or above "
        "the one-sided 90% prediction band, amber above the 75% band."
    )
    if model.weight < 1:
        method += (
            f" Until {model.full_weight_at} episodes the curve and bands are blended linearly "
            f"with the Alliance default ({model.weight:.0%} practice curve) (ours)."
        )
    return name, f"{method} {RULES_NOTE}"


def track_details(status: TrackStatus, model: FittedModel | None) -> dict[str, Any]:
    """``{"reasons", "model_name", "method"}`` as a not-on-track alert stored them."""
    s, k, i, r = status.latest, status.session, status.intake, status.threshold
    at = f"{fmt(s)} at session {k}"
    intake_text = f"an intake of {fmt(i)}"
    red_text, amber_text, source = _curve_texts(status, model)
    reasons: list[str] = []
    for finding in sorted(status.findings, key=lambda f: REASON_ORDER.index(f.code)):
        p = finding.params
        if finding.code == "reliable_deterioration":
            reasons.append(
                f"Score {at} is {fmt(s - i)} points above {intake_text}, at least the "
                f"reliable-change threshold of {fmt(r)}: reliable deterioration (threshold "
                f"source: {status.threshold_source})."
            )
        elif finding.code == "curve_red":
            reasons.append(
                f"Score {at} is at or above {red_text} for {intake_text}: not on track ({source})."
            )
        elif finding.code == "schueller":
            week = float(p["week"] or 0)
            when = (
                f"week {fmt(week)} since intake"
                if status.weeks_since_intake is not None
                else f"session {k} (taken as week {fmt(week)} since intake)"
            )
            reasons.append(
                f"PHQ-9 score {fmt(s)} at {when} is at or above the non-response cut point of "
                f"{p['cut']} that applies from week {p['from_week']} (Schueller et al. 2015; "
                "weekly sessions)."
            )
        elif finding.code == "curve_amber":
            reasons.append(
                f"Score {at} is above {amber_text} for {intake_text}: at risk ({source})."
            )
        elif finding.code == "no_reliable_improvement":
            change = (
                f"only {fmt(i - s)} points below {intake_text}, less than"
                if s < i
                else f"no lower than {intake_text}, short of"
            )
            reasons.append(
                f"Score {at} is {change} the reliable-change threshold of {fmt(r)}: no reliable "
                f"improvement by session {p['by_session']} (TRAJECTORIES.md; Saunders et al. "
                "2019)."
            )
        elif finding.code == "late_response_cap":
            session = p["by_session"]
            reasons.append(
                f"Lowered to at risk: before session {session} a score no higher than intake is "
                f"lack of change, and some clients improve only after session {session} "
                "(Saunders et al. 2019)."
            )
        elif finding.code == "intake_below_caseness":
            reasons.append(
                f"Intake {fmt(i)} is below the caseness cutoff of {fmt(status.caseness_cutoff)}, "
                "so only the reliable-deterioration rule applies (TRAJECTORIES.md)."
            )
    name, method = _model_name_and_method(model)
    return {"reasons": reasons, "model_name": name, "method": method}


def rupture_details(status: RuptureStatus, instrument: engine.Instrument) -> dict[str, Any]:
    """``{"reasons", "method"}`` as a rupture alert stored them."""
    reasons: list[str] = []
    for finding in status.findings:
        p = finding.params
        if finding.code == "under_cutoff":
            source = (
                "Alliance's own suggestion, not a validated cutoff"
                if p["ours"]
                else "the instrument's rupture cutoff"
            )
            latest, cutoff = fmt(float(p["latest"] or 0)), fmt(float(p["cutoff"] or 0))
            reasons.append(
                (
                    f"{instrument.title} total {latest} is {cutoff} or less"
                    if p["flag_if"] == "<="
                    else f"{instrument.title} total {latest} is under {cutoff}"
                )
                + f" (rupture cutoff: {source}): worth a check-in."
            )
        elif finding.code == "reliable_drop":
            n = {key: float(value or 0) for key, value in p.items()}
            floor_note = (
                f"; the client's SD of {n['sd']:.1f} was raised to the floor of "
                f"{n['floor']:.1f}, 5% of the range (ours)"
                if p["floor"] is not None
                else ""
            )
            reasons.append(
                f"Total {fmt(n['latest'])} is {n['drop']:.1f} points below this client's own "
                f"running mean of {n['mean']:.1f} over {p['earlier']} earlier sessions, more "
                f"than the {n['threshold']:.1f} points that count as a reliable drop (1.96 x "
                f"sqrt(2) x SD {n['sd_used']:.1f}, Jacobson & Truax 1991 applied to the client's "
                f"own variability{floor_note})."
            )
    return {"reasons": reasons, "method": RUPTURE_METHOD}
