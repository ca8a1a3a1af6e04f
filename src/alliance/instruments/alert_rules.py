"""The rupture rule and the alert accuracy audit (DESIGN.md "Rupture"; TRAJECTORIES.md).

* :func:`rupture_status`: an alliance score under the instrument's rupture cutoff, or a reliable
  drop from the client's own running mean (within-person change, no norms needed).
* :func:`alert_accuracy`: how well not-on-track alerts foresaw how closed episodes ended, the
  figures TRAJECTORIES.md asks a practice to show its supervisors.

Pure Python; the numbers are for the clinician workspace, which words the findings.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from .change import Z_CRITICAL, Category
from .findings import Finding
from .model import Instrument, Number
from .registry import resolve
from .trajectories.model import check_score

# -- rupture --------------------------------------------------------------------------------

# Ours: a floor under the client's own SD, as a share of the instrument's range (2.5 points on
# session feedback, 0-50). Without it a perfectly steady client (SD 0) would be flagged for a
# one-point dip; with it a steady client needs a drop of more than 1.96 x sqrt(2) x 2.5 = 6.9
# points.
SD_FLOOR_SHARE = 0.05
# Fewer earlier scores than this give no meaningful running mean or SD (DESIGN.md, ours: 3).
MIN_HISTORY = 3


@dataclass(frozen=True)
class RuptureStatus:
    """A possible alliance rupture, with the rule(s) that found it.

    ``under_cutoff``: the latest total is at or under the instrument's rupture cutoff (for
    session feedback, Alliance's own suggestion: 39 or less). ``reliable_drop``: the latest total
    is more than ``drop_threshold`` below the client's own running mean. The drop fields are None
    when there were fewer than 3 earlier scores. ``findings`` holds the rules that fired as
    codes with their numbers (``under_cutoff``, ``reliable_drop``); ``method`` is the
    ``method_rupture`` finding.
    """

    instrument_id: str
    latest: float
    under_cutoff: bool
    reliable_drop: bool
    cutoff: float | None
    cutoff_flag_if: str | None
    running_mean: float | None
    drop: float | None  # running mean - latest (positive = lower than usual)
    sd_within: float | None  # the client's own SD of earlier scores
    sd_used: float | None  # after the floor
    drop_threshold: float | None  # 1.96 x sqrt(2) x sd_used
    n_history: int
    findings: tuple[Finding, ...]

    @property
    def method(self) -> Finding:
        """How the rule works, as the ``method_rupture`` finding."""
        return Finding("method_rupture")


def rupture_cutoff(instrument: str | Instrument) -> tuple[float, str, str] | None:
    """(value, flag_if, note) from the definition's ``rupture_cutoff`` metadata, if any."""
    inst = resolve(instrument)
    meta = inst.metadata.get("rupture_cutoff")
    if not isinstance(meta, Mapping):
        return None
    value = meta.get("value")
    flag_if = meta.get("flag_if", "<=")
    if isinstance(value, bool) or not isinstance(value, int | float) or flag_if not in ("<=", "<"):
        raise ValueError(f"{inst.id}: rupture_cutoff needs a numeric value and flag_if '<=' or '<'")
    note = str(meta.get("note", ""))
    return float(value), str(flag_if), note


