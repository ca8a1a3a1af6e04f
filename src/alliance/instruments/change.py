"""Reliable and clinically significant change (Jacobson & Truax 1991)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .errors import ReliableChangeUnavailable
from .model import Instrument, Number
from .registry import resolve
from .scoring import ScoreResult

Category = Literal["recovered", "reliably improved", "no reliable change", "reliably deteriorated"]
Z_CRITICAL = 1.96  # two-tailed p < .05, Jacobson & Truax (1991)


@dataclass(frozen=True)
class ChangeResult:
    instrument_id: str
    before: Number
    after: Number
    change: Number  # after - before, in points
    index: float | None  # RCI = change / S_diff; None when no norms are known
    threshold_points: float  # smallest change in points that counts as reliable
    threshold_source: Literal["published_threshold", "jacobson_truax"]
    threshold_note: str
    reliable: bool
    improved: bool | None  # None when there is no reliable change
    clinical_before: bool | None
    clinical_after: bool | None
    category: Category


def s_diff(reliability: float, sd: float) -> float:
    """Jacobson & Truax (1991): SE = SD * sqrt(1 - r); S_diff = sqrt(2) * SE."""
    return math.sqrt(2.0) * sd * math.sqrt(1.0 - reliability)


def _total(value: Number | ScoreResult, which: str) -> Number:
    if isinstance(value, ScoreResult):
        if value.total is None:
            raise ValueError(f"the {which} response has no total (incomplete)")
        return value.total
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{which} must be a number or a ScoreResult, got {value!r}")
    return value


def reliable_change(
    instrument: str | Instrument,
    before: Number | ScoreResult,
    after: Number | ScoreResult,
    *,
    threshold_points: float | None = None,
    reliability: float | None = None,
    sd: float | None = None,
) -> ChangeResult:
    """Classify the change from ``before`` to ``after`` on ``instrument``.

    Uses, in order: ``threshold_points`` if given; else ``reliability`` and ``sd`` if given
    (e.g. a client's own variability for within-person change on session feedback); else the
    instrument's definition (a published threshold in points, or Jacobson-Truax from r and
    norm SD). A published threshold counts change of at least that many points as reliable
    (NHS Talking Therapies: "a reduction of 6 or more"); Jacobson-Truax counts |RCI| > 1.96.
    "recovered" = reliable improvement, starting in the clinical range and ending outside it.
    """
    inst = resolve(instrument)
    x1, x2 = _total(before, "before"), _total(after, "after")
    diff = x2 - x1
    spec = inst.reliable_change
    r = reliability if reliability is not None else (spec.reliability if spec else None)
    norm_sd = sd if sd is not None else (spec.norm_sd if spec else None)
    if (reliability is None) != (sd is None):
        raise ValueError("give both reliability and sd, or neither")
    if r is not None and not 0 <= r < 1:
        raise ValueError("reliability must be in [0, 1)")
    if norm_sd is not None and norm_sd <= 0:
        raise ValueError("sd must be positive")
    index = diff / s_diff(r, norm_sd) if r is not None and norm_sd is not None else None
    source: Literal["published_threshold", "jacobson_truax"]
    if threshold_points is not None:
        if threshold_points <= 0:
            raise ValueError("threshold_points must be positive")
        threshold, source, note = (
            float(threshold_points),
            "published_threshold",
            "threshold given by caller",
        )
        reliable = abs(diff) >= threshold
    elif reliability is not None and sd is not None:
        threshold = Z_CRITICAL * s_diff(reliability, sd)
        source, note = (
            "jacobson_truax",
            "Jacobson & Truax (1991) from caller-supplied reliability and SD",
        )
        reliable = index is not None and abs(index) > Z_CRITICAL
    elif (
        spec is not None
        and spec.method == "published_threshold"
        and spec.threshold_points is not None
    ):
        threshold, source, note = float(spec.threshold_points), "published_threshold", spec.source
        reliable = abs(diff) >= threshold
    elif spec is not None and spec.reliability is not None and spec.norm_sd is not None:
        threshold = Z_CRITICAL * s_diff(spec.reliability, spec.norm_sd)
        source, note = "jacobson_truax", "Jacobson & Truax (1991); " + spec.source
        reliable = index is not None and abs(index) > Z_CRITICAL
    else:
        raise ReliableChangeUnavailable(
            f"{inst.id} has no reliable-change threshold or norms; pass threshold_points, or "
            "reliability and sd"
        )
    better = diff < 0 if inst.direction == "higher_is_worse" else diff > 0
    cutoff = inst.clinical_cutoff
    clinical_before = cutoff.is_clinical(x1) if cutoff else None
    clinical_after = cutoff.is_clinical(x2) if cutoff else None
    category: Category
    if not reliable or diff == 0:
        category, improved = "no reliable change", None
    elif better:
        improved = True
        category = (
            "recovered" if clinical_before and clinical_after is False else "reliably improved"
        )
    else:
        category, improved = "reliably deteriorated", False
    return ChangeResult(
        instrument_id=inst.id,
        before=x1,
        after=x2,
        change=diff,
        index=index,
        threshold_points=threshold,
        threshold_source=source,
        threshold_note=note,
        reliable=reliable and diff != 0,
        improved=improved,
        clinical_before=clinical_before,
        clinical_after=clinical_after,
        category=category,
    )
