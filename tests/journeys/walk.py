"""One journey: a therapist asks for a questionnaire, the client fills it in through the
real form, and every page and export that shows the response is opened by every role
that may see it (and refused to those who may not), in English and in Spanish."""

from __future__ import annotations

import html
import io
import json
import re
import time
import zipfile
from collections import Counter
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from alliance import instruments as engine
from alliance.accounts.models import User
from alliance.alerts.models import Alert, AlertKind
from alliance.instruments.alert_rules import rupture_cutoff
from alliance.instruments.texts import answer_text, option_text
from alliance.measures.instruments import practice_instrument_import
from alliance.measures.models import Administration, Response
from alliance.web.questionnaire import form_language
from tests.conftest import PASSWORD, Cast, signed_in

from .answer_space import LANGUAGES, Pattern, imported_questionnaires

# What a walk opened, by page name (printed by tests/journeys/conftest.py).
PAGES: Counter[str] = Counter()
PATTERNS: Counter[str] = Counter()
SECONDS: Counter[str] = Counter()

_ROW = re.compile(
    r'<th scope="row">(\d+)</th>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', re.DOTALL
)
_TRACE_MARKS = ("Traceback (most recent call last)", "Exception Value", 'File "/')


def registered(pattern: Pattern) -> Pattern:
    """The pattern, its imported fixture registered as a practice does: through the import
    service (in the test's database, so that every page finds it)."""
    if pattern.fixture is None:
        return pattern
    questionnaire = imported_questionnaires()[pattern.fixture]
    inst = practice_instrument_import(questionnaire, source_name=pattern.fixture)
    assert inst.content_hash == pattern.instrument.content_hash
    return Pattern(inst, pattern.fixture, pattern.answers, pattern.language, pattern.label)


def _opened(client: Client, name: str, url: str, expect: int | tuple[int, ...] = 200) -> Any:
    began = time.perf_counter()
    page = client.get(url)
    SECONDS[name.split(" ")[0]] += time.perf_counter() - began
    PAGES[name] += 1
    allowed = expect if isinstance(expect, tuple) else (expect,)
    assert page.status_code in allowed, f"{name} {url}: {page.status_code}"
    body = b"".join(page) if page.streaming else page.content
    text = body.decode("utf-8", errors="replace")
    for mark in _TRACE_MARKS:
        assert mark not in text, f"{name} {url} shows a stack trace"
    return page, text


def _speak(cast: Cast, language: str) -> None:
    users = [cast.alice, cast.sam, cast.charlie, cast.dana, cast.eve, cast.ada]
    User.objects.filter(pk__in=[u.pk for u in users]).update(language=language)


def _expected(inst: engine.Instrument, link_id: str, posted: str | None, language: str) -> str:
    if posted is None:
        return ""
    item = inst.item(link_id)
    return answer_text(item, posted, posted, language)


def _qr_answers(bundle: dict[str, Any], qr_id: str) -> dict[str, list[dict[str, Any]]]:
    qr = next(
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
        and entry["resource"].get("id") == qr_id
    )
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("answer"):
                found[item["linkId"]] = item["answer"]
                for answer in item["answer"]:
                    walk(answer.get("item", []))
            walk(item.get("item", []))

    walk(qr.get("item", []))
    return found


def _check_fhir(bundle: dict[str, Any], pattern: Pattern, response: Response) -> None:
    answers = _qr_answers(bundle, f"response-{response.pk}")
    inst = pattern.instrument
    for item in inst.items:
        posted = pattern.answers.get(item.link_id)
        if posted is None:
            assert item.link_id not in answers, f"{item.link_id} was left blank"
            continue
        given = answers.get(item.link_id)
        assert given, f"{item.link_id} is missing from the FHIR QuestionnaireResponse"
        if item.kind == "choice":
            option = next(o for o in item.options if o.code == posted)
            codings = [a["valueCoding"] for a in given if "valueCoding" in a]
            assert [c["code"] for c in codings] == [posted], (item.link_id, given)
            assert codings[0].get("display", option.display) == option.display
        elif item.kind == "integer":
            assert [a.get("valueInteger") for a in given] == [int(posted)], (item.link_id, given)
        else:
            assert [a.get("valueString") for a in given] == [posted], (item.link_id, given)