def rupture_status(
    instrument: str | Instrument, history: Sequence[Number], latest: Number
) -> RuptureStatus | None:
    """A :class:`RuptureStatus` when the latest alliance score suggests a rupture, else None.

    ``history``: the client's earlier totals on this instrument in this episode, oldest first,
    without ``latest``. Rules (DESIGN.md "Rupture"):

    1. the latest total is under the instrument's rupture cutoff (``rupture_cutoff`` in its
       metadata; for session feedback Alliance's own suggestion, "39 or less", not validated);
    2. with at least 3 earlier scores, a reliable drop from the client's own running mean:
       mean(history) - latest > 1.96 x sqrt(2) x SD, the Jacobson & Truax (1991) criterion with
       the client's own SD of earlier scores standing in for the SE of measurement (ours), floored
       at 5% of the instrument's range (ours) so that a steady client is not flagged for a
       one-point dip.

    Only for instruments where higher is better (alliance measures); refuses others.
    """
    inst = resolve(instrument)
    if inst.direction != "higher_is_better":
        raise ValueError(
            f"{inst.id}: the rupture rule is for alliance measures, where a higher score is better"
        )
    s = check_score(latest, "latest score", inst)
    earlier = [check_score(v, f"earlier score {n}", inst) for n, v in enumerate(history, start=1)]
    found = rupture_cutoff(inst)
    findings: list[Finding] = []

    under = False
    cutoff = flag_if = None
    if found is not None:
        cutoff, flag_if, _note = found
        under = s <= cutoff if flag_if == "<=" else s < cutoff
        if under:
            ours = bool(inst.metadata["rupture_cutoff"].get("ours"))
            findings.append(
                Finding(
                    "under_cutoff",
                    {"latest": s, "cutoff": cutoff, "flag_if": flag_if, "ours": ours},
                )
            )

    mean = drop = sd = sd_used = threshold = None
    reliable = False
    if len(earlier) >= MIN_HISTORY:
        mean = statistics.fmean(earlier)
        sd = statistics.stdev(earlier)
        floor = SD_FLOOR_SHARE * float(inst.total_max - inst.total_min)
        sd_used = max(sd, floor)
        threshold = Z_CRITICAL * math.sqrt(2.0) * sd_used
        drop = mean - s
        reliable = drop > threshold
        if reliable:
            raised = sd < floor  # the floor, not the client's own SD, set the threshold
            findings.append(
                Finding(
                    "reliable_drop",
                    {
                        "latest": s,
                        "drop": drop,
                        "mean": mean,
                        "earlier": len(earlier),
                        "threshold": threshold,
                        "sd_used": sd_used,
                        "sd": sd if raised else None,
                        "floor": floor if raised else None,
                    },
                )
            )

    if not (under or reliable):
        return None
    return RuptureStatus(
        instrument_id=inst.id,
        latest=s,
        under_cutoff=under,
        reliable_drop=reliable,
        cutoff=cutoff,
        cutoff_flag_if=flag_if,
        running_mean=mean,
        drop=drop,
        sd_within=sd,
        sd_used=sd_used,
        drop_threshold=threshold,
        n_history=len(earlier),
        findings=tuple(findings),
    )


# -- alert accuracy audit -------------------------------------------------------------------

CATEGORIES: tuple[str, ...] = get_args(Category)
# Bad outcome (TRAJECTORIES.md "non-response": no reliable improvement): the episode ended
# reliably deteriorated or with no reliable change. Good outcome: reliably improved or
# recovered. Every closed episode is exactly one of the two.
BAD_OUTCOMES = frozenset({"reliably deteriorated", "no reliable change"})
GOOD_OUTCOMES = frozenset({"reliably improved", "recovered"})
DETERIORATED = "reliably deteriorated"

DEFINITIONS = (
    "Deteriorated: the episode's final reliable-change category is 'reliably deteriorated' "
    "(final score at least intake + the reliable-change threshold).",
    "Bad outcome: ended reliably deteriorated or with no reliable change (no reliable "
    "improvement). Good outcome: ended reliably improved or recovered.",
    "Alerted: at least one not-on-track (red) alert fired during the episode.",
    "Sensitivity: share of deteriorated episodes that were alerted (as in Hannan et al. 2005). "
    "Bad-outcome sensitivity: share of bad outcomes that were alerted.",
    "Positive predictive value: share of alerted episodes with a bad outcome (an alert on a client "
    "who ended unchanged is counted as useful, not as a false alarm).",
    "Specificity: share of good outcomes that were not alerted. Negative predictive value: share "
    "of episodes without an alert that had a good outcome.",
    "A percentage that has no episodes to count from (for example, no episode ended "
    "deteriorated yet) cannot be worked out: it is left empty, never shown as 0.",
)


@dataclass(frozen=True)
class ClosedEpisode:
    """One closed episode for the audit: how it ended and when alerts fired.

    ``alert_sessions``: session numbers (intake = 1) at which a not-on-track alert fired;
    ``total_sessions``: optional, used to check that no alert lies after the last session.
    """

    category: str
    alert_sessions: tuple[int, ...] = ()
    total_sessions: int | None = None


