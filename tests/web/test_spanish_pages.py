"""A page rendered in Spanish holds no English sentence from the catalogue.

Every page each role can open (the access matrix's GET rows answering 200) is rendered
for people who read Spanish, with a record filled the way the demo fills one (sessions,
check-ins, an alert, goals, preferences, a safety plan, exercises, messages). The page's
text — what is read on screen or by a screen reader: text nodes, and the aria-label, title,
placeholder and alt attributes — must contain no catalogue message of three words or more
whose Spanish differs from its English: such a sentence there means a string that was not
translated (built outside gettext, or translated before the language was known).

People's own words are not messages, and a questionnaire with no official Spanish is
shown in English on purpose, marked lang="en"; neither can match a catalogue sentence.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import alliance
from tests.conftest import Cast
from tests.web.test_access_matrix import MATRIX, Records, make_records, user_for

PO = Path(alliance.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po"
ROLES = ("anon", "client", "other_client", "therapist", "other_therapist", "supervisor", "admin")
READ_ATTRIBUTES = {"aria-label", "aria-description", "title", "placeholder", "alt"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sd]|\{\{[^}]*\}\}")
TAG = re.compile(r"<[^>]+>")


def english_sentences() -> dict[str, str]:
    """Catalogue sentences (3+ words) that read differently in Spanish, as the longest run
    of words between placeholders and tags (what a page would show of them)."""
    found: dict[str, str] = {}
    for entry in polib.pofile(str(PO)):
        if entry.obsolete or not entry.msgstr or entry.msgstr == entry.msgid:
            continue
        text = unescape(TAG.sub(" ", entry.msgid))
        pieces = [" ".join(p.split()) for p in PLACEHOLDER.split(text)]
        longest = max(pieces, key=lambda p: len(p.split()))
        if len(longest.split()) >= 3:
            found[longest] = entry.msgid
    return found


class PageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = PageText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def fill_the_record(cast: Cast) -> None:
    """Dana's episode as the demo fills a client's, in Spanish."""
    from alliance.care.models import Session
    from alliance.checkins.services import response_submit
    from alliance.exercises.demo import demo_exercises
    from alliance.measures.services import administration_request
    from alliance.messaging.demo import demo_messaging
    from alliance.plans.demo import demo_plans
    from alliance.preferences.demo import demo_preferences
    from alliance.safety.demo import demo_safety

    now = timezone.now()
    episode = cast.dana_episode
    for number in (1, 2, 3):
        Session.objects.create(
            episode=episode, number=number, starts_at=now - timedelta(weeks=4 - number)
        )
    Session.objects.create(episode=episode, number=4, starts_at=now + timedelta(days=2))
    for instrument_id, answers in (
        ("gad-7", [2, 2, 1, 1, 2, 1, 1]),
        ("session-feedback", [9, 8, 9, 9, 8]),
        ("pcl-5", [1] * 20),
    ):
        done = administration_request(
            actor=cast.alice, episode=episode, instrument_id=instrument_id
        )
        response_submit(actor=cast.dana, administration=done, answers=answers)
    for feature, make in (
        ("plans", demo_plans),
        ("preferences", demo_preferences),
        ("safety", demo_safety),
        ("exercises", demo_exercises),
        ("messaging", demo_messaging),
    ):
        make(episode=episode, rng=random.Random(f"{feature}-spanish-pages"), now=now)


@pytest.fixture
def spanish_practice(cast: Cast) -> Records:
    from alliance.accounts.models import User

    User.objects.update(language="es")
    for person in (cast.alice, cast.sam, cast.charlie, cast.dana, cast.eve, cast.ada):
        person.refresh_from_db()
    records = make_records(cast)
    fill_the_record(cast)
    return records


def pages_for(role: str) -> list[str]:
    return sorted(
        name
        for name, (_, methods) in MATRIX.items()
        if methods.get("GET", {}).get(role) == 200 and not name.endswith("_fhir")
    )


@pytest.mark.parametrize("role", ROLES)
def test_no_english_sentence_on_a_spanish_page(
    cast: Cast, spanish_practice: Records, role: str
) -> None:
    sentences = english_sentences()
    client = Client()
    if role == "anon":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    else:
        client.force_login(user_for(cast, role))
    found: dict[str, list[str]] = {}
    for name in pages_for(role):
        make_kwargs, _ = MATRIX[name]
        url = reverse(name, kwargs=make_kwargs(cast, spanish_practice) if make_kwargs else None)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        text = page_text(response.content.decode())
        for sentence in sentences:
            if sentence in text:
                found.setdefault(name, []).append(sentence)
    assert not found, f"English on Spanish pages ({role}): {found}"


def test_the_check_finds_an_english_sentence() -> None:
    sentences = english_sentences()
    assert "There are no right or wrong answers." in sentences
    text = page_text(
        '<p>Hola <span aria-label="Skip to main content">x</span></p><script>var a = "Save '
        'the schedule";</script>'
    )
    assert "Skip to main content" in text and "Save the schedule" not in text
