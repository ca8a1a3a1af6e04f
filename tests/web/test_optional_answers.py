"""Optional and unscored answers, along the whole path a response travels.

A client who answers an optional or unscored item (the PHQ-9's "how difficult" question,
whose answers are LOINC codes with no weight; the PHQ-15's optional item; the comment on
session feedback) must leave a response that every page can open: the therapist's and
the supervisor's answers page, its FHIR download, the alert it raised, the client's
progress and result pages, the practice report and the client's record export. Each case goes
through the real check-in form, for every such item of every shipped instrument and each
of its answers.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from alliance import instruments as engine
from alliance.alerts.models import Alert
from alliance.instruments.texts import option_text
from alliance.measures.models import Response
from alliance.measures.services import administration_request
from tests.conftest import PASSWORD, Cast, signed_in

COMMENT = "Kind words about today, with an ampersand & a quote's end"

SHIPPED = [
    inst for inst in engine.list_instruments() if inst.source == "builtin" and inst.is_scored
]


def _optional_items(inst: engine.Instrument) -> list[engine.Item]:
    """Items a client may leave blank, or whose answer adds nothing to the total."""
    return [item for item in inst.items if not item.required or item.link_id not in inst.scored]


def _cases() -> list[Any]:
    cases = []
    for inst in SHIPPED:
        for item in _optional_items(inst):
            if item.kind == "choice":
                answers: list[str] = [option.code for option in item.options]
            elif item.kind == "text":
                answers = [COMMENT]
            else:
                answers = [str(value) for value in item.allowed_values()]
            for answer in answers:
                cases.append(
                    pytest.param(inst.id, item.link_id, answer, id=f"{item.link_id}={answer}")
                )
    return cases


CASES = _cases()


def test_the_cases_cover_the_optional_and_unscored_items_we_know_of() -> None:
    covered = {(case.values[0], case.values[1]) for case in CASES}
    assert ("phq-9", "phq9-difficulty") in covered
    assert ("phq-15", "phq15-4") in covered
    assert ("session-feedback", "sf-comment") in covered
    # Every answer of the unweighted difficulty question is tried.
    assert sum(1 for case in CASES if case.values[1] == "phq9-difficulty") == 4


def _required_answer(inst: engine.Instrument, item: engine.Item) -> str:
    """The answer that most concerns a clinician, so that the response raises its alerts:
    the highest weight where higher is worse (a risk item tripped), the lowest where higher
    is better (a rupture)."""
    worst = max if inst.direction == "higher_is_worse" else min
    if item.kind == "choice":
        return worst(item.options, key=lambda o: o.weight or 0).code
    return str(worst(item.allowed_values()))


def _fill_in(client: Client, administration_id: int, inst: engine.Instrument, data: dict) -> Any:
    url = reverse("checkin_fill", args=[administration_id])
    form = client.get(url)
    assert form.status_code == 200
    started = re.search(r'name="started_at" value="([^"]+)"', form.content.decode())
    assert started is not None
    return client.post(url, {**data, "started_at": started.group(1)})


def _expected_text(inst: engine.Instrument, link_id: str, answer: str, language: str) -> str:
    item = inst.item(link_id)
    for option in item.options:
        if option.code == answer:
            return option_text(option, language)
    return answer


def _reauthenticated(user: Any) -> Client:
    client = signed_in(user)
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    return client


def _record(user: Any, url: str) -> tuple[str, str]:
    download = _reauthenticated(user).post(url)
    assert download.status_code == 200, download.status_code
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    return archive.read("record.html").decode(), archive.read("record.fhir.json").decode()


@pytest.mark.parametrize(("instrument_id", "link_id", "answer"), CASES)
def test_an_optional_answer_leaves_every_page_working(
    cast: Cast, instrument_id: str, link_id: str, answer: str
) -> None:
    inst = engine.get_instrument(instrument_id)
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id=instrument_id
    )
    data = {
        item.link_id: _required_answer(inst, item)
        for item in inst.items
        if item.required and item.link_id != link_id
    }
    data[link_id] = answer
    dana = signed_in(cast.dana)
    sent = _fill_in(dana, administration.pk, inst, data)
    assert sent.status_code == 302, sent.content.decode()[:2000]
    response = Response.objects.get(administration=administration)
    shown = _expected_text(inst, link_id, answer, cast.dana.language)

    # The client: the page after sending, and their progress.
    assert dana.get(sent.url).status_code == 200
    assert dana.get(reverse("my_progress")).status_code == 200

    alerts = list(Alert.objects.filter(response=response))
    if inst.critical or inst.metadata.get("rupture_cutoff"):
        assert alerts, "the worst answers raise an alert"
    for clinician in (cast.alice, cast.sam):
        client = signed_in(clinician)
        for alert in alerts:
            page = client.get(reverse("alert_detail", args=[alert.pk]))
            assert page.status_code == 200
            assert reverse("response_detail", args=[response.pk]) in page.content.decode()
        detail = client.get(reverse("response_detail", args=[response.pk]))
        assert detail.status_code == 200
        assert escape(shown) in detail.content.decode()
        if not inst.item(link_id).weighted and inst.item(link_id).kind == "choice":
            assert answer not in detail.content.decode(), "a code is no score"
        fhir = client.get(reverse("response_fhir", args=[response.pk]))
        assert fhir.status_code == 200
        assert json.dumps(shown, ensure_ascii=False)[1:-1] in fhir.content.decode()
        assert client.get(reverse("client_record", args=[cast.dana.pk])).status_code == 200
        assert client.get(reverse("client_progress", args=[cast.dana.pk])).status_code == 200
    assert signed_in(cast.sam).get(reverse("practice_report")).status_code == 200

    # The whole record, as the client downloads it (clinicians have no whole-record
    # download; any copy made for the client holds the same files).
    html, bundle = _record(cast.dana, reverse("my_record_download"))
    assert escape(shown) in html
    assert json.dumps(shown, ensure_ascii=False)[1:-1] in bundle


def test_a_spanish_client_sees_the_difficulty_answer_in_spanish_in_their_record(
    cast: Cast,
) -> None:
    inst = engine.get_instrument("phq-9")
    administration = administration_request(
        actor=cast.alice, episode=cast.eve_episode, instrument_id="phq-9"
    )
    data = {item.link_id: item.options[0].code for item in inst.items if item.required}
    data["phq9-difficulty"] = "LA6575-0"
    sent = _fill_in(signed_in(cast.eve), administration.pk, inst, data)
    assert sent.status_code == 302
    shown = _expected_text(inst, "phq9-difficulty", "LA6575-0", "es")
    assert shown != _expected_text(inst, "phq9-difficulty", "LA6575-0", "en")
    html, _bundle = _record(cast.eve, reverse("my_record_download"))
    assert escape(shown) in html
    response = Response.objects.get(administration=administration)
    detail = signed_in(cast.alice).get(reverse("response_detail", args=[response.pk]))
    assert detail.status_code == 200