def _check_answer_rows(text: str, pattern: Pattern, language: str) -> None:
    """The clinician's answers table: each question's row shows its answer, in the page's
    language where the instrument has it; an answer without weight shows no points."""
    inst = pattern.instrument
    rows = {
        int(pos): (html.unescape(answer), points.strip())
        for pos, answer, points in _ROW.findall(text)
    }
    shown_in = form_language(inst, language)
    assert set(rows) == {item.position for item in inst.items}, "one row per question"
    for item in inst.items:
        posted = pattern.answers.get(item.link_id)
        answer, points = rows[item.position]
        expected = _expected(inst, item.link_id, posted, shown_in) or "—"
        assert answer == expected, (item.link_id, answer, expected)
        if item.kind == "choice" and not item.weighted:
            assert points == "", f"{item.link_id}: a code is no score"


def _check_form(text: str, inst: engine.Instrument, language: str) -> None:
    shown_in = form_language(inst, language)
    for item in inst.items:
        for option in item.options:
            assert escape(option_text(option, shown_in)) in text, (item.link_id, option.code)


def fill_in(cast: Cast, pattern: Pattern) -> Response:
    """The therapist asks through the real form; the client answers through the real form."""
    inst = pattern.instrument
    _speak(cast, pattern.language)
    ask = {"instrument": inst.id}
    if pattern.language not in inst.languages:
        ask["in_english"] = "on"  # the therapist agrees to send a form with no version in it
    alice = signed_in(cast.alice)
    asked = alice.post(reverse("questionnaire_request", args=[cast.dana_episode.pk]), ask)
    assert asked.status_code == 302, re.findall(r"(?s)<main.*?</main>", asked.content.decode())
    administration = Administration.objects.filter(
        episode=cast.dana_episode, instrument_id=inst.id, response__isnull=True
    ).latest("pk")

    dana = signed_in(cast.dana)
    url = reverse("checkin_fill", args=[administration.pk])
    _page, form = _opened(dana, "checkin_fill", url)
    _check_form(form, inst, pattern.language)
    started = re.search(r'name="started_at" value="([^"]+)"', form)
    assert started is not None
    data = {**pattern.answers, "started_at": started.group(1)}
    for item in inst.items:
        if item.kind == "text":
            data.setdefault(item.link_id, "")  # a blank textarea is posted empty
    sent = dana.post(url, data)
    assert sent.status_code == 302, sent.content.decode()[:3000]
    assert sent.url == reverse("checkin_done", args=[administration.pk])
    response = Response.objects.get(administration=administration)
    assert set(response.answers) | set(response.text_answers) == set(pattern.answers)
    assert response.critical_tripped == pattern.risk
    return response