@dataclass(frozen=True)
class AlertAccuracy:
    n_episodes: int
    n_alerted: int
    percent_flagged: float | None  # 0-100
    # Deterioration (the OQ-style figure).
    n_deteriorated: int
    n_deteriorated_alerted: int
    n_deteriorated_alerted_by_session: int  # first alert at or before ``by_session``
    first_alert_sessions_deteriorated: tuple[int, ...]  # one per alerted deteriorated episode
    median_first_alert_session: float | None
    sensitivity: float | None
    sensitivity_by_session: float | None
    # Bad vs good outcome (see DEFINITIONS).
    n_bad_outcome: int
    n_good_outcome: int
    n_alerted_bad_outcome: int
    n_alerted_improved: int  # alerted episodes that ended reliably improved or recovered
    bad_outcome_sensitivity: float | None
    ppv: float | None
    specificity: float | None
    npv: float | None
    by_session: int
    definitions: tuple[str, ...] = DEFINITIONS


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _episode(item: ClosedEpisode | Mapping[str, Any], index: int) -> ClosedEpisode:
    episode = item if isinstance(item, ClosedEpisode) else ClosedEpisode(**dict(item))
    if episode.category not in CATEGORIES:
        raise ValueError(
            f"episode {index}: unknown category {episode.category!r} (one of {CATEGORIES})"
        )
    total = episode.total_sessions
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 1):
        raise ValueError(f"episode {index}: total_sessions must be an integer >= 1")
    for k in episode.alert_sessions:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"episode {index}: alert session {k!r} is not an integer >= 1")
        if total is not None and k > total:
            raise ValueError(f"episode {index}: alert at session {k} after the last ({total})")
    return episode


def alert_accuracy(
    episodes: Iterable[ClosedEpisode | Mapping[str, Any]], *, by_session: int = 3
) -> AlertAccuracy:
    """The alert accuracy audit over closed episodes (TRAJECTORIES.md; definitions in
    :data:`DEFINITIONS`). Episodes may be :class:`ClosedEpisode` or mappings with the same keys.
    ``by_session`` is the early-warning session (3, after Hannan et al. 2005: 85% by session 3).
    """
    checked = [_episode(e, n) for n, e in enumerate(episodes)]
    alerted = [e for e in checked if e.alert_sessions]
    deteriorated = [e for e in checked if e.category == DETERIORATED]
    first = tuple(min(e.alert_sessions) for e in deteriorated if e.alert_sessions)
    det_by = sum(1 for k in first if k <= by_session)
    bad = [e for e in checked if e.category in BAD_OUTCOMES]
    good = [e for e in checked if e.category in GOOD_OUTCOMES]
    alerted_bad = sum(1 for e in alerted if e.category in BAD_OUTCOMES)
    alerted_good = sum(1 for e in alerted if e.category in GOOD_OUTCOMES)
    not_alerted = len(checked) - len(alerted)
    good_not_alerted = len(good) - alerted_good
    pct = _ratio(len(alerted), len(checked))
    return AlertAccuracy(
        n_episodes=len(checked),
        n_alerted=len(alerted),
        percent_flagged=None if pct is None else 100.0 * pct,
        n_deteriorated=len(deteriorated),
        n_deteriorated_alerted=len(first),
        n_deteriorated_alerted_by_session=det_by,
        first_alert_sessions_deteriorated=first,
        median_first_alert_session=float(statistics.median(first)) if first else None,
        sensitivity=_ratio(len(first), len(deteriorated)),
        sensitivity_by_session=_ratio(det_by, len(deteriorated)),
        n_bad_outcome=len(bad),
        n_good_outcome=len(good),
        n_alerted_bad_outcome=alerted_bad,
        n_alerted_improved=alerted_good,
        bad_outcome_sensitivity=_ratio(alerted_bad, len(bad)),
        ppv=_ratio(alerted_bad, len(alerted)),
        specificity=_ratio(good_not_alerted, len(good)),
        npv=_ratio(good_not_alerted, not_alerted),
        by_session=by_session,
    )
