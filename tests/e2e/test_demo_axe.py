"""Every page the demo's people reach from their navigation passes axe, in both languages,
on a phone and on a desktop.

The small cast in test_flows.py has short tables; the demo practice has months of history,
so its tables overflow a phone's width (and Spanish labels make them wider still). A
scrolling region must be reachable by keyboard and named, or axe fails the page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from alliance.accounts.models import User
from alliance.alerts.models import Alert
from alliance.care.models import Episode
from alliance.web.demo import DEMO_PASSWORD, load_demo_practice
from tests.e2e.conftest import DESKTOP, PHONE

# Pages that are not HTML (downloads, exports) or that end the visit.
SKIP = re.compile(r"download|/fhir/|/export|logout|/language/|\.csv|\.json|/static/")
# Each person visits at most this many distinct pages (the test must stay a few minutes).
BUDGET = 20


def _pattern(path: str) -> str:
    """One visit per kind of page: /clinic/clients/5/ and /clinic/clients/6/ are one."""
    return re.sub(r"/\d+/", "/N/", path)


def _links(visitor: Any) -> list[str]:
    hrefs = visitor.page.eval_on_selector_all(
        "a[href]", "links => links.map(link => link.getAttribute('href'))"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc and parts.netloc != urlsplit(visitor.base_url).netloc:
            continue
        if not parts.path.startswith("/") or SKIP.search(parts.path):
            continue
        paths.append(parts.path)
    return paths


def _extra_pages(email: str) -> list[str]:
    """Pages the brief names that a visit from the navigation might reach only deep down."""
    client1 = User.objects.get(email="client1@demo.test")
    episode = Episode.objects.filter(client=client1).get()
    if email.startswith("client"):
        return ["/me/progress/", "/me/plan/history/", "/accounts/sessions/"]
    if email.startswith("admin"):
        return ["/accounts/sessions/"]
    pages = [
        f"/clinic/clients/{client1.pk}/",
        f"/clinic/clients/{client1.pk}/progress/",
        f"/clinic/episodes/{episode.pk}/plan/",
        "/clinic/alerts/",
        "/accounts/sessions/",
    ]
    alert = Alert.objects.filter(episode=episode).order_by("-pk").first()
    if alert is not None:
        pages.append(f"/clinic/alerts/{alert.pk}/")
    return pages


def _walk(
    visit: Any, email: str, language: str, viewport: dict[str, int], failures: list[str]
) -> list[str]:
    """Sign in, then visit home and the pages it links to (its navigation too); what
    axe finds is added to ``failures``, so that one run names every page that fails."""
    User.objects.filter(email=email).update(language=language)
    person = visit(viewport)
    person.login(email, DEMO_PASSWORD)
    home = urlsplit(person.page.url).path
    queue = [home, *_extra_pages(email)]
    seen: set[str] = set()
    depth = {path: 0 for path in queue}
    while queue and len(seen) < BUDGET:
        path = queue.pop(0)
        if _pattern(path) in seen:
            continue
        seen.add(_pattern(path))
        response = person.page.goto(person.base_url + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        try:
            person.check()
        except AssertionError as failure:
            failures.append(f"{language} {viewport['width']}px: {failure}")
            person.foreign_requests.clear()
        if depth[path] < 1:
            for link in _links(person):
                if link not in depth:
                    depth[link] = depth[path] + 1
                    queue.append(link)
    person.close()
    return sorted(seen)


PEOPLE = [
    ("client1@demo.test", ("en",)),
    ("client2@demo.test", ("es",)),
    ("therapist1@demo.test", ("en", "es")),
    ("supervisor@demo.test", ("en", "es")),
    ("admin@demo.test", ("en", "es")),
]


def test_demo_people_reach_only_pages_that_pass_axe(visit: Any) -> None:
    # One test, one load: a live-server test's database is emptied after it, so the demo
    # practice (most of a minute to load) could not be shared between tests.
    load_demo_practice(max_weeks=8)
    failures: list[str] = []
    visited: dict[str, set[str]] = {}
    for email, languages in PEOPLE:
        visited[email] = set()
        # Every language on a phone, where tables overflow; the desktop once (time).
        for language, viewport in [*((lang, PHONE) for lang in languages), (languages[0], DESKTOP)]:
            pages = _walk(visit, email, language, viewport, failures)
            assert len(pages) >= 5, (email, pages)
            visited[email] |= set(pages)
    assert not failures, "\n\n".join(failures)
    named = {"/me/progress/", "/me/plan/history/", "/accounts/sessions/"}
    assert named <= visited["client2@demo.test"], visited["client2@demo.test"]
    assert {"/clinic/clients/N/", "/clinic/alerts/N/", "/clinic/episodes/N/plan/"} <= visited[
        "therapist1@demo.test"
    ]
