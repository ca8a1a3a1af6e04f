"""Expected trajectories and the not-on-track rule (shared/clinical/TRAJECTORIES.md).

Two models give the expected score at a session for a client's intake score:

* the **Alliance default** (ours), used until a practice has its own data:
  E(k) = I x (1 - 0.5 x min(ln k, ln 12) / ln 12), the log-session shape of Finch, Lambert &
  Schaalje (2001) reaching the "response" benchmark (a 50% reduction) at session 12, flat after;
* a **practice-fitted** mixed growth model (:func:`fit_practice_model`), blended toward the
  default while the practice has between ``min_episodes`` and ``full_weight_at`` episodes.

:func:`track_status` applies the rules of TRAJECTORIES.md to one new score and says, in plain
sentences that name each rule and its source, whether the client is on track. Only for
instruments where a higher score is worse (PHQ-9, GAD-7 and similar).

Numpy and statsmodels are imported only when a model is fitted, so that scoring code that imports
this module stays light.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal, Protocol

from .change import Z_CRITICAL, s_diff
from .errors import ReliableChangeUnavailable
from .model import Instrument, Number
from .registry import resolve

TrackLevel = Literal["red", "amber", "on track"]

# TRAJECTORIES.md, "Alliance default": 50% reduction reached at session 12, flat after (ours).
RESPONSE_SESSION = 12
_LN_RESPONSE = math.log(RESPONSE_SESSION)
# Practice-fitted curves: "Cap k at 20, flat after" (TRAJECTORIES.md).
FIT_SESSION_CAP = 20
# Saunders et al. (2019, J Affect Disord): some clients improve only after session 6, so lack of
# change alone does not raise red before it; session 6 is also where the "no reliable
# improvement yet" amber rule starts (TRAJECTORIES.md).
LATE_RESPONSE_SESSION = 6
# Schueller, Kwasny, Dear, Titov & Mohr (2015, Gen Hosp Psychiatry 37:470-475): PHQ-9
# non-response cut points in CBT, (week, score at or above which the client is off track).
# Latest week first: the cut point of the latest week reached applies.
SCHUELLER_CUT_POINTS: tuple[tuple[int, int], ...] = ((14, 9), (9, 13), (4, 17))
# One-sided normal quantiles for the fitted bands: red above the 90% band, amber above 75%.
Z_90 = NormalDist().inv_cdf(0.90)
Z_75 = NormalDist().inv_cdf(0.75)

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


def _check_session(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"session number must be an integer >= 1 (intake = 1), got {k!r}")


def _check_score(value: Number, what: str, inst: Instrument | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if inst is not None and not inst.total_min <= value <= inst.total_max:
        raise ValueError(
            f"{what} {value!r} is outside the {inst.id} range {inst.total_min}-{inst.total_max}"
        )
    return float(value)


def _fmt(x: float) -> str:
    """Scores as people write them: 18, 13.2 (one decimal unless whole)."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.1f}"


def expected_score(intake: Number, k: int) -> float:
    """Alliance default expected score at session ``k`` (intake = session 1), TRAJECTORIES.md.

    E(k) = I x (1 - 0.5 x min(ln k, ln 12) / ln 12) (ours): Finch et al. (2001) log-session
    shape, a 50% reduction ("response") at session 12, flat after.
    """
    _check_session(k)
    i = _check_score(intake, "intake")
    return i * (1.0 - 0.5 * min(math.log(k), _LN_RESPONSE) / _LN_RESPONSE)


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


# -- models ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """What a model expects at one session for one intake, with its two upper bands."""

    expected: float
    band_upper_red: float
    band_upper_amber: float
    red_text: str  # "the expected 13.2 + 6 (reliable-change threshold)"
    amber_text: str
    source: str  # cited at the end of each curve reason


class TrajectoryModel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def instrument_id(self) -> str | None: ...

    def expectation(self, intake: float, k: int, threshold: float) -> Expectation: ...


