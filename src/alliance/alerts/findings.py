"""What an alert found, stored as codes with their numbers (STYLE.md 12: store facts, render
words).

An alert's ``findings`` is a list of mappings, each with a ``code`` and the numbers its
sentence needs. The rules (``alliance.alerts.rules``) make them from the engine's findings
(:class:`alliance.instruments.findings.Finding`); ``alliance.web.findings`` turns them into
words with gettext, so that a Spanish-speaking therapist reads them in Spanish. Alerts raised
before findings existed were stored as English sentences: migration 0007 turned those it could
recognise into these codes and kept the others as ``{"code": "text", "text": ...}``, shown as
they were written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliance.instruments.alert_rules import RuptureStatus
    from alliance.instruments.trajectories.model import TrackStatus

Finding = dict[str, Any]

# Reasons in the order the engine gives them: what made the alert red, what is amber,
# then notes. Codes starting "method_" say how the rule works; they are shown apart.
REASON_ORDER = (
    "reliable_deterioration",
    "curve_red",
    "schueller",
    "curve_amber",
    "no_reliable_improvement",
    "late_response_cap",
    "intake_below_caseness",
    "under_cutoff",
    "reliable_drop",
    "missed_checkins",
    "text",
)


def track_findings(status: TrackStatus) -> list[Finding]:
    """The not-on-track rules that fired, with their numbers, and the model that gave the
    expected course."""
    found = [finding.as_dict() for finding in status.findings]
    return [*_ordered(found), status.method.as_dict()]


def rupture_findings(status: RuptureStatus) -> list[Finding]:
    """The rupture rules that fired, with their numbers."""
    return [*(finding.as_dict() for finding in status.findings), status.method.as_dict()]


def disengagement_findings(missed: int) -> list[Finding]:
    return [{"code": "missed_checkins", "count": missed}]


def _ordered(findings: list[Finding]) -> list[Finding]:
    def rank(finding: Finding) -> int:
        code = finding.get("code")
        return REASON_ORDER.index(code) if code in REASON_ORDER else len(REASON_ORDER)

    return sorted(findings, key=rank)
