"""The not-on-track rule (shared/clinical/TRAJECTORIES.md) and the reliable-change threshold it
rests on.

:func:`track_status` applies the rules of TRAJECTORIES.md to one new score and says whether the
client is on track, with each rule that fired as a :class:`~alliance.instruments.findings.Finding`
(a code and its numbers; the web layer words them). Only for instruments where a higher score is
worse (PHQ-9, GAD-7 and similar).
"""

from __future__ import annotations

from ..change import Z_CRITICAL, s_diff
from ..errors import ReliableChangeUnavailable
from ..findings import Finding
from ..model import Instrument, Number
from ..registry import resolve
from .model import (
    DEFAULT_MODEL,
    TrackLevel,
    TrackStatus,
    TrajectoryModel,
    check_score,
    check_session,
)

# Saunders et al. (2019, J Affect Disord): some clients improve only after session 6, so lack of
# change alone does not raise red before it; session 6 is also where the "no reliable
# improvement yet" amber rule starts (TRAJECTORIES.md).
LATE_RESPONSE_SESSION = 6
# Schueller, Kwasny, Dear, Titov & Mohr (2015, Gen Hosp Psychiatry 37:470-475): PHQ-9
# non-response cut points in CBT, (week, score at or above which the client is off track).
# Latest week first: the cut point of the latest week reached applies.
SCHUELLER_CUT_POINTS: tuple[tuple[int, int], ...] = ((14, 9), (9, 13), (4, 17))


def reliable_change_threshold(instrument: str | Instrument) -> tuple[float, str]:
    """R in points and where it comes from: the published threshold when the definition has one
    (PHQ-9 6, GAD-7 4: NHS Talking Therapies), else Jacobson & Truax (1991) from r and norm SD:
    1.96 x sqrt(2) x SD x sqrt(1 - r)."""
    inst = resolve(instrument)
    spec = inst.reliable_change
    if spec is not None:
        if spec.method == "published_threshold" and spec.threshold_points is not None:
            return float(spec.threshold_points), spec.source
        if spec.reliability is not None and spec.norm_sd is not None:
            return (
                Z_CRITICAL * s_diff(spec.reliability, spec.norm_sd),
                f"Jacobson & Truax (1991) from r = {spec.reliability} and SD = {spec.norm_sd}",
            )
    raise ReliableChangeUnavailable(
        f"{inst.id} has no reliable-change threshold or norms, so it has no expected trajectory"
    )


def _is_phq9(inst: Instrument) -> bool:
    return inst.id == "phq-9" or (inst.adopted_from or "").startswith("phq-9@")


def _schueller_cut(week: float) -> tuple[int, int] | None:
    for start, cut in SCHUELLER_CUT_POINTS:
        if week >= start:
            return start, cut
    return None


def track_status(
    instrument: str | Instrument,
    intake: Number,
    k: int,
    latest: Number,
    *,
    weeks_since_intake: float | None = None,
    weekly: bool = True,
    model: TrajectoryModel | None = None,
) -> TrackStatus:
    """Apply the not-on-track rules of TRAJECTORIES.md to the score ``latest`` at session ``k``.

    ``intake`` is the session-1 score. ``model`` is the Alliance default unless a
    :class:`FittedModel` for this instrument is given; the fitted curve replaces E(k) and its
    two bands, every other rule stays. The Schueller et al. (2015) PHQ-9 cut points apply only
    when ``weekly`` (sessions roughly weekly, the caller's judgement); "week 4" is read as 4 or
    more weeks since intake, and the cut point of the latest week reached applies (ours). Without
    ``weeks_since_intake`` a weekly client is taken to be k - 1 weeks from intake.

    Refuses (ValueError) instruments where higher is better, and ones with no reliable-change
    threshold (:class:`ReliableChangeUnavailable`) or no caseness cutoff.
    """
    inst = resolve(instrument)
    if inst.direction != "higher_is_worse":
        raise ValueError(
            f"{inst.id}: expected trajectories are defined only for instruments where a higher "
            "score is worse (PHQ-9, GAD-7 and similar)"
        )
    cutoff = inst.clinical_cutoff
    if cutoff is None or cutoff.clinical_if != ">=":
        raise ValueError(f"{inst.id}: needs a caseness cutoff ('>=') for trajectory rules")
    check_session(k)
    i = check_score(intake, "intake", inst)
    s = check_score(latest, "latest score", inst)
    if weeks_since_intake is not None:
        weeks_since_intake = check_score(weeks_since_intake, "weeks_since_intake")
        if weeks_since_intake < 0:
            raise ValueError("weeks_since_intake must not be negative")
    model = model or DEFAULT_MODEL
    if model.instrument_id is not None and model.instrument_id != inst.id:
        raise ValueError(f"the model was fitted for {model.instrument_id}, not {inst.id}")
    r, r_source = reliable_change_threshold(inst)
    c = float(cutoff.value)
    exp = model.expectation(i, k, r)
    at = {"latest": s, "session": k, "intake": i}

    red: list[Finding] = []
    amber: list[Finding] = []
    notes: list[Finding] = []
    # Red that rests on the curve or on Schueller's cut points, not on reliable deterioration.
    curve_red: list[Finding] = []

    if s >= i + r:
        # Reliable deterioration: applies at every intake, including below caseness.
        red.append(Finding("reliable_deterioration", {**at, "threshold": r}))

    below_caseness = not cutoff.is_clinical(i)
    if below_caseness:
        notes.append(Finding("intake_below_caseness", {"intake": i, "cutoff": c}))
    else:
        if k >= 2 and s >= exp.band_upper_red:
            curve_red.append(
                Finding("curve_red", {**at, "expected": exp.expected, "band": exp.band_upper_red})
            )
        week = weeks_since_intake if weeks_since_intake is not None else float(k - 1)
        if weekly and _is_phq9(inst):
            found = _schueller_cut(week)
            if found is not None and s >= found[1]:
                start, cut = found
                curve_red.append(
                    Finding(
                        "schueller", {"latest": s, "week": week, "cut": cut, "from_week": start}
                    )
                )
        if k >= 3 and s > exp.band_upper_amber:
            amber.append(
                Finding(
                    "curve_amber", {**at, "expected": exp.expected, "band": exp.band_upper_amber}
                )
            )
        if k >= LATE_RESPONSE_SESSION and i - s < r:
            amber.append(
                Finding(
                    "no_reliable_improvement",
                    {**at, "threshold": r, "by_session": LATE_RESPONSE_SESSION},
                )
            )

    level: TrackLevel
    late_cap: list[Finding] = []
    if red:
        level = "red"
    elif curve_red and k < LATE_RESPONSE_SESSION and s <= i:
        # Saunders et al. (2019): some clients improve only after session 6. A score no higher
        # than intake before session 6 is lack of change (ours: "lack of change" = not above
        # intake), which alone never makes red; it stays amber.
        level = "amber"
        late_cap.append(Finding("late_response_cap", {"by_session": LATE_RESPONSE_SESSION}))
    elif curve_red:
        level = "red"
    elif amber:
        level = "amber"
    else:
        level = "on track"

    return TrackStatus(
        level=level,
        expected=exp.expected,
        band_upper_red=exp.band_upper_red,
        band_upper_amber=exp.band_upper_amber,
        findings=(*red, *notes, *curve_red, *amber, *late_cap),
        method=model.method_finding(),
        instrument_id=inst.id,
        intake=i,
        session=k,
        latest=s,
        weeks_since_intake=weeks_since_intake,
        threshold=r,
        threshold_source=r_source,
        caseness_cutoff=c,
    )
