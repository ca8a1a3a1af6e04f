"""One check-in sent twice — a second tab, the back button, a resend: the answers sent
first are the ones kept, the client is told so, and a risk answer in the second copy is
never dropped: it brings the crisis help and raises the urgent alert (DESIGN.md, "Risk"),
once, and the therapist reads on the alert what was sent and when."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from alliance.alerts.models import Alert
from alliance.measures.models import Administration, Response
from alliance.measures.services import administration_request
from tests.conftest import Cast, signed_in
from tests.web.test_checkin import phq9_post

CALM = [1] * 8 + [0]
RISK = [1] * 8 + [2]
CRISIS = "face this alone"
ALREADY = "You had already sent this check-in"


def ask(cast: Cast, episode: Any = None) -> Administration:
    episode = episode or cast.dana_episode
    return administration_request(actor=cast.alice, episode=episode, instrument_id="phq-9")


def send_twice(
    cast: Cast, first: list[int], second: list[int], capture: Any, who: Any = None
) -> tuple[Administration, str]:
    """Both tabs opened, then the first copy sent, then the second; the page the second
    lands on."""
    who = who or cast.dana
    administration = ask(cast, cast.eve_episode if who == cast.eve else None)
    client = signed_in(who)
    url = reverse("checkin_fill", args=[administration.pk])
    client.get(url)
    client.get(url)
    with capture(execute=True):
        assert client.post(url, phq9_post(first)).status_code == 302
        again = client.post(url, phq9_post(second))
    assert again.status_code == 302
    assert again.url == reverse("checkin_done", args=[administration.pk])  # type: ignore[attr-defined]
    return administration, client.get(again.url).content.decode()  # type: ignore[attr-defined]


def calm_then(
    cast: Cast, capture: Any, copies: list[dict[str, str]]
) -> tuple[Administration, Any, list[Any]]:
    """Dana sends her check-in with calm answers, then each of ``copies`` of the same form;
    the check-in, her signed-in client and the answers to the copies."""
    administration = ask(cast)
    client = signed_in(cast.dana)
    url = reverse("checkin_fill", args=[administration.pk])
    with capture(execute=True):
        client.post(url, phq9_post(CALM))
        sent = [client.post(url, copy) for copy in copies]
    return administration, client, sent


def test_a_risk_answer_in_the_second_tab_brings_crisis_help_and_the_alert(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    administration, page = send_twice(cast, CALM, RISK, django_capture_on_commit_callbacks)
    # The first copy is kept, unchanged.
    (response,) = Response.objects.filter(administration=administration)
    assert (response.total, response.critical) == (8, [])
    # The second copy's risk answer is not dropped.
    assert CRISIS in page and 'href="tel:988"' in page
    assert ALREADY in page
    alert = Alert.objects.get()
    assert (alert.kind, alert.response, alert.client) == ("risk", response, cast.dana)
    assert alert.details["items"] == [{"link_id": "phq9-9", "position": 9, "value": 2}]
    assert alert.details["answers"] == {"phq9-9": {"value": 2, "code": "LA6570-1"}}
    assert alert.details["sent_again_at"]
    # The therapist is e-mailed as for any risk alert, with no health information.
    assert alert.notification == "sent"
    (message,) = mail.outbox
    assert message.to == ["alice@example.test"]
    for word in ("dana", "phq", "risk", "item"):
        assert word not in (message.subject + message.body).lower()


def test_the_therapist_reads_on_the_alert_what_the_second_copy_said(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    administration, _page = send_twice(cast, CALM, RISK, django_capture_on_commit_callbacks)
    alert = Alert.objects.get()
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "sent this check-in a second time" in page
    assert reverse("response_detail", args=[administration.response.pk]) in page
    # The risk item and the answer the second copy gave, not the first copy's "Not at all".
    assert "Item 9" in page and "More than half the days" in page
    # No table of "the answers that raised it": the copy was not stored, only its risk answer.
    assert "The answers that raised it" not in page


def test_a_calm_second_tab_is_told_its_answers_were_not_kept_and_raises_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    administration, page = send_twice(cast, CALM, [3] * 8 + [0], django_capture_on_commit_callbacks)
    assert ALREADY in page and CRISIS not in page
    assert Response.objects.get(administration=administration).total == 8
    assert not Alert.objects.exists() and not mail.outbox


def test_a_risk_answer_kept_first_is_one_alert_whatever_comes_after(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    _administration, page = send_twice(cast, RISK, CALM, django_capture_on_commit_callbacks)
    assert CRISIS in page
    assert Alert.objects.count() == 1 and "sent_again_at" not in Alert.objects.get().details


@pytest.mark.parametrize("copies", [2, 4])
def test_risk_answers_sent_again_and_again_raise_one_alert(
    cast: Cast, django_capture_on_commit_callbacks: Any, copies: int
) -> None:
    administration, client, sent = calm_then(
        cast, django_capture_on_commit_callbacks, [phq9_post(RISK)] * copies
    )
    assert [response.status_code for response in sent] == [302] * copies
    assert Alert.objects.count() == 1 and len(mail.outbox) == 1
    # Every later visit of the done page still shows the crisis help.
    assert CRISIS in client.get(reverse("checkin_done", args=[administration.pk])).content.decode()


def test_a_spanish_client_reads_it_in_spanish(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    _administration, page = send_twice(
        cast, CALM, RISK, django_capture_on_commit_callbacks, who=cast.eve
    )
    assert "Ya había enviado este cuestionario" in page
    assert "No tiene que afrontar esto en soledad" in page
    assert ALREADY not in page


@pytest.mark.parametrize(
    "second",
    [
        # Only the risk item answered: the copy is incomplete, its risk answer still counts.
        {"phq9-9": "LA6571-9"},
        # Every item, the optional difficulty item too, and a start time that is no date.
        {**phq9_post(RISK), "phq9-difficulty": "LA6573-5", "started_at": "31/02/2026 25:99"},
    ],
    ids=["only-item-9", "optional-item-and-bad-start-time"],
)
def test_a_risk_answer_counts_whatever_else_the_copy_holds(
    cast: Cast, django_capture_on_commit_callbacks: Any, second: dict[str, str]
) -> None:
    administration, client, (again,) = calm_then(cast, django_capture_on_commit_callbacks, [second])
    assert again.status_code == 302
    assert CRISIS in client.get(again.url).content.decode()  # type: ignore[attr-defined]
    (alert,) = Alert.objects.all()
    assert alert.details["answers"]["phq9-9"]["code"] in ("LA6570-1", "LA6571-9")
    assert Response.objects.get(administration=administration).total == 8


def test_a_questionnaire_with_no_risk_item_sent_twice_raises_nothing(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="gad-7"
    )
    client = signed_in(cast.dana)
    url = reverse("checkin_fill", args=[administration.pk])
    codes = {f"gad7-{n}": "LA6568-5" for n in range(1, 8)}
    client.post(url, codes)
    page = client.get(client.post(url, {k: "LA6571-9" for k in codes}).url).content.decode()  # type: ignore[attr-defined]
    assert ALREADY in page and CRISIS not in page
    assert not Alert.objects.exists()


def test_a_spanish_speaking_therapist_reads_the_alert_in_spanish(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    send_twice(cast, CALM, RISK, django_capture_on_commit_callbacks)
    cast.alice.language = "es"
    cast.alice.save()
    alert = Alert.objects.get()
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "El/la cliente envió este cuestionario una segunda vez" in page
    assert "sent this check-in a second time" not in page
