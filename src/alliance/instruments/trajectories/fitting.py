"""Fitting a practice's own expected-trajectory curves (shared/clinical/TRAJECTORIES.md,
"Practice-fitted curves"): a mixed growth model on the practice's closed episodes.

Numpy and statsmodels are imported only when a model is fitted, so that scoring code that imports
the trajectories stays light.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model import Instrument, Number
from ..registry import resolve
from .model import FIT_SESSION_CAP, FittedModel, check_score, check_session


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
        check_session(k)
        value = check_score(score, f"episode {index} score")
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
