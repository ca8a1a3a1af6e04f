"""Single-response scoring: totals, bands, critical items, input forms, invalid answers."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from instrument_test_helpers import alliance_questionnaire

from alliance.instruments import (
    InstrumentRegistry,
    InvalidAnswers,
    get_instrument,
    score,
)

# Independent reference: cut-points typed here from the sources, NOT read from the definitions.
# (lower bound of each band, band code), ascending.
EXPECTED_BANDS: dict[str, list[tuple[int, str]]] = {
    "phq-9": [
        (0, "minimal"),
        (5, "mild"),
        (10, "moderate"),
        (15, "moderately-severe"),
        (20, "severe"),
    ],
    "gad-7": [(0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")],
    "phq-2": [(0, "below-cutoff"), (3, "positive-screen")],
    "gad-2": [(0, "below-cutoff"), (3, "positive-screen")],
    "phq-15": [(0, "minimal"), (5, "low"), (10, "medium"), (15, "high")],
    "pcl-5": [(0, "below-cutoff"), (31, "near-cutoff"), (33, "probable-ptsd")],
    "audit-c": [(0, "below-cutoff"), (3, "positive-screen-women"), (4, "positive-screen")],
    "session-feedback": [(0, "check-in"), (40, "good-fit")],
}
MAX_TOTAL = {"phq-9": 27, "gad-7": 21, "phq-2": 6, "gad-2": 6, "phq-15": 30, "pcl-5": 80,
             "audit-c": 12, "session-feedback": 50}  # fmt: skip
ITEM_MAX = {"phq-9": 3, "gad-7": 3, "phq-2": 3, "gad-2": 3, "phq-15": 2, "pcl-5": 4,
            "audit-c": 4, "session-feedback": 10}  # fmt: skip
N_ITEMS = {"phq-9": 9, "gad-7": 7, "phq-2": 2, "gad-2": 2, "phq-15": 15, "pcl-5": 20,
           "audit-c": 3, "session-feedback": 5}  # fmt: skip


def expected_band(iid: str, total: int) -> str:
    return [code for low, code in EXPECTED_BANDS[iid] if total >= low][-1]


def pattern_for_total(iid: str, total: int) -> list[int]:
    """Fill items greedily so that they sum to ``total``."""
    values, left = [], total
    for _ in range(N_ITEMS[iid]):
        v = min(ITEM_MAX[iid], left)
        values.append(v)
        left -= v
    assert left == 0
    return values


# --------------------------------------------------------------------------- totals and bands


@pytest.mark.parametrize("iid", ["phq-2", "gad-2"])
def test_every_two_item_pattern(iid: str) -> None:
    for a, b in itertools.product(range(4), repeat=2):
        result = score(iid, [a, b])
        assert result.total == a + b
        assert result.band is not None and result.band.code == expected_band(iid, a + b)
        assert result.clinical is (a + b >= 3)
        assert result.critical == ()


def test_every_audit_c_pattern() -> None:
    for pattern in itertools.product(range(5), repeat=3):
        result = score("audit-c", list(pattern))
        assert result.total == sum(pattern)
        assert result.band is not None and result.band.code == expected_band(
            "audit-c", sum(pattern)
        )
        assert result.clinical is (sum(pattern) >= 3)


@pytest.mark.parametrize("iid", sorted(EXPECTED_BANDS))
def test_every_band_boundary(iid: str) -> None:
    lows = [low for low, _ in EXPECTED_BANDS[iid]]
    boundaries = {0, MAX_TOTAL[iid]}
    for low in lows[1:]:
        boundaries |= {low - 1, low}
    for total in sorted(boundaries):
        result = score(iid, pattern_for_total(iid, total))
        assert result.total == total
        assert result.band is not None
        assert result.band.code == expected_band(iid, total), (iid, total)
    assert [b.lower for b in get_instrument(iid).bands] == lows


@pytest.mark.parametrize("iid", sorted(EXPECTED_BANDS))
def test_every_possible_total_gets_the_reference_band(iid: str) -> None:
    for total in range(MAX_TOTAL[iid] + 1):
        result = score(iid, pattern_for_total(iid, total))
        assert (result.total, result.band.code if result.band else None) == (
            total,
            expected_band(iid, total),
        )


@pytest.mark.parametrize("iid", sorted(EXPECTED_BANDS))
def test_per_item_sweep(iid: str) -> None:
    """Each item at each value, with the rest at 0 and at their maximum."""
    n, top = N_ITEMS[iid], ITEM_MAX[iid]
    for base in (0, top):
        for i in range(n):
            for v in range(top + 1):
                pattern = [base] * n
                pattern[i] = v
                assert score(iid, pattern).total == base * (n - 1) + v


# --------------------------------------------------------------------------- published examples


def test_published_examples() -> None:
    # HL7 Personal Health Record IG, QuestionnaireResponse-ScoredAssessment-GAD7 (answer codes).
    gad7 = score("gad-7", ["LA6568-5", "LA6568-5", "LA6569-3", "LA6569-3", "LA6568-5", "LA6569-3",
                           "LA6568-5"])  # fmt: skip
    assert (gad7.total, gad7.band and gad7.band.code) == (3, "minimal")
    # MII PRO IG GAD-7 example: a, b, c several days; d, e more than half; f, g not at all = 7.
    mii = score("gad-7", ["LA6569-3"] * 3 + ["LA6570-1"] * 2 + ["LA6568-5"] * 2)
    assert (mii.total, mii.band and mii.band.code) == (7, "mild")
    # jmandel/ktc-questionnaire-starters samples.
    assert score("phq-9", [1, 2, 1, 2, 1, 1, 0, 0, 1]).total == 9
    assert score("gad-7", [2, 1, 2, 1, 0, 1, 0]).total == 7
    assert score("audit-c", ["LA18926-8", "LA15694-5", "LA6270-8"]).total == 1


# --------------------------------------------------------------------------- critical items


@pytest.mark.parametrize(("value", "trips"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item9_critical(value: int, trips: bool) -> None:
    result = score("phq-9", [0] * 8 + [value])
    assert result.critical_tripped is trips
    if trips:
        (hit,) = result.critical
        assert (hit.link_id, hit.position, hit.value, hit.threshold) == ("phq9-9", 9, value, 1)
    else:
        assert result.critical == ()


def test_critical_item_is_checked_on_an_incomplete_form() -> None:
    result = score("phq-9", {"phq9-9": "LA6570-1"})
    assert result.total is None and result.band is None
    assert [h.link_id for h in result.critical] == ["phq9-9"]


def test_unanswered_critical_item_is_reported_not_assumed_zero() -> None:
    result = score("phq-9", [1] * 8)
    assert result.total is None
    assert result.critical == ()
    assert result.critical_unanswered == ("phq9-9",)
    assert result.completeness.missing == ("phq9-9",)
    assert (result.completeness.answered, result.completeness.required) == (8, 9)
    assert not result.completeness.complete


# --------------------------------------------------------------------------- input forms


def test_answer_forms_agree() -> None:
    values = [3, 2, 1, 0, 3, 2, 1, 0, 1]
    codes = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    forms: list[Any] = [
        values,
        tuple(values),
        np.array(values),
        {f"phq9-{i}": v for i, v in enumerate(values, 1)},
        {i: v for i, v in enumerate(values, 1)},
        {f"item{i}": v for i, v in enumerate(values, 1)},
        [codes[v] for v in values],
        {f"phq9-{i}": {"code": codes[v]} for i, v in enumerate(values, 1)},
    ]
    results = [score("phq-9", form) for form in forms]
    assert {r.total for r in results} == {13}
    assert {r.band.code for r in results if r.band} == {"moderate"}
    assert all(len(r.critical) == 1 for r in results)


def test_difficulty_item_accepts_codes_and_is_not_scored() -> None:
    result = score("phq-9", [1] * 9 + ["LA6575-0"])
    assert result.total == 9
    assert result.answers["phq9-difficulty"].value == "LA6575-0"
    with pytest.raises(InvalidAnswers, match=r"'phq9-difficulty' \(position 10\).*answer code"):
        score("phq-9", [1] * 9 + [2])


def test_nan_and_none_mean_unanswered() -> None:
    assert score("phq-9", [1] * 8 + [None]).total is None
    assert score("phq-9", [1] * 8 + [float("nan")]).total is None


def test_phq15_item4_is_optional() -> None:
    full = score("phq-15", [1] * 15)
    assert full.total == 15
    without_4 = score("phq-15", {f"phq15-{i}": 1 for i in range(1, 16) if i != 4})
    assert without_4.total == 14
    assert without_4.completeness.required == 14
    missing_5 = score("phq-15", {f"phq15-{i}": 1 for i in range(1, 16) if i != 5})
    assert missing_5.total is None
    assert missing_5.completeness.missing == ("phq15-5",)


def test_pcl5_subscales() -> None:
    result = score("pcl-5", list(range(5)) * 4)  # 0,1,2,3,4 repeated
    assert result.total == 40
    assert dict(result.subscales) == {
        "intrusion": 0 + 1 + 2 + 3 + 4,
        "avoidance": 0 + 1,
        "cognition-mood": 2 + 3 + 4 + 0 + 1 + 2 + 3,
        "arousal-reactivity": 4 + 0 + 1 + 2 + 3 + 4,
    }
    partial = score("pcl-5", {f"pcl5-{i}": 1 for i in range(1, 8)})
    assert partial.total is None
    assert partial.subscales["intrusion"] == 5 and partial.subscales["arousal-reactivity"] is None


def test_session_feedback_sum_and_comment() -> None:
    result = score("session-feedback", [10, 9, 8, 7, 6, "Thank you"])
    assert result.total == 40
    assert result.band is not None and result.band.code == "good-fit"
    assert result.answers["sf-comment"].value == "Thank you"
    assert score("session-feedback", [8, 8, 8, 8, 7]).band.code == "check-in"  # type: ignore[union-attr]


def test_audit_c_band_3_is_positive_for_women_only() -> None:
    result = score("audit-c", [1, 1, 1])
    assert result.band is not None and result.band.code == "positive-screen-women"
    assert "women" in result.band.label["en"]


def test_result_records_instrument_version() -> None:
    result = score("gad-7", [0] * 7)
    assert (result.instrument_id, result.instrument_version) == ("gad-7", "1.1.0")
    # The version before the Spanish wording was added still scores what it scored.
    old = score(get_instrument("gad-7", "1.0.0"), [1, 2, 3, 0, 1, 2, 3])
    assert (old.instrument_version, old.total) == ("1.0.0", 12)
    assert score("gad-7", [1, 2, 3, 0, 1, 2, 3]).total == 12


# --------------------------------------------------------------------------- invalid answers


@pytest.mark.parametrize(
    ("iid", "answers", "message"),
    [
        ("phq-9", [0] * 8 + [4], r"item 'phq9-9' \(position 9\): value 4 is not one of"),
        ("phq-9", {"phq9-3": -1}, r"item 'phq9-3' \(position 3\)"),
        ("phq-9", {"phq9-1": 1.5}, r"item 'phq9-1' \(position 1\)"),
        ("phq-9", {"phq9-1": True}, r"item 'phq9-1' \(position 1\): expected an answer code"),
        ("phq-9", {"phq9-1": [1]}, r"item 'phq9-1' \(position 1\)"),
        ("phq-9", {"phq9-2": "LA9999-9"}, r"item 'phq9-2' \(position 2\): answer code 'LA9999-9'"),
        ("phq-9", {"phq9-10": 1}, r"unknown item 'phq9-10'"),
        ("phq-9", {11: 1}, r"unknown item 11"),
        ("phq-9", {"item0": 1}, r"unknown item 'item0'"),
        ("phq-9", [0] * 11, r"11 answers given but phq-9 has 10 items"),
        ("phq-9", {1: 1, "item1": 2}, r"item 'phq9-1' \(position 1\) is given twice"),
        ("audit-c", {"auditc-2": 5}, r"item 'auditc-2' \(position 2\)"),
        ("session-feedback", [11, 0, 0, 0, 0], r"item 'sf-bond' \(position 1\): value 11 is above"),
        (
            "session-feedback",
            [5.5, 0, 0, 0, 0],
            r"item 'sf-bond' \(position 1\): expected an integer",
        ),
        (
            "session-feedback",
            [1, 1, 1, 1, 1, 7],
            r"item 'sf-comment' \(position 6\): expected text",
        ),
        ("phq-9", "012301230", r"answers must be a mapping or a sequence"),
    ],
)
def test_invalid_answers_raise_one_error_naming_the_item(
    iid: str, answers: Any, message: str
) -> None:
    with pytest.raises(InvalidAnswers, match=message) as info:
        score(iid, answers)
    assert isinstance(info.value, ValueError)


def test_invalid_answers_lists_every_problem() -> None:
    with pytest.raises(InvalidAnswers) as info:
        score("phq-9", {"phq9-1": 9, "phq9-9": 7})
    assert [link for link, _ in info.value.items] == ["phq9-1", "phq9-9"]
    assert len(info.value.problems) == 2


def test_strict_refuses_too_many_missing() -> None:
    with pytest.raises(InvalidAnswers, match=r"item 'phq9-9' \(position 9\): not answered"):
        score("phq-9", [0] * 8, strict=True)
    assert score("phq-9", [0] * 9, strict=True).total == 0


# --------------------------------------------------------------------------- prorating rule


def test_prorating_rounds_half_up(registry: InstrumentRegistry) -> None:
    inst = registry.register(
        alliance_questionnaire(
            "prorated", n_items=6, missing={"max_missing": 2, "method": "prorate"}
        )
    )
    # 4 of 6 answered: total = sum * 6 / 4, rounded half up
    assert score(inst, [1, 0, 0, 0, None, None]).total == 2  # 1.5 -> 2
    assert score(inst, [1, 1, 1, 0, None, None]).total == 5  # 4.5 -> 5 (not banker's 4)
    assert score(inst, [3, 3, 3, 3, None, None]).total == 18
    assert score(inst, [1, 1, 1, 1, 1, None]).total == 6  # 5 * 6 / 5
    assert score(inst, [2, 0, 0, 0, 0, None]).total == 2  # 2.4 -> 2
    assert score(inst, [1, 1, 1, None, None, None]).total is None
    assert score(inst, [1, 1, 1, 1, None, None]).prorated
    assert not score(inst, [1] * 6).prorated