@dataclass(frozen=True)
class DefaultTrajectory:
    """The Alliance default curve; the same for every instrument (it scales with the intake)."""

    name: str = DEFAULT_MODEL_NAME
    method: str = DEFAULT_METHOD
    instrument_id: str | None = None

    def expectation(self, intake: float, k: int, threshold: float) -> Expectation:
        e = expected_score(intake, k)
        r = _fmt(threshold)
        return Expectation(
            expected=e,
            band_upper_red=e + threshold,
            band_upper_amber=e + threshold / 2,
            red_text=f"the expected {e:.1f} + {r} (reliable-change threshold)",
            amber_text=f"the expected {e:.1f} + {_fmt(threshold / 2)} (half the reliable-change "
            "threshold)",
            source="Alliance default curve, ours, after Finch et al. 2001",
        )


DEFAULT_MODEL = DefaultTrajectory()


def blend_weight(n_episodes: int, min_episodes: int = 200, full_weight_at: int = 500) -> float:
    """Weight of the practice-fitted curve (ours): 0 at ``min_episodes``, rising linearly to 1
    at ``full_weight_at`` (TRAJECTORIES.md: start blending at ~200, full at ~500)."""
    if full_weight_at <= min_episodes:
        return 1.0 if n_episodes >= min_episodes else 0.0
    w = (n_episodes - min_episodes) / (full_weight_at - min_episodes)
    return min(1.0, max(0.0, w))


