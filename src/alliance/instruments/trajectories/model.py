"""The data of expected trajectories (shared/clinical/TRAJECTORIES.md): the two models that give
the expected score at a session for a client's intake score, and the result of the not-on-track
rule.

* the **Alliance default** (ours), used until a practice has its own data:
  E(k) = I x (1 - 0.5 x min(ln k, ln 12) / ln 12), the log-session shape of Finch, Lambert &
  Schaalje (2001) reaching the "response" benchmark (a 50% reduction) at session 12, flat after;
* a **practice-fitted** mixed growth model (:class:`FittedModel`, fitted in
  :mod:`.fitting`), blended toward the default while the practice has between
  ``min_episodes`` and ``full_weight_at`` episodes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal, Protocol

from ..findings import Finding
from ..model import Instrument, Number

TrackLevel = Literal["red", "amber", "on track"]

# TRAJECTORIES.md, "Alliance default": 50% reduction reached at session 12, flat after (ours).
RESPONSE_SESSION = 12
_LN_RESPONSE = math.log(RESPONSE_SESSION)
# Practice-fitted curves: "Cap k at 20, flat after" (TRAJECTORIES.md).
FIT_SESSION_CAP = 20
# One-sided normal quantiles for the fitted bands: red above the 90% band, amber above 75%.
Z_90 = NormalDist().inv_cdf(0.90)
Z_75 = NormalDist().inv_cdf(0.75)

DEFAULT_MODEL_NAME = "Alliance default (log-session curve, TRAJECTORIES.md)"


def check_session(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"session number must be an integer >= 1 (intake = 1), got {k!r}")


def check_score(value: Number, what: str, inst: Instrument | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if inst is not None and not inst.total_min <= value <= inst.total_max:
        raise ValueError(
            f"{what} {value!r} is outside the {inst.id} range {inst.total_min}-{inst.total_max}"
        )
    return float(value)


def expected_score(intake: Number, k: int) -> float:
    """Alliance default expected score at session ``k`` (intake = session 1), TRAJECTORIES.md.

    E(k) = I x (1 - 0.5 x min(ln k, ln 12) / ln 12) (ours): Finch et al. (2001) log-session
    shape, a 50% reduction ("response") at session 12, flat after.
    """
    check_session(k)
    i = check_score(intake, "intake")
    return i * (1.0 - 0.5 * min(math.log(k), _LN_RESPONSE) / _LN_RESPONSE)


# -- models ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """What a model expects at one session for one intake, with its two upper bands."""

    expected: float
    band_upper_red: float
    band_upper_amber: float


class TrajectoryModel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def instrument_id(self) -> str | None: ...

    def expectation(self, intake: float, k: int, threshold: float) -> Expectation: ...

    def method_finding(self) -> Finding:
        """Which model gave the expected course, as a ``method_*`` finding."""
        ...


@dataclass(frozen=True)
class DefaultTrajectory:
    """The Alliance default curve; the same for every instrument (it scales with the intake)."""

    name: str = DEFAULT_MODEL_NAME
    instrument_id: str | None = None

    def expectation(self, intake: float, k: int, threshold: float) -> Expectation:
        e = expected_score(intake, k)
        return Expectation(
            expected=e, band_upper_red=e + threshold, band_upper_amber=e + threshold / 2
        )

    def method_finding(self) -> Finding:
        return Finding("method_default_curve")


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

    def predict(self, intake: float, k: int) -> tuple[float, float]:
        """Unblended (mean, prediction SD) at session k >= 2. Intakes outside the range seen in
        the fit are clamped to it (ours: the quadratic term must not be extrapolated)."""
        check_session(k)
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
        return Expectation(expected=expected, band_upper_red=red, band_upper_amber=amber)

    def method_finding(self) -> Finding:
        return Finding(
            "method_fitted_curve",
            {
                "episodes": self.n_episodes,
                "weight": round(self.weight, 4),
                "full_weight_at": self.full_weight_at,
            },
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


@dataclass(frozen=True)
class TrackStatus:
    """Whether one new score is on track, and why, as findings (codes with their numbers)
    that the web layer puts into words.

    ``findings`` holds the rules that fired or shaped the result, in the order they were
    applied: ``reliable_deterioration``, ``intake_below_caseness``, ``curve_red``,
    ``schueller``, ``curve_amber``, ``no_reliable_improvement``, ``late_response_cap`` (red
    lowered to amber, Saunders 2019). ``method`` says which model gave the expected course.
    """

    level: TrackLevel
    expected: float
    band_upper_red: float
    band_upper_amber: float
    findings: tuple[Finding, ...]
    method: Finding
    instrument_id: str
    intake: float
    session: int
    latest: float
    weeks_since_intake: float | None
    threshold: float  # R, in points
    threshold_source: str
    caseness_cutoff: float

    @property
    def rules(self) -> tuple[str, ...]:
        """The codes of :attr:`findings`, in the same order."""
        return tuple(finding.code for finding in self.findings)
