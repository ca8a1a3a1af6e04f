"""Every page that shows one client's record or name to staff writes an audit event.

The client's "Who has seen your record" page promises every opening of the record by
someone else. This walks every URL of the access matrix that answers 200 to a member of
staff: when the page shows Dana's name, an audit event about Dana by that person must
have been written by that request; so must a page about one of her things (a goal, a
response, an episode), name or not. Lists that show many people's names — the caseload,
the alert list, the admin's People list — are the exception, named below with the
reason; they show names, not a record.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.web.test_access_matrix import MATRIX, Records, make_records, user_for

STAFF_ROLES = ("therapist", "other_therapist", "supervisor", "admin")

# Pages that list many clients by name and open no one's record. Seeing a name in a
# list is not an opening of the record (SECURITY.md, the threats table); opening any row is.
LISTS = {
    "caseload": "the therapist's or supervisor's list of their clients",
    "alert_list": "the list of open alerts in one's caseload",
    "message_threads": "the list of conversations: names, counts and dates, no message",
    "practice_people": "the admin's directory of accounts",
    "audit_log": "the admin's audit log, which names people by id",
}

# One's own account pages (allauth): their URL arguments are forged keys, not Dana's things.
OWN_ACCOUNT = ("account_", "mfa_", "user_session")

CASES = [
    (name, role)
    for name, (_, methods) in MATRIX.items()
    if name not in LISTS
    for role in STAFF_ROLES
    if methods.get("GET", {}).get(role) == 200
]


@pytest.fixture
def records(cast: Cast) -> Records:
    return make_records(cast)


def test_the_walk_covers_the_record_pages() -> None:
    names = {name for name, _ in CASES}
    assert {"client_record", "response_detail", "alert_detail", "session_add"} <= names


@pytest.mark.parametrize(("name", "role"), CASES)
def test_a_page_that_shows_a_client_is_audited(
    cast: Cast, records: Records, name: str, role: str
) -> None:
    from alliance.audit.models import AuditEvent

    make_kwargs, _ = MATRIX[name]
    url = reverse(name, kwargs=make_kwargs(cast, records) if make_kwargs else None)
    user = user_for(cast, role)
    client = Client()
    client.force_login(user)
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = client.get(url)
    assert response.status_code == 200
    # Every kwargs maker of the matrix points at one of hers, except the account pages'
    # forged keys and ids.
    about_dana = make_kwargs is not None and not name.startswith(OWN_ACCOUNT)
    if not about_dana and cast.dana.preferred_name.encode() not in response.content:
        return
    written = AuditEvent.objects.filter(seq__gt=before, client_id=cast.dana.pk, actor_id=user.pk)
    assert written.exists(), f"GET {url} as {role} shows Dana's name but writes no audit event"
