"""Expected trajectories and the not-on-track rule (shared/clinical/TRAJECTORIES.md).

Every rule is checked on a scripted score that fires it and on a near-miss twin that must not.
Expected values are typed here from the formula, not read back from the module.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

from alliance.instruments import ReliableChangeUnavailable, get_instrument
from alliance.instruments.findings import Finding
from alliance.instruments.model import ReliableChangeSpec
from alliance.instruments.trajectories.fitting import (
    PracticeFitWarning,
    attempt_practice_fit,
    fit_practice_model,
)
from alliance.instruments.trajectories.model import (
    Z_75,
    Z_90,
    FittedModel,
    blend_weight,
    expected_score,
)
from alliance.instruments.trajectories.rules import reliable_change_threshold, track_status

# E(k) for an intake of 20, by hand: 20 x (1 - 0.5 x ln k / ln 12), flat from session 12.
E20 = {
    1: 20.0,
    2: 17.210570543,  # ln 2 / ln 12 = 0.278943
    3: 15.578858913,
    5: 13.523145376,
    6: 12.789429457,  # ln 6 / ln 12 = 0.721057
    8: 11.631711630,
    12: 10.0,
    20: 10.0,
}


# -- the default curve ----------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 6, 12, 20])
def test_expected_score_for_intake_20(k: int) -> None:
    assert expected_score(20, k) == pytest.approx(E20[k], abs=1e-8)


def test_expected_score_is_flat_after_session_12_and_scales_with_intake() -> None:
    assert expected_score(27, 13) == expected_score(27, 40) == 13.5
    assert expected_score(10, 6) == pytest.approx(E20[6] / 2)


@pytest.mark.parametrize("k", [0, -1, 2.0, True])
def test_session_number_must_be_a_positive_integer(k: object) -> None:
    with pytest.raises(ValueError, match="session number"):
        expected_score(20, k)  # type: ignore[arg-type]


def test_threshold_is_the_published_one_for_phq9_and_gad7() -> None:
    assert reliable_change_threshold("phq-9")[0] == 6
    assert reliable_change_threshold("gad-7")[0] == 4
    assert "NHS Talking Therapies" in reliable_change_threshold("phq-9")[1]


def test_threshold_falls_back_to_jacobson_truax_from_r_and_sd() -> None:
    phq9 = get_instrument("phq-9")
    jt = dataclasses.replace(
        phq9,
        reliable_change=ReliableChangeSpec("jacobson_truax", None, 0.84, 5.0, "test norms"),
    )
    r, source = reliable_change_threshold(jt)
    assert r == pytest.approx(1.96 * math.sqrt(2) * 5.0 * 0.4)  # 5.5437
    assert "Jacobson & Truax" in source
    # ...and it is the R the rule uses: intake 20 + 5.5437 is reliable deterioration.
    assert track_status(jt, 20, 8, 25.55).rules[0] == "reliable_deterioration"
    assert "reliable_deterioration" not in track_status(jt, 20, 8, 25.54).rules


# -- red ------------------------------------------------------------------------------------


def test_red_at_expected_plus_r_and_not_just_below() -> None:
    # Exactly on the band (E(8) itself is checked above); weekly=False keeps Schueller's
    # week-4 cut point (17) out of it.
    band = expected_score(20, 8) + 6  # 17.63
    assert band == pytest.approx(E20[8] + 6)
    status = track_status("phq-9", 20, 8, band, weekly=False)
    assert status.level == "red"
    assert status.rules[0] == "curve_red"
    assert status.band_upper_red == pytest.approx(band)
    assert status.expected == pytest.approx(E20[8])
    twin = track_status("phq-9", 20, 8, band - 0.01, weekly=False)
    assert twin.level == "amber"  # above E + R/2 and no reliable improvement by session 6
    assert "curve_red" not in twin.rules


def test_red_from_the_curve_applies_from_session_2() -> None:
    band = expected_score(20, 2) + 6  # 23.21: above intake, so worsening, not lack of change
    status = track_status("phq-9", 20, 2, band)
    assert status.level == "red"
    curve = status.findings[0]
    assert curve.code == "curve_red"
    assert curve.params == pytest.approx(
        {"latest": band, "session": 2, "intake": 20, "expected": E20[2], "band": band}
    )
    assert status.method == Finding("method_default_curve")
    assert track_status("phq-9", 20, 2, band - 0.01).level == "on track"


def test_reliable_deterioration_at_exactly_intake_plus_r() -> None:
    status = track_status("phq-9", 20, 2, 26)
    assert status.level == "red"
    assert status.rules[0] == "reliable_deterioration"
    assert status.findings[0].params == {"latest": 26, "session": 2, "intake": 20, "threshold": 6}
    twin = track_status("phq-9", 20, 2, 25)  # still red from the curve (>= 23.21) ...
    assert twin.level == "red"
    assert "reliable_deterioration" not in twin.rules  # ... but not reliable deterioration


def test_reliable_deterioration_on_gad7_uses_4_points() -> None:
    assert track_status("gad-7", 10, 2, 14).rules[0] == "reliable_deterioration"
    assert "reliable_deterioration" not in track_status("gad-7", 10, 2, 13).rules


# Schueller et al. (2015): >= 17 at week 4, >= 13 at week 9, >= 9 at week 14.
@pytest.mark.parametrize(
    ("intake", "k", "cut"),
    [
        (16, 5, 17),  # weekly: session 5 = week 4
        (16, 10, 13),  # session 10 = week 9
        (14, 15, 9),  # session 15 = week 14
    ],
)
def test_schueller_cut_points_fire_at_the_cut_and_not_one_below(
    intake: int, k: int, cut: int
) -> None:
    at_cut = track_status("phq-9", intake, k, cut)
    assert "schueller" in at_cut.rules
    assert at_cut.level == "red"
    schueller = next(f for f in at_cut.findings if f.code == "schueller")
    assert schueller.params["cut"] == cut and schueller.params["week"] == k - 1
    below = track_status("phq-9", intake, k, cut - 1)
    assert "schueller" not in below.rules


def test_schueller_is_decisive_at_week_9_and_14() -> None:
    # Intake 16, session 10: E + R = 14.59, so 13 is red only through Schueller's cut point.
    assert track_status("phq-9", 16, 10, 13).rules == (
        "schueller",
        "curve_amber",
        "no_reliable_improvement",
    )
    assert track_status("phq-9", 16, 10, 12).level == "amber"
    # Intake 14, session 15: E + R = 13; 9 is red through the week-14 cut point; 8 is a
    # reliable improvement of 6 and under E + R/2 = 10, so on track.
    assert track_status("phq-9", 14, 15, 9).level == "red"
    assert track_status("phq-9", 14, 15, 8).level == "on track"


def test_schueller_applies_at_or_after_each_week_using_weeks_since_intake() -> None:
    def fires(week: float, score: int) -> bool:
        return "schueller" in track_status("phq-9", 16, 12, score, weeks_since_intake=week).rules

    assert not fires(3.9, 27)  # before week 4: no cut point
    assert fires(4, 17) and fires(8.9, 17) and not fires(8.9, 16)
    assert fires(9, 13) and not fires(9, 12)
    assert fires(14, 9) and fires(30, 9) and not fires(30, 8)
    status = track_status("phq-9", 16, 12, 13, weeks_since_intake=9)
    schueller = next(f for f in status.findings if f.code == "schueller")
    assert schueller.params == {"latest": 13, "week": 9, "cut": 13, "from_week": 9}


def test_schueller_needs_weekly_sessions_and_phq9() -> None:
    assert "schueller" not in track_status("phq-9", 16, 10, 13, weekly=False).rules
    assert track_status("phq-9", 16, 10, 13, weekly=False).level == "amber"
    assert "schueller" not in track_status("gad-7", 16, 10, 13).rules


# -- amber ----------------------------------------------------------------------------------


def test_amber_above_expected_plus_half_r_from_session_3() -> None:
    band = expected_score(20, 3) + 3  # 18.58
    assert band == pytest.approx(E20[3] + 3)
    status = track_status("phq-9", 20, 3, band + 0.001)
    assert status.level == "amber"
    assert status.rules == ("curve_amber",)
    assert status.band_upper_amber == pytest.approx(band)
    assert status.findings[0].params["band"] == pytest.approx(band)
    assert track_status("phq-9", 20, 3, band).level == "on track"  # strictly above
    # At session 2 only red applies: 21 is above E(2) + 3 = 20.21 but not amber.
    assert track_status("phq-9", 20, 2, 21).level == "on track"


def test_no_reliable_improvement_is_amber_from_session_6_not_5() -> None:
    # 15 is 5 below the intake of 20 (< R = 6) and under both curve bands at k = 5 and 6.
    assert track_status("phq-9", 20, 5, 15).level == "on track"
    status = track_status("phq-9", 20, 6, 15)
    assert status.level == "amber"
    assert status.rules == ("no_reliable_improvement",)
    assert status.findings[0].params == {
        "latest": 15,
        "session": 6,
        "intake": 20,
        "threshold": 6,
        "by_session": 6,
    }
    assert track_status("phq-9", 20, 6, 14).level == "on track"  # improved by 6: reliable


# -- intake below caseness and late responders ----------------------------------------------


def test_intake_below_caseness_only_checks_reliable_deterioration() -> None:
    # Intake 9 (< 10): at session 8, E + R = 11.23 would make 14 red, but only intake + R counts.
    status = track_status("phq-9", 9, 8, 14)
    assert status.level == "on track"
    assert status.rules == ("intake_below_caseness",)
    assert status.findings[0].params == {"intake": 9, "cutoff": 10}
    assert track_status("phq-9", 9, 8, 15).level == "red"
    # No amber either (no reliable improvement by session 6 does not apply).
    assert track_status("phq-9", 9, 8, 9).level == "on track"
    # Schueller does not apply either: 9 at week 14 from an intake of 9.
    assert track_status("phq-9", 9, 15, 9).level == "on track"
    # GAD-7 caseness is 8: an intake of 7 is below it.
    assert track_status("gad-7", 7, 8, 10).level == "on track"
    assert track_status("gad-7", 8, 8, 10).level == "red"  # E(8) + 4 = 8.65


def test_lack_of_change_alone_is_never_red_before_session_6() -> None:
    # Intake 20, unchanged at session 5: above E(5) + R = 19.52 and Schueller's 17 at week 4,
    # yet only amber (Saunders et al. 2019) ...
    status = track_status("phq-9", 20, 5, 20)
    assert status.level == "amber"
    assert "late_response_cap" in status.rules
    assert status.findings[-1] == Finding("late_response_cap", {"by_session": 6})
    assert track_status("phq-9", 20, 5, 18).level == "amber"
    # ... red from session 6 ...
    assert track_status("phq-9", 20, 6, 20).level == "red"
    # ... and red before it when the score is above intake (worsening, not lack of change).
    assert track_status("phq-9", 20, 5, 21).level == "red"


def test_refuses_instruments_where_higher_is_better_or_without_r() -> None:
    with pytest.raises(ValueError, match="higher score is worse"):
        track_status("session-feedback", 40, 3, 30)
    with pytest.raises(ReliableChangeUnavailable):
        track_status("phq-15", 15, 3, 15)
    with pytest.raises(ValueError, match="outside"):
        track_status("phq-9", 20, 3, 28)
    with pytest.raises(ValueError, match="session number"):
        track_status("phq-9", 20, 0, 20)


# -- practice-fitted curves -----------------------------------------------------------------

TRUE_SD_B0, TRUE_SD_B1, TRUE_SD_E = 2.0, 1.0, 2.0


def synthetic_episodes(n: int, seed: int, sessions: int = 12) -> list[list[tuple[int, float]]]:
    """Episodes from the default curve, plus a random intercept and slope on ln k per client."""
    rng = np.random.default_rng(seed)
    episodes = []
    for _ in range(n):
        intake = int(rng.integers(10, 28))
        b0, b1 = rng.normal(0, TRUE_SD_B0), rng.normal(0, TRUE_SD_B1)
        history: list[tuple[int, float]] = [(1, intake)]
        for k in range(2, sessions + 1):
            mean = intake * (1 - 0.5 * math.log(k) / math.log(12))
            history.append((k, float(mean + b0 + b1 * math.log(k) + rng.normal(0, TRUE_SD_E))))
        episodes.append(history)
    return episodes


@pytest.fixture(scope="module")
def fitted() -> FittedModel:
    # How long this takes is measured in benchmarks/bench_fit_trajectories.py, not here: a
    # timed assertion fails on a busy machine and proves nothing about the fit.
    episodes = synthetic_episodes(500, seed=1)
    model = fit_practice_model(episodes, instrument="phq-9")
    assert model is not None
    return model


def test_fitted_model_recovers_the_generating_curve(fitted: FittedModel) -> None:
    model = fitted
    assert model.n_episodes == 500 and model.n_observations == 500 * 11
    assert model.weight == 1.0
    assert model.name == "Practice-fitted mixed model (n = 500 episodes)"
    for intake in (12, 20, 26):
        mean, _ = model.predict(intake, 6)
        assert mean == pytest.approx(expected_score(intake, 6), abs=1.0)
    # Marginal SD at k = 6: sqrt(sd_b0^2 + (ln 6 x sd_b1)^2 + sd_e^2) = 3.35.
    true_sd = math.sqrt(TRUE_SD_B0**2 + (math.log(6) * TRUE_SD_B1) ** 2 + TRUE_SD_E**2)
    assert model.predict(20, 6)[1] == pytest.approx(true_sd, rel=0.15)


def test_fitted_bands_are_calibrated_on_a_hold_out(fitted: FittedModel) -> None:
    model = fitted
    above_red = above_amber = total = 0
    for history in synthetic_episodes(300, seed=2):
        intake = history[0][1]
        for k, score in history[1:]:
            e = model.expectation(intake, k, 6.0)
            above_red += score >= e.band_upper_red
            above_amber += score > e.band_upper_amber
            total += 1
    assert above_red / total == pytest.approx(0.10, abs=0.025)
    assert above_amber / total == pytest.approx(0.25, abs=0.03)


def test_fitted_model_flags_a_deteriorator_and_not_a_typical_client(
    fitted: FittedModel,
) -> None:
    model = fitted
    stuck = track_status("phq-9", 20, 6, 20, model=model)
    assert stuck.level == "red"
    assert stuck.method == Finding(
        "method_fitted_curve", {"episodes": 500, "weight": 1.0, "full_weight_at": 500}
    )
    curve = next(f for f in stuck.findings if f.code == "curve_red")
    assert curve.params["band"] == stuck.band_upper_red
    worse = track_status("phq-9", 20, 3, 22, model=model)
    assert worse.level == "red"
    assert track_status("phq-9", 20, 6, 13, model=model).level == "on track"


def test_fitted_model_is_for_its_own_instrument(fitted: FittedModel) -> None:
    with pytest.raises(ValueError, match="fitted for phq-9"):
        track_status("gad-7", 15, 6, 15, model=fitted)


def test_fitted_model_round_trips_through_a_dict(fitted: FittedModel) -> None:
    model = fitted
    assert FittedModel.from_dict(model.as_dict()) == model


@pytest.mark.parametrize(
    ("n", "weight"), [(199, 0.0), (200, 0.0), (350, 0.5), (500, 1.0), (900, 1.0)]
)
def test_blend_weight(n: int, weight: float) -> None:
    assert blend_weight(n, 200, 500) == weight


def test_blending_toward_the_default(fitted: FittedModel) -> None:
    full = fitted
    half = dataclasses.replace(full, n_episodes=350)
    mean, sd = full.predict(20, 6)
    e = half.expectation(20, 6, 6.0)
    assert half.weight == 0.5
    assert e.expected == pytest.approx(0.5 * mean + 0.5 * E20[6])
    assert e.band_upper_red == pytest.approx(e.expected + 0.5 * Z_90 * sd + 0.5 * 6)
    assert e.band_upper_amber == pytest.approx(e.expected + 0.5 * Z_75 * sd + 0.5 * 3)
    assert "blended" in half.name and "n = 350" in half.name and "50%" in half.name
    assert half.method_finding().params == {"episodes": 350, "weight": 0.5, "full_weight_at": 500}
    start = dataclasses.replace(full, n_episodes=200)
    assert start.weight == 0.0
    default = track_status("phq-9", 20, 6, 16)
    at_start = track_status("phq-9", 20, 6, 16, model=start)
    assert at_start.expected == pytest.approx(default.expected)
    assert at_start.band_upper_red == pytest.approx(default.band_upper_red)
    assert at_start.level == default.level == "amber"


def test_fewer_than_min_episodes_gives_none_without_fitting() -> None:
    episodes = synthetic_episodes(199, seed=3)
    # Episodes with fewer than 3 post-intake scores, or no intake, do not count.
    episodes += [[(1, 20), (2, 18), (3, 15)], [(2, 18), (3, 15), (4, 12), (5, 10)]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # too few is the normal state of a new practice: silent
        assert fit_practice_model(episodes, instrument="phq-9") is None
    attempt = attempt_practice_fit(episodes, instrument="phq-9")
    assert attempt.model is None
    assert attempt.n_eligible == 199 and attempt.n_skipped == 2
    assert "199 episodes" in (attempt.reason or "")


def test_a_fit_that_cannot_work_returns_none_with_a_warning() -> None:
    # Every intake the same: the intake terms cannot be estimated.
    episodes = [[(1, 20), (2, 18.0 + i % 3), (3, 16.0), (4, 15.0 - i % 2)] for i in range(50)]
    with pytest.warns(PracticeFitWarning, match="do not vary enough"):
        assert fit_practice_model(episodes, instrument="phq-9", min_episodes=50) is None


def test_non_convergence_returns_none_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsmodels.regression.mixed_linear_model import MixedLM

    class NotConverged:
        converged = False

    monkeypatch.setattr(MixedLM, "fit", lambda self, **kwargs: NotConverged())
    with pytest.warns(PracticeFitWarning, match="did not converge"):
        model = fit_practice_model(
            synthetic_episodes(60, seed=4), instrument="phq-9", min_episodes=50
        )
    assert model is None
    attempt = attempt_practice_fit(
        synthetic_episodes(60, seed=4), instrument="phq-9", min_episodes=50
    )
    assert attempt.reason is not None and "bfgs" in attempt.reason and "lbfgs" in attempt.reason


def test_fit_refuses_malformed_histories_and_wrong_direction() -> None:
    with pytest.raises(ValueError, match="two scores at session 1"):
        fit_practice_model([[(1, 20), (1, 19), (2, 18), (3, 17), (4, 16)]], instrument="phq-9")
    with pytest.raises(ValueError, match="finite number"):
        fit_practice_model([[(1, 20), (2, math.nan), (3, 17), (4, 16)]], instrument="phq-9")
    with pytest.raises(ValueError, match="higher-is-worse"):
        fit_practice_model([], instrument="session-feedback")
