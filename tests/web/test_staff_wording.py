"""Staff screens speak plain clinical English and Spanish, never code: no "is None", no
rate written as 1.00, no band code such as "moderately-severe", no provenance note pasted
into a sentence."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alliance.instruments.alert_rules import ClosedEpisode, alert_accuracy
from alliance.measures.models import Response
from tests.conftest import Cast, signed_in
from tests.web.test_progress import START, clinician_page, submit_series


def _in_spanish(user: Any) -> Any:
    user.language = "es"
    user.save(update_fields=["language"])
    return user


def test_the_client_record_names_the_band_as_the_instrument_does(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [17])
    html = signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk])).content
    assert b"Moderately severe" in html
    assert b"moderately-severe" not in html


def test_the_response_page_names_band_and_subscales_in_the_readers_language(
    cast: Cast,
) -> None:
    (response,) = submit_series(cast.dana_episode, "phq-9", [17])
    alice = signed_in(_in_spanish(cast.alice))
    html = alice.get(reverse("response_detail", args=[response.pk])).content.decode()
    assert "Moderadamente grave" in html
    assert "Moderately severe" not in html


def test_pcl5_subscales_are_named_not_coded(cast: Cast) -> None:
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="pcl-5", created_at=START
    )
    response: Response = response_submit(
        actor=cast.dana,
        administration=administration,
        answers=[min(4, max(0, 40 - 4 * i)) for i in range(20)],
        submitted_at=START,
    )
    html = signed_in(cast.alice).get(reverse("response_detail", args=[response.pk])).content
    assert b"Negative alterations in cognition and mood (cluster D)" in html
    assert b"<dt>cognition-mood</dt>" not in html


def test_the_reliable_change_sentence_names_its_source_in_plain_words(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    html = clinician_page(cast)
    assert "read in a secondary source only" not in html
    assert "Source: NHS Talking Therapies Manual: reliable improvement" not in html
    assert "NHS Talking Therapies Manual" in html
    assert "checked only in a secondary source" in html


def test_completion_rates_are_percentages(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [10])
    html = signed_in(cast.sam).get(reverse("practice_report")).content.decode()
    assert "1 of 1 check-ins that fell due were completed (100%)." in html
    assert "(1.00)" not in html and "<td>1.00</td>" not in html
    assert "<td>100%</td>" in html


EPISODES = [
    ClosedEpisode(category="reliably deteriorated", alert_sessions=(2,)),
    ClosedEpisode(category="no reliable change", alert_sessions=(3,)),
    ClosedEpisode(category="reliably improved"),
    ClosedEpisode(category="recovered", alert_sessions=(4,)),
]


@pytest.fixture
def audit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Closed episodes are built over months; the page only shows the pure audit's figures
    (through its snapshot, so the figures also go through JSON and back)."""
    monkeypatch.setattr(
        "alliance.alerts.snapshots.alert_accuracy_audit", lambda _id: alert_accuracy(EPISODES)
    )


def test_alert_accuracy_shows_percentages_and_explains_what_cannot_be_computed(
    cast: Cast, audit: None
) -> None:
    html = signed_in(cast.sam).get(reverse("alert_accuracy")).content.decode()
    assert "is None" not in html and "not computable" not in html
    assert "sensitivity 100%" in html  # 1 of 1 deteriorated episode was alerted
    assert "50%" in html  # specificity: 1 of 2 good outcomes had no alert
    assert "0.50" not in html and "1.00" not in html
    assert "a dash means there were no episodes to count" in html


def test_alert_accuracy_definitions_are_in_spanish_for_a_spanish_reader(
    cast: Cast, audit: None
) -> None:
    html = signed_in(_in_spanish(cast.sam)).get(reverse("alert_accuracy")).content.decode()
    assert "Sensibilidad" in html
    assert "Sensitivity: share of deteriorated" not in html


# What reads like code to a clinician: a Python value, a raw band code, a rate as a
# fraction, a comparison operator, a provenance note pasted in.
CODE_LIKE = (
    "None",
    "not computable",
    "moderately-severe",
    "(1.00)",
    ">=",
    "<=",
    "read in a secondary source only",
)


def _plain(text: str, where: str) -> None:
    for phrase in CODE_LIKE:
        assert phrase not in text, f"{phrase!r} on {where}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_staff_pages_that_show_scores_hold_nothing_that_reads_like_code(
    cast: Cast, audit: None, language: str
) -> None:
    (response, *_) = submit_series(cast.dana_episode, "phq-9", [17, 12, 18])
    for person in (cast.alice, cast.sam):
        person.language = language
        person.save(update_fields=["language"])
    pages = [
        (cast.alice, reverse("client_record", args=[cast.dana.pk])),
        (cast.alice, reverse("client_progress", args=[cast.dana.pk])),
        (cast.alice, reverse("response_detail", args=[response.pk])),
        (cast.sam, reverse("practice_report")),
        (cast.sam, reverse("alert_accuracy")),
    ]
    for person, url in pages:
        page = signed_in(person).get(url)
        assert page.status_code == 200, url
        # Only what a person reads: the page's text, not its markup's attributes.
        _plain(page.content.decode(), f"{url} ({language})")


def test_the_alert_audit_definitions_speak_plain_words() -> None:
    from alliance.instruments.alert_rules import DEFINITIONS

    _plain(" ".join(DEFINITIONS), "alert_rules.DEFINITIONS")
    assert any("cannot be worked out" in line for line in DEFINITIONS)


@pytest.mark.parametrize("instrument_id", ["phq-9", "gad-7", "session-feedback", "pcl-5"])
def test_the_instruments_command_speaks_plain_words(db: Any, instrument_id: str) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("instruments", "show", instrument_id, stdout=out)
    # Band codes are listed on purpose beside their names: they are the values
    # `alliance score` writes.
    text = out.getvalue().replace("moderately-severe  Moderately severe", "")
    _plain(text, f"alliance instruments show {instrument_id}")
