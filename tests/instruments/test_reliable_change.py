"""Reliable change and clinically significant change at their boundaries."""

from __future__ import annotations

import math

import pytest
from instrument_test_helpers import alliance_questionnaire

from alliance.instruments import (
    InstrumentRegistry,
    ReliableChangeUnavailable,
    reliable_change,
    score,
)

CATEGORIES = {"recovered", "reliably improved", "no reliable change", "reliably deteriorated"}


@pytest.mark.parametrize(
    ("before", "after", "category"),
    [
        (15, 9, "recovered"),  # -6: reliable; 15 is a case (>= 10), 9 is not
        (15, 10, "no reliable change"),  # -5: just inside the threshold
        (16, 10, "reliably improved"),  # -6 but still a case at 10
        (10, 4, "recovered"),  # starting exactly at the cut-off counts as a case
        (9, 3, "reliably improved"),  # reliable, but never a case
        (12, 18, "reliably deteriorated"),  # +6
        (12, 17, "no reliable change"),  # +5
        (7, 7, "no reliable change"),
        (27, 0, "recovered"),
    ],
)
def test_phq9_published_threshold(before: int, after: int, category: str) -> None:
    result = reliable_change("phq-9", before, after)
    assert result.category == category
    assert result.threshold_points == 6
    assert result.threshold_source == "published_threshold"
    assert "6 or more" in result.threshold_note
    assert result.change == after - before


@pytest.mark.parametrize(
    ("before", "after", "category"),
    [
        (11, 7, "recovered"),  # -4, caseness GAD-7 >= 8
        (12, 8, "reliably improved"),  # -4 but 8 is still a case
        (10, 7, "no reliable change"),  # -3
        (5, 9, "reliably deteriorated"),
        (5, 8, "no reliable change"),
    ],
)
def test_gad7_published_threshold(before: int, after: int, category: str) -> None:
    result = reliable_change("gad-7", before, after)
    assert (result.category, result.threshold_points) == (category, 4)


@pytest.mark.parametrize(
    ("before", "after", "category"),
    [(40, 30, "recovered"), (40, 31, "no reliable change"), (50, 38, "reliably improved"),
     (20, 30, "reliably deteriorated")],
)  # fmt: skip
def test_pcl5_threshold(before: int, after: int, category: str) -> None:
    assert reliable_change("pcl-5", before, after).category == category


def test_jacobson_truax_from_the_definition(registry: InstrumentRegistry) -> None:
    inst = registry.register(
        alliance_questionnaire(
            "jt-scale",
            n_items=10,
            reliable_change={"rc_method": "jacobson_truax", "reliability": 0.8, "norm_sd": 5.0},
            cutoff={"value": 12, "clinical_if": ">="},
        )
    )
    s_diff = math.sqrt(2) * 5.0 * math.sqrt(1 - 0.8)  # 3.1623
    inside = reliable_change(inst, 20, 14)  # RCI = -6 / 3.1623 = -1.897
    assert inside.index == pytest.approx(-6 / s_diff, abs=1e-12)
    assert inside.category == "no reliable change"
    assert inside.threshold_points == pytest.approx(1.96 * s_diff, abs=1e-12)
    assert inside.threshold_source == "jacobson_truax"
    outside = reliable_change(inst, 20, 13)  # RCI = -2.214
    assert outside.category == "reliably improved"  # 13 is still >= 12
    assert reliable_change(inst, 20, 11).category == "recovered"
    assert reliable_change(inst, 11, 18).category == "reliably deteriorated"
    assert reliable_change(inst, 11, 17).category == "no reliable change"


def test_caller_supplied_norms_override_the_published_threshold() -> None:
    s_diff = math.sqrt(2) * 5.0 * math.sqrt(0.16)  # 2.828; threshold 1.96 * 2.828 = 5.54 points
    inside = reliable_change("phq-9", 14, 10, reliability=0.84, sd=5.0)
    assert inside.index == pytest.approx(-4 / s_diff, abs=1e-12)
    assert inside.threshold_source == "jacobson_truax"
    assert inside.threshold_points == pytest.approx(1.96 * s_diff, abs=1e-12)
    assert inside.category == "no reliable change"
    assert reliable_change("phq-9", 14, 8, reliability=0.84, sd=5.0).category == "recovered"
    given = reliable_change("phq-9", 14, 10, threshold_points=4)
    assert (given.category, given.threshold_source) == ("reliably improved", "published_threshold")


def test_session_feedback_direction_higher_is_better() -> None:
    up = reliable_change("session-feedback", 30, 36, threshold_points=5)
    assert (up.category, up.improved) == ("reliably improved", True)
    down = reliable_change("session-feedback", 36, 30, threshold_points=5)
    assert (down.category, down.improved) == ("reliably deteriorated", False)
    assert reliable_change("session-feedback", 30, 34, threshold_points=5).category == (
        "no reliable change"
    )
    # within-person: the client's own SD and reliability
    own = reliable_change("session-feedback", 45, 35, reliability=0.7, sd=4.0)
    assert own.category == "reliably deteriorated"
    assert own.index == pytest.approx(-10 / (math.sqrt(2) * 4.0 * math.sqrt(0.3)), abs=1e-12)


def test_no_threshold_and_no_norms_is_a_clear_error() -> None:
    for iid in ("session-feedback", "audit-c", "phq-2", "gad-2", "phq-15"):
        with pytest.raises(ReliableChangeUnavailable, match=iid):
            reliable_change(iid, 5, 1)


def test_accepts_score_results_and_refuses_incomplete_ones() -> None:
    before = score("phq-9", [2] * 9)  # 18
    after = score("phq-9", [1] * 9)  # 9
    assert reliable_change("phq-9", before, after).category == "recovered"
    with pytest.raises(ValueError, match="incomplete"):
        reliable_change("phq-9", before, score("phq-9", [1] * 8))


def test_categories_are_exactly_the_four_strings() -> None:
    seen = {reliable_change("phq-9", a, b).category for a in range(28) for b in range(28)}
    assert seen == CATEGORIES


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="both reliability and sd"):
        reliable_change("phq-9", 10, 3, reliability=0.8)
    with pytest.raises(ValueError, match="threshold_points must be positive"):
        reliable_change("phq-9", 10, 3, threshold_points=0)
    with pytest.raises(ValueError, match="must be a number"):
        reliable_change("phq-9", True, 3)
