"""Alert findings as codes with their numbers (STYLE.md 12), read from the English sentences
alerts stored before.

Each English reason the rules wrote is recognised here and becomes the code and numbers
``alliance.alerts.findings`` makes today; a sentence that is not recognised is kept as it was
written (``{"code": "text", "text": ...}``) and shown as such. The model that gave the
expected course, and the rupture rule's method, become a ``method_*`` finding when their
English name is recognised. ``details`` is left exactly as it was: it is what the alert
recorded then, and a client's record export shows it unchanged.

The patterns are frozen here as the engine wrote its sentences up to this migration, so that
later changes to the engine cannot change what this migration does.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

N = r"(-?\d+(?:\.\d+)?)"
SCORE_AT = rf"^Score {N} at session (\d+) is "


def _n(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _track(reason: str) -> dict[str, Any] | None:
    found = re.match(
        SCORE_AT + rf"{N} points above an intake of {N}, at least the reliable-change threshold "
        rf"of {N}: reliable deterioration \(threshold source: .*\)\.$",
        reason,
        re.S,
    )
    if found:
        latest, session, _rise, intake, threshold = found.groups()
        return {
            "code": "reliable_deterioration",
            "latest": _n(latest),
            "session": int(session),
            "intake": _n(intake),
            "threshold": _n(threshold),
        }
    for code, band_text, verdict in (
        ("curve_red", "is at or above", "not on track"),
        ("curve_amber", "is above", "at risk"),
    ):
        half = r"\(half the reliable-change threshold\)" if code == "curve_amber" else ""
        default = re.match(
            SCORE_AT[: -len("is ")]
            + band_text
            + rf" the expected {N} \+ {N} "
            + (half or r"\(reliable-change threshold\)")
            + rf" for an intake of {N}: {verdict} \(.*\)\.$",
            reason,
        )
        if default:
            latest, session, expected, plus, intake = default.groups()
            return {
                "code": code,
                "latest": _n(latest),
                "session": int(session),
                "intake": _n(intake),
                "expected": _n(expected),
                "band": _n(str(round(float(expected) + float(plus), 2))),
            }
        percent = "90" if code == "curve_red" else "75"
        fitted = re.match(
            SCORE_AT[: -len("is ")]
            + band_text
            + rf" (?:the practice's|the blended \(.*?\)) {percent}% band of {N} \(expected {N}\) "
            rf"for an intake of {N}: {verdict} \(.*\)\.$",
            reason,
        )
        if fitted:
            latest, session, band, expected, intake = fitted.groups()
            return {
                "code": code,
                "latest": _n(latest),
                "session": int(session),
                "intake": _n(intake),
                "expected": _n(expected),
                "band": _n(band),
            }
    found = re.match(
        rf"^PHQ-9 score {N} at (?:week {N} since intake|session \d+ \(taken as week {N} since "
        rf"intake\)) is at or above the non-response cut point of (\d+) that applies from week "
        r"(\d+) \(Schueller et al\. 2015; weekly sessions\)\.$",
        reason,
    )
    if found:
        latest, week, week_taken, cut, start = found.groups()
        return {
            "code": "schueller",
            "latest": _n(latest),
            "week": _n(week if week is not None else week_taken),
            "cut": int(cut),
            "from_week": int(start),
        }
    found = re.match(
        SCORE_AT + rf"(?:only {N} points below|no lower than) an intake of {N}, (?:less than|short "
        rf"of) the reliable-change threshold of {N}: no reliable improvement by session (\d+) "
        r"\(TRAJECTORIES\.md; Saunders et al\. 2019\)\.$",
        reason,
    )
    if found:
        latest, session, _below, intake, threshold, by_session = found.groups()
        return {
            "code": "no_reliable_improvement",
            "latest": _n(latest),
            "session": int(session),
            "intake": _n(intake),
            "threshold": _n(threshold),
            "by_session": int(by_session),
        }
    found = re.match(r"^Lowered to at risk: before session (\d+) a score no higher than", reason)
    if found:
        return {"code": "late_response_cap", "by_session": int(found.group(1))}
    found = re.match(
        rf"^Intake {N} is below the caseness cutoff of {N}, so only the reliable-deterioration "
        r"rule applies \(TRAJECTORIES\.md\)\.$",
        reason,
    )
    if found:
        intake, cutoff = found.groups()
        return {"code": "intake_below_caseness", "intake": _n(intake), "cutoff": _n(cutoff)}
    return None


def _rupture(reason: str) -> dict[str, Any] | None:
    found = re.match(
        rf"^.+ total {N} is (?:{N} or less|under {N}) \(rupture cutoff: (Alliance's own "
        r"suggestion, not a validated cutoff|the instrument's rupture cutoff)\): worth a "
        r"check-in\.$",
        reason,
    )
    if found:
        latest, at_most, under, source = found.groups()
        return {
            "code": "under_cutoff",
            "latest": _n(latest),
            "cutoff": _n(at_most if at_most is not None else under),
            "flag_if": "<=" if at_most is not None else "<",
            "ours": source.startswith("Alliance"),
        }
    found = re.match(
        rf"^Total {N} is {N} points below this client's own running mean of {N} over (\d+) "
        rf"earlier sessions, more than the {N} points that count as a reliable drop \(1\.96 x "
        rf"sqrt\(2\) x SD {N}, Jacobson & Truax 1991 applied to the client's own variability"
        rf"(?:; the client's SD of {N} was raised to the floor of {N}, 5% of the range "
        r"\(ours\))?\)\.$",
        reason,
    )
    if found:
        latest, drop, mean, earlier, threshold, sd_used, sd, floor = found.groups()
        return {
            "code": "reliable_drop",
            "latest": _n(latest),
            "drop": _n(drop),
            "mean": _n(mean),
            "earlier": int(earlier),
            "threshold": _n(threshold),
            "sd_used": _n(sd_used),
            "sd": _n(sd) if sd is not None else None,
            "floor": _n(floor) if floor is not None else None,
        }
    return None


def finding_from_reason(kind: str, reason: str) -> dict[str, Any]:
    """The code and numbers of one English reason, or the sentence kept as text."""
    parse = _rupture if kind == "rupture" else _track
    found = parse(reason) if isinstance(reason, str) else None
    return found if found is not None else {"code": "text", "text": str(reason)}


def method_finding(kind: str, details: dict[str, Any]) -> dict[str, Any] | None:
    """The ``method_*`` finding the English model name or method stands for, if recognised."""
    if kind == "rupture":
        method = details.get("method")
        if isinstance(method, str) and method.startswith("Rupture (DESIGN.md): "):
            return {"code": "method_rupture"}
        return None
    name = details.get("model_name")
    if not isinstance(name, str):
        return None
    if name == "Alliance default (log-session curve, TRAJECTORIES.md)":
        return {"code": "method_default_curve"}
    full_at = re.search(r"Until (\d+) episodes", str(details.get("method", "")))
    fitted = re.match(r"^Practice-fitted mixed model \(n = (\d+) episodes\)$", name)
    blended = re.match(
        r"^Practice-fitted mixed model blended with the Alliance default \(n = (\d+) "
        r"episodes; (\d+)% practice curve\)$",
        name,
    )
    if fitted is None and blended is None:
        return None
    return {
        "code": "method_fitted_curve",
        "episodes": int(fitted.group(1)) if fitted else int(blended.group(1)) if blended else 0,
        "weight": int(blended.group(2)) / 100 if blended else 1,
        "full_weight_at": int(full_at.group(1)) if full_at else 500,
    }


def findings_from_details(kind: str, details: dict[str, Any]) -> list[dict[str, Any]]:
    if kind == "disengagement":
        return [{"code": "missed_checkins", "count": int(details.get("missed") or 2)}]
    reasons = details.get("reasons")
    found = [finding_from_reason(kind, reason) for reason in reasons or []]
    method = method_finding(kind, details)
    if method is not None:
        found.append(method)
    return found


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Alert = apps.get_model("alerts", "Alert")
    for alert in Alert.objects.exclude(kind="risk").iterator():
        findings = findings_from_details(alert.kind, alert.details or {})
        if findings:
            Alert.objects.filter(pk=alert.pk).update(findings=findings)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0006_alert_acknowledged_with"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="findings",
            field=models.JSONField(blank=True, default=list),
        ),
        # Backwards, the column simply goes: ``details`` never changed.
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
