"""Fuzz every form of the app (tests/forms_catalogue.py) with hypothesis.

Each example POSTs one submission drawn from the form's own fields (tests/fuzz/
strategies.py) as a role that may use the form, with CSRF checks on, and rolls back
whatever it wrote. No example may answer 5xx, raise (the test client re-raises what a
view raises), or show a stack trace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.forms_catalogue import (
    EXCLUDED,
    FORMLESS,
    Catalogue,
    FormSpec,
    build_catalogue,
    isolated,
    post_accepting_url_names,
    post_forms,
    refresh_sign_in,
)
from tests.fuzz.budget import FORM_CASES, FuzzCounter
from tests.fuzz.strategies import CSRF_SECRET, Submission, submissions

# A Python traceback, or Django's technical error page.
STACK_TRACE_MARKERS = (
    b"Traceback (most recent call last)",
    b"Exception Value:",
    b"Request Method:",
)


@pytest.fixture(scope="module")
def catalogue(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Catalogue]:
    """The cast, their records and every form, made once for the module in a transaction
    rolled back after its last test (each example also rolls back its own writes)."""
    with django_db_blocker.unblock(), transaction.atomic():
        found = build_catalogue()
        for client in found.clients.values():
            client.cookies[django_settings.CSRF_COOKIE_NAME] = CSRF_SECRET
            client.handler.enforce_csrf_checks = True
        yield found
        transaction.set_rollback(True)


def check(response: Any, spec: FormSpec, submission: Submission) -> None:
    where = f"POST {spec.action} as {spec.role} with {submission!r}"
    assert response.status_code < 500, f"{response.status_code} for {where}"
    if not response.streaming:
        for marker in STACK_TRACE_MARKERS:
            assert marker not in response.content, f"a stack trace ({marker!r}) for {where}"


def test_every_url_taking_post_has_a_catalogued_form(catalogue: Catalogue, db: Any) -> None:
    """A new form (or any URL that takes a POST) is fuzzed, or listed with a reason."""
    accepting = post_accepting_url_names(catalogue, CSRF_SECRET)
    catalogued = {spec.url_name for spec in catalogue.forms.values()}
    missing = set(accepting) - catalogued - EXCLUDED.keys()
    assert not missing, (
        f"URLs that take a POST but no catalogued form: {sorted(missing)}; make the form show "
        "on a page (tests/forms_catalogue.py prepare_state) or list it in FORMLESS or EXCLUDED"
    )
    stale = (EXCLUDED.keys() | FORMLESS.keys()) - set(accepting)
    assert not stale, f"listed in tests/forms_catalogue.py but taking no POST: {sorted(stale)}"
    # Forms were read from pages, not only listed; and a listed one that now shows a form
    # comes off the list.
    discovered = {spec.url_name for spec in catalogue.forms.values() if not spec.formless}
    assert len(discovered) > 3 * len(FORMLESS), sorted(discovered)
    shown = discovered & FORMLESS.keys()
    assert not shown, f"these show a form now; take them off FORMLESS: {sorted(shown)}"


def test_forms_are_read_with_their_fields() -> None:
    html = """
      <form method="get" action="/search/"><input name="q"></form>
      <form method="post" action="/x/">
        <input type="hidden" name="csrfmiddlewaretoken" value="t">
        <input name="title" value="A &amp; B" required>
        <input type="radio" name="r" value="1"><input type="radio" name="r" value="2" checked>
        <input type="checkbox" name="c" value="a" checked><input type="checkbox" name="c" value="b">
        <select name="s"><option value="">-</option><option value="y" selected>Y</option></select>
        <select name="plain"><option>first</option><option>second</option></select>
        <textarea name="t">
line one</textarea>
        <button name="do" value="go">Go</button>
      </form>"""
    [form] = post_forms(html)
    fields = form.fields
    assert form.action == "/x/"
    assert (fields["title"].kind, fields["title"].value, fields["title"].required) == (
        "text",
        "A & B",
        True,
    )
    assert (fields["r"].options, fields["r"].value) == (["1", "2"], "2")
    assert (fields["c"].options, fields["c"].checked) == (["a", "b"], ["a"])
    assert (fields["s"].options, fields["s"].value) == (["", "y"], "y")
    assert (fields["plain"].options, fields["plain"].value) == (["first", "second"], "first")
    assert (fields["t"].kind, fields["t"].value) == ("textarea", "line one")
    assert (fields["do"].kind, fields["do"].value) == ("button", "go")
    assert fields["t"].is_free_text and not fields["csrfmiddlewaretoken"].is_free_text


def fuzz_one_form(
    catalogue: Catalogue, specs: list[FormSpec], examples: int, seen: Counter[int]
) -> None:
    """Hypothesis examples for one URL's form, as each role that has it."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        spec = data.draw(st.sampled_from(specs), label="as")
        submission = data.draw(submissions(spec), label="submission")
        client = catalogue.clients[spec.role]
        with isolated(client):
            response = client.generic(
                "POST", spec.action, submission.body, content_type=submission.content_type
            )
            check(response, spec, submission)
        seen[response.status_code] += 1

    fuzz()


def test_no_form_fails_under_fuzzing(
    catalogue: Catalogue, db: Any, fuzz_counter: FuzzCounter
) -> None:
    by_name = catalogue.by_url_name()
    per_form = -(-FORM_CASES // len(by_name))  # rounded up: the total is at least FORM_CASES
    statuses = fuzz_counter.statuses
    for url_name, specs in by_name.items():
        for spec in specs:
            refresh_sign_in(catalogue.clients[spec.role])
        seen = statuses[url_name] = Counter()
        try:
            fuzz_one_form(catalogue, specs, per_form, seen)
        except Exception as failure:
            failure.add_note(f"while fuzzing the form {url_name!r}")
            raise
        finally:
            fuzz_counter.add("forms", sum(seen.values()))
    ran = sum(sum(counts.values()) for counts in statuses.values())
    assert ran >= FORM_CASES, ran
    # The examples got past CSRF and validation into the views: somewhere, forms were saved.
    redirected = [name for name, counts in statuses.items() if counts[302]]
    assert len(redirected) > len(statuses) // 2, statuses
