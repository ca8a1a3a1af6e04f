"""Alert findings are stored as codes with their numbers and read in the reader's language;
the English sentences stored before are turned into the same codes by migration 0007."""

from __future__ import annotations

import importlib
import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from alliance.alerts.findings import rupture_findings, track_findings
from alliance.alerts.models import Alert
from alliance.alerts.rules import disengagement_check
from alliance.instruments.alert_rules import rupture_status
from alliance.instruments.trajectories.model import FittedModel
from alliance.instruments.trajectories.rules import track_status
from alliance.measures.instruments import get_instrument
from alliance.web.findings import method_sentences, reason_sentences
from tests.alerts.engine_english import rupture_details, track_details
from tests.alerts.test_rules import feedback, phq9_history, sessions_with_checkins
from tests.conftest import Cast, signed_in

migration = importlib.import_module("alliance.alerts.migrations.0007_alert_findings")

WORDS_ALLOWED = {"code", "flag_if"}


def only_codes_and_numbers(findings: list[dict[str, Any]]) -> None:
    """No sentence in any language: codes, numbers, booleans."""
    for finding in findings:
        for key, value in finding.items():
            if key in WORDS_ALLOWED:
                assert isinstance(value, str) and " " not in value, (key, value)
            else:
                assert value is None or isinstance(value, int | float | bool), (key, value)


def test_not_on_track_alert_stores_codes_not_sentences(cast: Cast) -> None:
    phq9_history(cast, [20, 20, 22])
    alert = Alert.objects.get(kind="not_on_track")
    codes = [finding["code"] for finding in alert.findings]
    assert codes == ["curve_red", "curve_amber", "method_default_curve"]
    only_codes_and_numbers(alert.findings)
    assert "reasons" not in alert.details and "method" not in alert.details
    curve = alert.findings[0]
    assert (curve["latest"], curve["session"], curve["intake"]) == (22, 3, 20)
    assert round(curve["band"], 1) == 21.6


def test_rupture_and_disengagement_alerts_store_codes(cast: Cast) -> None:
    feedback(cast, [50, 48, 49, 50, 30])
    rupture = Alert.objects.get(kind="rupture")
    assert [f["code"] for f in rupture.findings] == [
        "under_cutoff",
        "reliable_drop",
        "method_rupture",
    ]
    only_codes_and_numbers(rupture.findings)
    sessions_with_checkins(cast, [False, False])
    disengaged = disengagement_check(cast.dana_episode)
    assert disengaged is not None
    assert disengaged.findings == [{"code": "missed_checkins", "count": 2}]


def test_alert_page_reads_the_findings_in_english(cast: Cast) -> None:
    phq9_history(cast, [20, 20, 22])
    alert = Alert.objects.get(kind="not_on_track")
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "Score 22 at session 3 is at or above 21.6" in page
    assert "Alliance default (log-session curve)" in page
    assert "Saunders et al. 2019" in page  # the method's rules note


def test_a_spanish_speaking_therapist_reads_the_findings_in_spanish(cast: Cast) -> None:
    cast.alice.language = "es"
    cast.alice.save()
    phq9_history(cast, [20, 20, 22])
    alert = Alert.objects.get(kind="not_on_track")
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "La puntuación 22 en la sesión 3 está en 21,6 o por encima" in page
    assert "Score 22 at session 3" not in page
    assert "Predeterminado de Alliance" in page


def test_every_finding_reads_in_spanish() -> None:
    findings = [
        {
            "code": "reliable_deterioration",
            "latest": 19,
            "session": 4,
            "intake": 12,
            "threshold": 6,
        },
        {
            "code": "curve_red",
            "latest": 22,
            "session": 3,
            "intake": 20,
            "expected": 15.6,
            "band": 21.6,
        },
        {"code": "schueller", "latest": 14, "week": 9.3, "cut": 13, "from_week": 9},
        {
            "code": "curve_amber",
            "latest": 22,
            "session": 3,
            "intake": 20,
            "expected": 15.6,
            "band": 18.6,
        },
        {
            "code": "no_reliable_improvement",
            "latest": 15,
            "session": 6,
            "intake": 12,
            "threshold": 6,
            "by_session": 6,
        },
        {"code": "late_response_cap", "by_session": 6},
        {"code": "intake_below_caseness", "intake": 6, "cutoff": 10},
        {"code": "under_cutoff", "latest": 19, "cutoff": 39, "flag_if": "<=", "ours": True},
        {
            "code": "reliable_drop",
            "latest": 41,
            "drop": 7.2,
            "mean": 48.2,
            "earlier": 5,
            "threshold": 6.9,
            "sd_used": 2.5,
            "sd": 1.5,
            "floor": 2.5,
        },
        {"code": "missed_checkins", "count": 2},
    ]
    with translation.override("en"):
        english = reason_sentences(findings)
    with translation.override("es"):
        spanish = reason_sentences(findings)
        for method in ("method_default_curve", "method_rupture"):
            assert method_sentences([{"code": method}]) is not None
        fitted = method_sentences(
            [
                {
                    "code": "method_fitted_curve",
                    "episodes": 300,
                    "weight": 0.3333,
                    "full_weight_at": 500,
                }
            ]
        )
    assert len(english) == len(spanish) == len(findings)
    for en, es in zip(english, spanish, strict=True):
        assert en != es, en
    assert "7,2" in spanish[8]  # Spanish decimals
    assert fitted is not None and "33" in fitted[0] and "n = 300" in fitted[0]