@dataclass(frozen=True)
class FittedModel:
    """A practice's own mixed growth model (TRAJECTORIES.md, "Practice-fitted curves").

    score = b0 + b1 x Ic + b2 x Lc + b3 x Ic x Lc + b4 x Ic^2 + u0 + u1 x Lc + e, where
    Ic = intake - ``intake_centre`` and Lc = ln(min(k, 20)) - ``log_k_centre`` (ln k centred
    so that the optimiser is well conditioned; the curve is the same). (u0, u1) ~ N(0,
    ``cov_re``) per episode, e ~ N(0, ``scale``). Prediction SD at k for a new client:
    sqrt(z' cov_re z + scale), z = (1, Lc); fixed-effect uncertainty is ignored (ours).
    """

    instrument_id: str
    n_episodes: int
    n_observations: int
    fe_params: tuple[float, float, float, float, float]
    cov_re: tuple[tuple[float, float], tuple[float, float]]
    scale: float
    intake_centre: float
    log_k_centre: float
    intake_min: float
    intake_max: float
    min_episodes: int = 200
    full_weight_at: int = 500
    optimizer: str = ""
    fit_notes: tuple[str, ...] = ()

    @property
    def weight(self) -> float:
        """Share of the practice curve in predictions; the rest is the Alliance default."""
        return blend_weight(self.n_episodes, self.min_episodes, self.full_weight_at)

    @property
    def name(self) -> str:
        n = f"n = {self.n_episodes} episodes"
        if self.weight >= 1:
            return f"Practice-fitted mixed model ({n})"
        return (
            f"Practice-fitted mixed model blended with the Alliance default ({n}; "
            f"{self.weight:.0%} practice curve)"
        )

    @property
    def method(self) -> str:
        text = (
            "Mixed growth model fitted on this practice's closed episodes "
            f"({self.n_episodes} episodes with 3 or more scores after intake): score ~ intake x "
            "ln(session) + intake^2, random intercept and slope on ln(session) per episode "
            "(REML, statsmodels MixedLM), sessions capped at 20 (TRAJECTORIES.md). Red at or above "
            "the one-sided 90% prediction band, amber above the 75% band."
        )
        if self.weight < 1:
            text += (
                f" Until {self.full_weight_at} episodes the curve and bands are blended linearly "
                f"with the Alliance default ({self.weight:.0%} practice curve) (ours)."
            )
        return text

    def predict(self, intake: float, k: int) -> tuple[float, float]:
        """Unblended (mean, prediction SD) at session k >= 2. Intakes outside the range seen in
        the fit are clamped to it (ours: the quadratic term must not be extrapolated)."""
        _check_session(k)
        ic = min(max(intake, self.intake_min), self.intake_max) - self.intake_centre
        lc = math.log(min(k, FIT_SESSION_CAP)) - self.log_k_centre
        b = self.fe_params
        mean = b[0] + b[1] * ic + b[2] * lc + b[3] * ic * lc + b[4] * ic * ic
        (g00, g01), (_, g11) = self.cov_re
        var = g00 + 2 * g01 * lc + g11 * lc * lc + self.scale
        return mean, math.sqrt(max(var, 0.0))

    def expectation(self, intake: float, k: int, threshold: float) -> Expectation:
        if k == 1:  # the intake itself: nothing to predict
            return DEFAULT_MODEL.expectation(intake, k, threshold)
        mean, sd = self.predict(intake, k)
        w = self.weight
        default = expected_score(intake, k)
        expected = w * mean + (1 - w) * default
        red = expected + w * Z_90 * sd + (1 - w) * threshold
        amber = expected + w * Z_75 * sd + (1 - w) * threshold / 2
        if w >= 1:
            label, source = "the practice's", f"practice-fitted mixed model, n = {self.n_episodes}"
        else:
            label = f"the blended ({w:.0%} practice, {1 - w:.0%} Alliance default)"
            source = (
                f"practice-fitted mixed model, n = {self.n_episodes}, blended with the Alliance "
                "default (ours)"
            )
        return Expectation(
            expected=expected,
            band_upper_red=red,
            band_upper_amber=amber,
            red_text=f"{label} 90% band of {red:.1f} (expected {expected:.1f})",
            amber_text=f"{label} 75% band of {amber:.1f} (expected {expected:.1f})",
            source=source,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready parameters, for storing a periodic fit."""
        return {
            "instrument_id": self.instrument_id,
            "n_episodes": self.n_episodes,
            "n_observations": self.n_observations,
            "fe_params": list(self.fe_params),
            "cov_re": [list(row) for row in self.cov_re],
            "scale": self.scale,
            "intake_centre": self.intake_centre,
            "log_k_centre": self.log_k_centre,
            "intake_min": self.intake_min,
            "intake_max": self.intake_max,
            "min_episodes": self.min_episodes,
            "full_weight_at": self.full_weight_at,
            "optimizer": self.optimizer,
            "fit_notes": list(self.fit_notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FittedModel:
        fe = tuple(float(x) for x in data["fe_params"])
        cov = [[float(x) for x in row] for row in data["cov_re"]]
        if len(fe) != 5 or len(cov) != 2 or any(len(row) != 2 for row in cov):
            raise ValueError("fe_params needs 5 values and cov_re 2 x 2")
        return cls(
            instrument_id=str(data["instrument_id"]),
            n_episodes=int(data["n_episodes"]),
            n_observations=int(data["n_observations"]),
            fe_params=(fe[0], fe[1], fe[2], fe[3], fe[4]),
            cov_re=((cov[0][0], cov[0][1]), (cov[1][0], cov[1][1])),
            scale=float(data["scale"]),
            intake_centre=float(data["intake_centre"]),
            log_k_centre=float(data["log_k_centre"]),
            intake_min=float(data["intake_min"]),
            intake_max=float(data["intake_max"]),
            min_episodes=int(data.get("min_episodes", 200)),
            full_weight_at=int(data.get("full_weight_at", 500)),
            optimizer=str(data.get("optimizer", "")),
            fit_notes=tuple(str(x) for x in data.get("fit_notes", ())),
        )


# -- the rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackStatus:
    """Whether one new score is on track, and why, in sentences for the clinician.

    ``rules`` lists machine-readable codes of the rules that fired or shaped the result:
    ``curve_red``, ``reliable_deterioration``, ``schueller``, ``curve_amber``,
    ``no_reliable_improvement``, ``late_response_cap`` (red lowered to amber, Saunders 2019),
    ``intake_below_caseness``.
    """

    level: TrackLevel
    expected: float
    band_upper_red: float
    band_upper_amber: float
    reasons: tuple[str, ...]
    model_name: str
    method: str
    instrument_id: str
    intake: float
    session: int
    latest: float
    weeks_since_intake: float | None
    threshold: float  # R, in points
    threshold_source: str
    caseness_cutoff: float
    rules: tuple[str, ...] = field(default=())


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
    _check_session(k)
    i = _check_score(intake, "intake", inst)
    s = _check_score(latest, "latest score", inst)
    if weeks_since_intake is not None:
        weeks_since_intake = _check_score(weeks_since_intake, "weeks_since_intake")
        if weeks_since_intake < 0:
            raise ValueError("weeks_since_intake must not be negative")
    model = model or DEFAULT_MODEL
    if model.instrument_id is not None and model.instrument_id != inst.id:
        raise ValueError(f"the model was fitted for {model.instrument_id}, not {inst.id}")
    r, r_source = reliable_change_threshold(inst)
    c = float(cutoff.value)
    exp = model.expectation(i, k, r)
    at = f"{_fmt(s)} at session {k}"
    intake_text = f"an intake of {_fmt(i)}"

    red: list[str] = []
    amber: list[str] = []
    notes: list[str] = []
    rules: list[str] = []
    # Red that rests on the curve or on Schueller's cut points, not on reliable deterioration.
    curve_red: list[str] = []

    if s >= i + r:
        # Reliable deterioration: applies at every intake, including below caseness.
        red.append(
            f"Score {at} is {_fmt(s - i)} points above {intake_text}, at least the "
            f"reliable-change threshold of {_fmt(r)}: reliable deterioration (threshold source: "
            f"{r_source})."
        )
        rules.append("reliable_deterioration")

    below_caseness = not cutoff.is_clinical(i)
    if below_caseness:
        notes.append(
            f"Intake {_fmt(i)} is below the caseness cutoff of {_fmt(c)}, so only the "
            "reliable-deterioration rule applies (TRAJECTORIES.md)."
        )
        rules.append("intake_below_caseness")
    else:
        if k >= 2 and s >= exp.band_upper_red:
            curve_red.append(
                f"Score {at} is at or above {exp.red_text} for {intake_text}: not on track "
                f"({exp.source})."
            )
            rules.append("curve_red")
        week = weeks_since_intake if weeks_since_intake is not None else float(k - 1)
        if weekly and _is_phq9(inst):
            found = _schueller_cut(week)
            if found is not None and s >= found[1]:
                start, cut = found
                when = (
                    f"week {_fmt(week)} since intake"
                    if weeks_since_intake is not None
                    else f"session {k} (taken as week {_fmt(week)} since intake)"
                )
                curve_red.append(
                    f"PHQ-9 score {_fmt(s)} at {when} is at or above the "
                    f"non-response cut point of {cut} that applies from week {start} "
                    "(Schueller et al. 2015; weekly sessions)."
                )
                rules.append("schueller")
        if k >= 3 and s > exp.band_upper_amber:
            amber.append(
                f"Score {at} is above {exp.amber_text} for {intake_text}: at risk ({exp.source})."
            )
            rules.append("curve_amber")
        if k >= LATE_RESPONSE_SESSION and i - s < r:
            change = (
                f"only {_fmt(i - s)} points below {intake_text}, less than"
                if s < i
                else f"no lower than {intake_text}, short of"
            )
            amber.append(
                f"Score {at} is {change} the reliable-change threshold of {_fmt(r)}: no reliable "
                f"improvement by session "
                f"{LATE_RESPONSE_SESSION} (TRAJECTORIES.md; Saunders et al. 2019)."
            )
            rules.append("no_reliable_improvement")

    level: TrackLevel
    if red:
        level = "red"
        red.extend(curve_red)
    elif curve_red and k < LATE_RESPONSE_SESSION and s <= i:
        # Saunders et al. (2019): some clients improve only after session 6. A score no higher
        # than intake before session 6 is lack of change (ours: "lack of change" = not above
        # intake), which alone never makes red; it stays amber.
        level = "amber"
        amber = [*curve_red, *amber]
        amber.append(
            f"Lowered to at risk: before session {LATE_RESPONSE_SESSION} a "
            f"score no higher than intake is lack of change, and some clients improve only "
            f"after session {LATE_RESPONSE_SESSION} (Saunders et al. 2019)."
        )
        rules.append("late_response_cap")
    elif curve_red:
        level = "red"
        red = curve_red
    elif amber:
        level = "amber"
    else:
        level = "on track"

    if level == "red":
        reasons = [*red, *amber, *notes]
    elif level == "amber":
        reasons = [*amber, *notes]
    else:
        reasons = list(notes)
        if not below_caseness:
            reasons.append(
                f"Score {at} is within the expected range for {intake_text} "
                f"({exp.expected:.1f} expected; {exp.source})."
            )
    return TrackStatus(
        level=level,
        expected=exp.expected,
        band_upper_red=exp.band_upper_red,
        band_upper_amber=exp.band_upper_amber,
        reasons=tuple(reasons),
        model_name=model.name,
        method=f"{model.method} {RULES_NOTE}",
        instrument_id=inst.id,
        intake=i,
        session=k,
        latest=s,
        weeks_since_intake=weeks_since_intake,
        threshold=r,
        threshold_source=r_source,
        caseness_cutoff=c,
        rules=tuple(rules),
    )


# -- fitting a practice's own curves --------------------------------------------------------


class PracticeFitWarning(UserWarning):
    """A practice-curve fit was attempted and failed; the default curve stays in use."""


@dataclass(frozen=True)
class PracticeFitAttempt:
    """The outcome of a fit: a model, or the reason there is none."""

    model: FittedModel | None
    reason: str | None
    n_eligible: int  # episodes with an intake and 3 or more post-intake scores
    n_skipped: int


def _episode_rows(
    history: Iterable[Sequence[Number]], index: int
) -> tuple[float | None, list[tuple[int, float]]]:
    intake: float | None = None
    post: list[tuple[int, float]] = []
    for pair in history:
        if len(pair) != 2:
            raise ValueError(f"episode {index}: each entry must be (session, score), got {pair!r}")
        k, score = pair
        if isinstance(k, float) and k.is_integer():
            k = int(k)
        if not isinstance(k, int):
            raise ValueError(f"episode {index}: session number must be an integer, got {k!r}")
        _check_session(k)
        value = _check_score(score, f"episode {index} score")
        if k == 1:
            if intake is not None:
                raise ValueError(f"episode {index}: two scores at session 1 (intake)")
            intake = value
        else:
            post.append((k, value))
    return intake, post


def attempt_practice_fit(
    episodes: Iterable[Iterable[Sequence[Number]]],
    *,
    instrument: str | Instrument,
    min_episodes: int = 200,
    full_weight_at: int = 500,
) -> PracticeFitAttempt:
    """Fit the practice curve; never raises for a failed fit (``reason`` says why).

    Raises ValueError only for malformed input (a session number that is not an integer >= 1,
    a score that is not a finite number, two intakes in one episode, bad arguments).
    """
    inst = resolve(instrument)
    if inst.direction != "higher_is_worse":
        raise ValueError(f"{inst.id}: practice curves are only for higher-is-worse instruments")
    if min_episodes < 1 or full_weight_at < min_episodes:
        raise ValueError("need 1 <= min_episodes <= full_weight_at")
    groups: list[int] = []
    episode_intakes: list[float] = []
    intakes: list[float] = []
    sessions: list[int] = []
    scores: list[float] = []
    n_eligible = n_skipped = 0
    for index, history in enumerate(episodes):
        intake, post = _episode_rows(history, index)
        # TRAJECTORIES.md: only episodes with 3 or more post-intake scores count.
        if intake is None or len(post) < 3:
            n_skipped += 1
            continue
        for k, value in post:
            groups.append(n_eligible)
            intakes.append(intake)
            sessions.append(k)
            scores.append(value)
        episode_intakes.append(intake)
        n_eligible += 1
    if n_eligible < min_episodes:
        return PracticeFitAttempt(
            None,
            f"{n_eligible} episodes with an intake and 3 or more later scores; the practice "
            f"curve needs {min_episodes}",
            n_eligible,
            n_skipped,
        )
    try:
        model = _fit(
            inst.id,
            groups,
            episode_intakes,
            intakes,
            sessions,
            scores,
            min_episodes,
            full_weight_at,
        )
    except _FitFailed as exc:
        return PracticeFitAttempt(None, str(exc), n_eligible, n_skipped)
    return PracticeFitAttempt(model, None, n_eligible, n_skipped)


def fit_practice_model(
    episodes: Iterable[Iterable[Sequence[Number]]],
    *,
    instrument: str | Instrument,
    min_episodes: int = 200,
    full_weight_at: int = 500,
) -> FittedModel | None:
    """The practice's fitted curve, or None (too few episodes, or the fit failed).

    ``episodes``: one score history per closed episode, ``[(session, score), ...]`` with the
    intake at session 1. A failed fit emits a :class:`PracticeFitWarning` naming the reason
    (too few episodes is the normal state of a new practice and is silent); use
    :func:`attempt_practice_fit` to get the reason as a value.
    """
    attempt = attempt_practice_fit(
        episodes, instrument=instrument, min_episodes=min_episodes, full_weight_at=full_weight_at
    )
    if attempt.model is None and attempt.n_eligible >= min_episodes:
        warnings.warn(
            f"practice curve not fitted: {attempt.reason}", PracticeFitWarning, stacklevel=2
        )
    return attempt.model


class _FitFailed(Exception):
    pass


def _fit(
    instrument_id: str,
    groups: list[int],
    episode_intakes: list[float],
    intakes: list[float],
    sessions: list[int],
    scores: list[float],
    min_episodes: int,
    full_weight_at: int,
) -> FittedModel:
    import numpy as np
    from statsmodels.regression.mixed_linear_model import MixedLM

    intake = np.asarray(intakes, dtype=float)
    y = np.asarray(scores, dtype=float)
    log_k = np.log(np.minimum(np.asarray(sessions, dtype=float), FIT_SESSION_CAP))
    # Centre on per-episode intakes (not per-row), so that the centre is the average client.
    per_episode_intake = np.asarray(episode_intakes, dtype=float)
    intake_centre = float(per_episode_intake.mean())
    log_k_centre = float(log_k.mean())
    ic = intake - intake_centre
    lc = log_k - log_k_centre
    exog = np.column_stack([np.ones_like(y), ic, lc, ic * lc, ic * ic])
    exog_re = np.column_stack([np.ones_like(y), lc])
    if np.linalg.matrix_rank(exog) < exog.shape[1]:
        raise _FitFailed("the intake scores or session numbers do not vary enough to fit the curve")
    notes: list[str] = []
    result = None
    optimizer = ""
    # bfgs is the fastest that converges here (about 2-3 s for 500 episodes x 11 scores);
    # lbfgs is the fallback statsmodels itself suggests.
    for method in ("bfgs", "lbfgs"):
        # Recording warnings swaps a process-wide filter: fine in the worker's fit job, not
        # meant to run in many threads at once.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fitted = MixedLM(y, exog, groups=np.asarray(groups), exog_re=exog_re).fit(
                    reml=True, method=[method]
                )
            except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
                notes.append(f"{method}: {exc}")
                continue
        if fitted.converged:
            result, optimizer = fitted, method
            notes.extend(f"{method}: {w.message}" for w in caught)
            break
        notes.append(f"{method}: did not converge")
    if result is None:
        raise _FitFailed("the mixed model did not converge (" + "; ".join(notes) + ")")
    fe = np.asarray(result.fe_params, dtype=float)
    cov = np.asarray(result.cov_re, dtype=float)
    scale = float(result.scale)
    if not (np.all(np.isfinite(fe)) and np.all(np.isfinite(cov)) and math.isfinite(scale)):
        raise _FitFailed("the mixed model gave non-finite estimates")
    if scale <= 0 or np.linalg.eigvalsh(cov).min() < -1e-8:
        raise _FitFailed("the mixed model gave an invalid variance estimate")
    return FittedModel(
        instrument_id=instrument_id,
        n_episodes=len(episode_intakes),
        n_observations=len(y),
        fe_params=(float(fe[0]), float(fe[1]), float(fe[2]), float(fe[3]), float(fe[4])),
        cov_re=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
        scale=scale,
        intake_centre=intake_centre,
        log_k_centre=log_k_centre,
        intake_min=float(per_episode_intake.min()),
        intake_max=float(per_episode_intake.max()),
        min_episodes=min_episodes,
        full_weight_at=full_weight_at,
        optimizer=optimizer,
        fit_notes=tuple(notes),
    )
