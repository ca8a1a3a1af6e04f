"""The rupture rule (DESIGN.md "Rupture") and the alert accuracy audit (TRAJECTORIES.md)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from alliance.instruments import get_instrument
from alliance.instruments.alert_rules import (
    ClosedEpisode,
    alert_accuracy,
    rupture_cutoff,
    rupture_status,
)
from alliance.instruments.findings import Finding

# Session feedback: 0-50; the SD floor is 5% of the range = 2.5, so a steady client needs a
# drop of more than 1.96 x sqrt(2) x 2.5 = 6.9296 points.
FLOOR_THRESHOLD = 1.96 * math.sqrt(2) * 2.5


# -- rupture: the cutoff --------------------------------------------------------------------


def test_rupture_cutoff_comes_from_the_definition_and_is_labelled_ours() -> None:
    found = rupture_cutoff("session-feedback")
    assert found is not None
    value, flag_if, note = found
    assert (value, flag_if) == (39, "<=")
    assert "Ours" in note


def test_rupture_at_the_cutoff_but_not_one_above() -> None:
    status = rupture_status("session-feedback", [], 39)
    assert status is not None
    assert status.under_cutoff and not status.reliable_drop
    assert status.running_mean is None and status.drop_threshold is None
    assert status.findings == (
        Finding("under_cutoff", {"latest": 39, "cutoff": 39, "flag_if": "<=", "ours": True}),
    )
    assert status.method == Finding("method_rupture")
    assert rupture_status("session-feedback", [], 40) is None
    assert rupture_status("session-feedback", [45, 46], 40) is None


# -- rupture: a reliable drop from the client's own mean ------------------------------------


def test_reliable_drop_from_a_steady_high_mean_and_its_near_miss() -> None:
    history = [48, 50, 49, 47]  # mean 48.5, SD 1.29 -> floored at 2.5
    status = rupture_status("session-feedback", history, 41)  # drop 7.5 > 6.93
    assert status is not None
    assert status.reliable_drop and not status.under_cutoff
    assert status.running_mean == 48.5
    assert status.drop == 7.5
    assert status.sd_within == pytest.approx(math.sqrt(5 / 3))
    assert status.sd_used == 2.5
    assert status.drop_threshold == pytest.approx(FLOOR_THRESHOLD)
    assert status.n_history == 4
    (drop,) = status.findings
    assert drop.code == "reliable_drop"
    assert drop.params == pytest.approx(
        {
            "latest": 41,
            "drop": 7.5,
            "mean": 48.5,
            "earlier": 4,
            "threshold": FLOOR_THRESHOLD,
            "sd_used": 2.5,
            "sd": math.sqrt(5 / 3),
            "floor": 2.5,
        }
    )
    assert rupture_status("session-feedback", history, 42) is None  # drop 6.5


def test_reliable_drop_uses_the_clients_own_sd_when_above_the_floor() -> None:
    # An alliance measure with no rupture cutoff, so that only the drop rule is in play.
    sf = get_instrument("session-feedback")
    no_cutoff = dataclasses.replace(
        sf, metadata={k: v for k, v in sf.metadata.items() if k != "rupture_cutoff"}
    )
    history = [40, 50, 44, 46]  # mean 45, SD sqrt(52/3) = 4.163
    threshold = 1.96 * math.sqrt(2) * math.sqrt(52 / 3)  # 11.54
    status = rupture_status(no_cutoff, history, 33)  # drop 12
    assert status is not None and status.reliable_drop
    assert status.sd_used == pytest.approx(math.sqrt(52 / 3))
    assert status.drop_threshold == pytest.approx(threshold)
    assert status.findings[0].params["sd"] is None and status.findings[0].params["floor"] is None
    assert rupture_status(no_cutoff, history, 34) is None  # drop 11
    assert rupture_status(no_cutoff, [], 0) is None  # nothing to compare with


def test_a_perfectly_steady_client_is_not_flagged_by_a_small_dip() -> None:
    assert rupture_status("session-feedback", [45, 45, 45, 45], 44) is None
    assert rupture_status("session-feedback", [45, 45, 45, 45], 40) is None  # drop 5 < 6.93
    both = rupture_status("session-feedback", [47, 47, 47], 39)  # drop 8 and under the cutoff
    assert both is not None and both.under_cutoff and both.reliable_drop
    assert [finding.code for finding in both.findings] == ["under_cutoff", "reliable_drop"]


def test_the_drop_rule_needs_three_earlier_scores() -> None:
    assert rupture_status("session-feedback", [50, 50], 41) is None
    assert rupture_status("session-feedback", [50, 50, 50], 41) is not None


def test_rupture_refuses_outcome_measures_and_bad_scores() -> None:
    with pytest.raises(ValueError, match="higher score is better"):
        rupture_status("phq-9", [5, 5, 5], 20)
    with pytest.raises(ValueError, match="outside"):
        rupture_status("session-feedback", [45, 45, 45], 51)
    with pytest.raises(ValueError, match="finite"):
        rupture_status("session-feedback", [45, math.nan, 45], 45)


# -- alert accuracy audit -------------------------------------------------------------------

HAND_MADE = [
    ClosedEpisode("reliably deteriorated", (2, 5)),  # alerted, first at 2
    ClosedEpisode("reliably deteriorated", (4,)),  # alerted, first at 4
    ClosedEpisode("reliably deteriorated", ()),  # missed
    ClosedEpisode("reliably deteriorated", (3,), total_sessions=8),  # alerted, first at 3
    ClosedEpisode("no reliable change", (6,)),  # alerted, bad outcome
    ClosedEpisode("no reliable change", ()),
    ClosedEpisode("reliably improved", (2,)),  # alerted, ended improved
    ClosedEpisode("recovered", ()),
    ClosedEpisode("recovered", ()),
    ClosedEpisode("reliably improved", ()),
]


def test_alert_accuracy_on_a_hand_made_set() -> None:
    audit = alert_accuracy(HAND_MADE)
    assert audit.n_episodes == 10
    assert audit.n_alerted == 5
    assert audit.percent_flagged == 50.0
    # Deterioration: 4 deteriorated, 3 alerted (first at 2, 4, 3), 2 of them by session 3.
    assert audit.n_deteriorated == 4
    assert audit.n_deteriorated_alerted == 3
    assert audit.first_alert_sessions_deteriorated == (2, 4, 3)
    assert audit.median_first_alert_session == 3.0
    assert audit.n_deteriorated_alerted_by_session == 2
    assert audit.sensitivity == 0.75
    assert audit.sensitivity_by_session == 0.5
    # Bad outcome = deteriorated or no reliable change: 6; alerted among them: 4.
    assert audit.n_bad_outcome == 6 and audit.n_good_outcome == 4
    assert audit.n_alerted_bad_outcome == 4
    assert audit.n_alerted_improved == 1
    assert audit.ppv == 0.8  # 4 of 5 alerted
    assert audit.bad_outcome_sensitivity == pytest.approx(4 / 6)
    assert audit.specificity == 0.75  # 3 of 4 good outcomes not alerted
    assert audit.npv == 0.6  # 3 of 5 not alerted had a good outcome
    assert any("Bad outcome" in d for d in audit.definitions)


def test_alert_accuracy_accepts_mappings_and_another_early_session() -> None:
    audit = alert_accuracy(
        [
            {"category": "reliably deteriorated", "alert_sessions": (4,)},
            {"category": "recovered", "alert_sessions": ()},
        ],
        by_session=4,
    )
    assert audit.sensitivity_by_session == 1.0
    assert audit.ppv == 1.0 and audit.npv == 1.0 and audit.specificity == 1.0


def test_alert_accuracy_with_zero_cases_gives_none_not_an_error() -> None:
    empty = alert_accuracy([])
    assert empty.n_episodes == 0
    for name in (
        "percent_flagged",
        "median_first_alert_session",
        "sensitivity",
        "sensitivity_by_session",
        "bad_outcome_sensitivity",
        "ppv",
        "specificity",
        "npv",
    ):
        assert getattr(empty, name) is None, name
    # No deterioration and no alert: sensitivity and PPV are not computable; the rest are.
    quiet = alert_accuracy([ClosedEpisode("recovered"), ClosedEpisode("no reliable change")])
    assert quiet.sensitivity is None and quiet.ppv is None
    assert quiet.median_first_alert_session is None
    assert quiet.percent_flagged == 0.0
    assert quiet.specificity == 1.0 and quiet.npv == 0.5


def test_alert_accuracy_refuses_inconsistent_episodes() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        alert_accuracy([ClosedEpisode("worse")])
    with pytest.raises(ValueError, match="after the last"):
        alert_accuracy([ClosedEpisode("recovered", (9,), total_sessions=8)])
    with pytest.raises(ValueError, match="integer >= 1"):
        alert_accuracy([ClosedEpisode("recovered", (0,))])
