"""When to show a client a short note of encouragement, and which one.

Pure functions: the pages gather the facts (risk, the reliable-change category since
intake, the client's goal ratings) and these decide. The note is shown only for real
change — a reliable improvement on a measure (Jacobson & Truax, computed by the instrument
engine) or a goal rating higher than that goal's previous one — and never beside a risk
answer or crisis resources, where a cheerful note would be out of place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from alliance.instruments.alert_rules import GOOD_OUTCOMES

Reason = Literal["reliable_change", "goal_rose"]

# Plain and warm, and careful not to claim more than the numbers show.
NOTES: dict[Reason, tuple[Promise, ...]] = {
    "reliable_change": (
        _(
            "Your check-ins show a real change since you started — more than the usual ups "
            "and downs. That is worth noticing."
        ),
        _(
            "Things have moved in a good direction since you began. The effort you are "
            "putting in counts."
        ),
        _(
            "Your answers suggest things have become easier since you started. Well done for "
            "keeping going."
        ),
    ),
    "goal_rose": (
        _("You rated yourself further along on a goal than last time. Small steps add up."),
        _("Your rating on a goal went up since last time. It is worth taking a moment to notice."),
        _("You have moved a step closer to a goal you set. Keep going at your own pace."),
    ),
}


@dataclass(frozen=True)
class RatingChange:
    """One goal's newest rating and the one before it (None for a first rating)."""

    previous: int | None
    latest: int


def goal_rose(change: RatingChange) -> bool:
    """A rating counts as progress only against an earlier rating of the same goal."""
    return change.previous is not None and change.latest > change.previous


def reliably_improved(category: str | None) -> bool:
    """A "recovered" or "reliably improved" category from the instrument engine."""
    return category in GOOD_OUTCOMES


def encouragement_reason(
    *,
    risk: bool,
    crisis_shown: bool = False,
    change_category: str | None = None,
    rating_changes: Sequence[RatingChange] = (),
) -> Reason | None:
    """Why to encourage the client now, or None. Risk and crisis pages always win."""
    if risk or crisis_shown:
        return None
    if reliably_improved(change_category):
        return "reliable_change"
    if any(goal_rose(change) for change in rating_changes):
        return "goal_rose"
    return None


def encouragement_note(reason: Reason | None, seed: int) -> str:
    """One of the notes for ``reason``, the same one for the same seed (a page reload
    shows the same words), in the active language."""
    if reason is None:
        return ""
    variants = NOTES[reason]
    return str(variants[seed % len(variants)])