def test_a_sentence_that_was_not_recognised_is_shown_as_written() -> None:
    assert reason_sentences([{"code": "text", "text": "Written by hand, long ago."}]) == [
        "Written by hand, long ago."
    ]


# -- the migration reads what the engine wrote ----------------------------------------------


def close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, abs_tol=0.051)
    return bool(a == b)


def same_findings(parsed: list[dict[str, Any]], made: list[dict[str, Any]]) -> bool:
    return len(parsed) == len(made) and all(
        p.keys() == m.keys() and all(close(p[k], m[k]) for k in p)
        for p, m in zip(parsed, made, strict=True)
    )


FITTED = [
    FittedModel(
        instrument_id="phq-9",
        n_episodes=n,
        n_observations=n * 6,
        fe_params=(9.0, 0.7, -2.5, -0.1, 0.01),
        cov_re=((4.0, 0.3), (0.3, 1.0)),
        scale=9.0,
        intake_centre=15.0,
        log_k_centre=1.2,
        intake_min=4.0,
        intake_max=27.0,
    )
    for n in (320, 640)
]


@pytest.mark.parametrize("model", [None, *FITTED], ids=["default", "blended", "fitted"])
def test_every_not_on_track_sentence_the_engine_wrote_becomes_the_same_codes(
    model: FittedModel | None,
) -> None:
    compared = 0
    for intake in (6, 12, 14, 20, 25):
        for k in (2, 3, 5, 6, 8, 12):
            for latest in range(0, 28, 2):
                for weeks in (None, k - 0.7, 2.0 * k):
                    status = track_status(
                        "phq-9", intake, k, latest, weeks_since_intake=weeks, model=model
                    )
                    if status.level == "on track":
                        continue
                    details = track_details(status, model)
                    parsed = migration.findings_from_details("not_on_track", details)
                    made = track_findings(status)
                    assert same_findings(parsed, made), (details, parsed, made)
                    compared += 1
    assert compared > 200


def test_every_rupture_sentence_the_engine_wrote_becomes_the_same_codes() -> None:
    instrument = get_instrument("session-feedback")
    compared = 0
    for history in ([], [45], [50, 48, 49], [50, 50, 50, 50, 50], [30, 45, 50, 40, 35]):
        for latest in range(0, 51, 3):
            status = rupture_status(instrument, history, latest)
            if status is None:
                continue
            details = rupture_details(status, instrument)
            parsed = migration.findings_from_details("rupture", details)
            made = rupture_findings(status)
            assert same_findings(parsed, made), (details, parsed, made)
            compared += 1
    assert compared > 20


def test_an_unrecognised_sentence_is_kept_as_text() -> None:
    parsed = migration.findings_from_details(
        "not_on_track", {"reasons": ["Something a later engine wrote."], "model_name": "Other"}
    )
    assert parsed == [{"code": "text", "text": "Something a later engine wrote."}]


def test_the_released_practices_alerts_are_all_recognised(tmp_path: Path) -> None:
    """`alliance migrate` on the upgrade fixture: every English reason it holds becomes a
    code, and ``details`` stays as it was."""
    from tests.fixtures.make_upgrade_fixture import DUMP, alliance, environment, load_dump

    database = tmp_path / "practice.sqlite3"
    load_dump(DUMP, database)

    def alerts() -> list[tuple[Any, ...]]:
        with sqlite3.connect(database) as connection:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(alerts_alert)")}
            findings = "findings" if "findings" in columns else "'[]'"
            rows = connection.execute(
                f"SELECT id, kind, details, {findings} FROM alerts_alert ORDER BY id"
            ).fetchall()
        connection.close()
        return rows

    before = {pk: details for pk, _kind, details, _findings in alerts()}
    alliance(environment(database, tmp_path / "var"), "migrate", "--no-input", "-v", "0")
    after = alerts()
    assert {pk: details for pk, _kind, details, _findings in after} == before
    reasons = 0
    for _pk, kind, details, findings in after:
        stored = json.loads(findings)
        if kind == "risk":
            assert stored == []
            continue
        codes = [finding["code"] for finding in stored]
        assert codes and "text" not in codes, (kind, details, stored)
        reasons += len(json.loads(details).get("reasons", []))
        if kind == "not_on_track":
            assert codes[-1] in ("method_default_curve", "method_fitted_curve")
    assert reasons >= 5