def walk(cast: Cast, pattern: Pattern) -> None:
    PATTERNS[pattern.instrument.id] += 1
    response = fill_in(cast, pattern)
    alerts = list(Alert.objects.filter(response=response))
    risk_alerts = [a for a in alerts if a.kind == AlertKind.RISK]
    assert bool(risk_alerts) == pattern.risk, "a tripped risk item is an urgent alert, no other"
    if pattern.risk:
        assert all(a.is_urgent for a in risk_alerts)
    cutoff = rupture_cutoff(pattern.instrument)
    if cutoff is not None and response.total is not None:
        value, flag_if, _note = cutoff
        under = response.total <= value if flag_if == "<=" else response.total < value
        if under:
            assert any(a.kind == AlertKind.RUPTURE for a in alerts), "an alliance under cutoff"

    client_pages = {
        "checkin_done": reverse("checkin_done", args=[response.administration_id]),
        "my_progress": reverse("my_progress"),
        "portal_home": reverse("portal_home"),
    }
    record_pages = {
        "client_record": reverse("client_record", args=[cast.dana.pk]),
        "client_progress": reverse("client_progress", args=[cast.dana.pk]),
        "response_detail": reverse("response_detail", args=[response.pk]),
        "response_fhir": reverse("response_fhir", args=[response.pk]),
        **{
            f"alert_detail {alert.kind}": reverse("alert_detail", args=[alert.pk])
            for alert in alerts
        },
    }
    staff_pages = {"caseload": reverse("caseload"), "alert_list": reverse("alert_list")}
    report_pages = {
        "practice_report": reverse("practice_report"),
        "alert_accuracy": reverse("alert_accuracy"),
    }

    dana = _reauthenticated_client(cast)
    clinicians = {"alice": signed_in(cast.alice), "sam": signed_in(cast.sam)}
    charlie, ada, eve = signed_in(cast.charlie), signed_in(cast.ada), signed_in(cast.eve)
    answer_pages = {
        name: url
        for name, url in record_pages.items()
        if name == "response_detail" or name.startswith("alert_detail")
    }

    # The pages that name the answers (or the risk), in both languages; the others in the
    # language the client answered in, which alternates between patterns, so that every
    # page is read in both over the run. The FHIR download has no language.
    for language in LANGUAGES:
        _speak(cast, language)
        once = language == pattern.language
        for name, url in client_pages.items():
            if name != "checkin_done" and not once:
                continue
            _page, text = _opened(dana, name, url)
            if name == "checkin_done":
                assert ('id="crisis-heading"' in text) == pattern.risk, "crisis resources"
                if pattern.risk:
                    assert reverse("my_safety_plan") in text
        _check_record(dana, pattern, response, language)

        for who, client in clinicians.items():
            for name, url in ({**record_pages, **staff_pages} if once else answer_pages).items():
                _page, text = _opened(client, name, url)
                if name == "response_detail":
                    _check_answer_rows(text, pattern, language)
                elif name == "response_fhir":
                    _check_fhir(json.loads(text), pattern, response)
                elif name.startswith("alert_detail"):
                    assert record_pages["response_detail"] in text
                elif name == "client_record":
                    assert record_pages["response_detail"] in text, f"{who}: link to answers"
        if once:
            for client in (clinicians["sam"], ada):
                for name, url in report_pages.items():
                    _opened(client, name, url)

    # Those outside the episode learn nothing, not even that the pages exist.
    for name, url in record_pages.items():
        _opened(charlie, f"{name} (other therapist)", url, 404)
        _opened(ada, f"{name} (admin)", url, (403, 404))
    _opened(eve, "checkin_done (other client)", client_pages["checkin_done"], 404)


def _reauthenticated_client(cast: Cast) -> Client:
    """The client, having given their password again (a record download asks for it);
    one per test, as a person would, so that the re-authentication limit is not hit."""
    client = getattr(cast, "_journey_client", None)
    if client is None:
        client = signed_in(cast.dana)
        again = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert again.status_code == 302
        cast._journey_client = client  # type: ignore[attr-defined]
    return client


def _check_record(client: Client, pattern: Pattern, response: Response, language: str) -> None:
    """The client's own copy of the whole record: record.html in their language, and the
    FHIR bundle with every answer."""
    began = time.perf_counter()
    download = client.post(reverse("my_record_download"))
    SECONDS["my_record_download"] += time.perf_counter() - began
    PAGES["my_record_download"] += 1
    assert download.status_code == 200, download.status_code
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    readable = archive.read("record.html").decode()
    for link_id, posted in pattern.answers.items():
        shown = _expected(pattern.instrument, link_id, posted, language)
        assert escape(shown) in readable, (link_id, shown)
    _check_fhir(json.loads(archive.read("record.fhir.json")), pattern, response)
