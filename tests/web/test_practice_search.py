"""The admin finds a person on the People page and an event in the audit log without
paging through everything — and no typed name of a client ends up in an audit-log URL."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_record
from tests.conftest import Cast, signed_in


def people(cast: Cast, **query: str) -> str:
    response = signed_in(cast.ada).get(reverse("practice_people"), query)
    assert response.status_code == 200
    return response.content.decode()


def accounts_table(html: str) -> str:
    return html[html.index('id="people-heading"') :]


def test_people_search_finds_by_name_or_email(cast: Cast) -> None:
    table = accounts_table(people(cast, q="dan"))
    assert "dana@example.test" in table
    assert "eve@example.test" not in table and "alice@example.test" not in table
    table = accounts_table(people(cast, q="ALICE@EXAMPLE"))
    assert "alice@example.test" in table and "dana@example.test" not in table


def test_people_can_be_narrowed_to_one_role(cast: Cast) -> None:
    table = accounts_table(people(cast, role="client"))
    assert "dana@example.test" in table and "eve@example.test" in table
    assert "alice@example.test" not in table and "ada@example.test" not in table


def test_an_unknown_role_is_a_message_not_an_error(cast: Cast) -> None:
    html = people(cast, role="wizard")
    assert "alice@example.test" in accounts_table(html)


def test_nobody_found_says_so(cast: Cast) -> None:
    assert "No account matches this search." in people(cast, q="zzzz-nobody")


def log(cast: Cast, **query: str) -> str:
    response = signed_in(cast.ada).get(reverse("audit_log"), query)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def test_audit_log_filters_by_who_what_client_and_dates(cast: Cast) -> None:
    audit_record(actor=cast.alice, action="viewed", client_id=cast.dana.pk)
    audit_record(actor=cast.alice, action="viewed", client_id=cast.eve.pk)
    audit_record(actor=cast.sam, action="viewed", client_id=cast.dana.pk)

    by_alice = rows(log(cast, actor=str(cast.alice.pk)))
    assert by_alice and all("Alice" in row for row in by_alice)
    assert len(by_alice) == AuditEvent.objects.filter(actor_id=cast.alice.pk).count()

    on_dana = rows(log(cast, client=str(cast.dana.pk), action="viewed"))
    assert len(on_dana) == 2 and all(f"#{cast.dana.pk}" in row for row in on_dana)

    # Audit events are append-only (their time cannot be moved), so the range is tried
    # around today: both ends are whole days in the practice's time zone, included.
    today = timezone.localdate()
    everything = len(rows(log(cast, since=today.isoformat(), until=today.isoformat())))
    assert everything == AuditEvent.objects.count()
    assert "No event matches this filter." in log(cast, since=str(today + timedelta(days=1)))
    assert "No event matches this filter." in log(cast, until=str(today - timedelta(days=1)))


def test_audit_filters_choose_people_from_a_list_so_the_url_holds_numbers(cast: Cast) -> None:
    html = log(cast)
    assert re.search(r'<select[^>]*name="actor"', html)
    assert re.search(r'<select[^>]*name="client"', html)
    assert f'<option value="{cast.dana.pk}">' in html
    assert 'method="get"' in html and 'name="q"' not in html


def test_a_filter_that_cannot_be_read_shows_everything_and_says_so(cast: Cast) -> None:
    html = log(cast, since="not-a-date")
    assert "Enter a valid date." in html


def test_the_pages_keep_the_filter(cast: Cast) -> None:
    for _ in range(101):
        audit_record(actor=cast.alice, action="viewed", client_id=cast.dana.pk)
    html = log(cast, actor=str(cast.alice.pk))
    assert f'href="?actor={cast.alice.pk}&amp;page=2"' in html


def test_the_search_and_the_audit_filter_are_laid_out_as_the_other_forms(cast: Cast) -> None:
    """Both use the shared form classes (app.css), not browser defaults: fields side by
    side where there is room, the buttons in one row below."""
    admin = signed_in(cast.ada)
    for name in ("practice_people", "audit_log"):
        html = admin.get(reverse(name)).content.decode()
        (form,) = re.findall(r'<form method="get" class="form filters".*?</form>', html, re.S)
        assert form.count('<p class="field">') >= 2, name
        assert '<p class="actions"><button type="submit" class="button">' in form, name
        assert 'class="button button--quiet"' in form, name
