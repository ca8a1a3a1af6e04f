"""The "records" section of the access policy: the whole record goes to the client, or to
the admin only for the client's own pending request."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404


def test_only_a_client_exports_their_own_record(cast: Any) -> None:
    from alliance.care import access

    assert access.may_export_own_record(cast.dana)
    assert access.may_export_own_record(cast.eve)
    for person in (cast.alice, cast.sam, cast.charlie, cast.ada):
        assert not access.may_export_own_record(person)
    cast.dana.is_active = False
    assert not access.may_export_own_record(cast.dana)


def test_only_an_active_admin_handles_a_clients_record(cast: Any) -> None:
    from alliance.care import access

    assert access.may_handle_client_records(cast.ada)
    for person in (cast.alice, cast.sam, cast.charlie, cast.dana, cast.eve):
        assert not access.may_handle_client_records(person)
    cast.ada.is_active = False
    assert not access.may_handle_client_records(cast.ada)


def test_the_admin_reaches_clients_only_and_others_reach_nobody(cast: Any) -> None:
    from alliance.care import access

    assert access.access_client_for_records(cast.ada, cast.dana.pk) == cast.dana
    for staff in (cast.alice, cast.sam, cast.ada):
        with pytest.raises(Http404):
            access.access_client_for_records(cast.ada, staff.pk)
    with pytest.raises(Http404):
        access.access_client_for_records(cast.ada, 999999)
    for person in (cast.alice, cast.sam, cast.dana, cast.eve):
        with pytest.raises(Http404):
            access.access_client_for_records(person, cast.dana.pk)


def test_the_admin_copies_a_record_only_for_the_clients_pending_request(cast: Any) -> None:
    from django.utils import timezone

    from alliance.care import access
    from alliance.records.selectors import pending_copy_request
    from alliance.records.services import copy_request_create

    assert not access.may_copy_record_for(cast.ada, pending_copy_request(cast.dana))
    pending = copy_request_create(actor=cast.dana, everything=False)
    assert pending_copy_request(cast.dana) == pending
    assert pending_copy_request(cast.eve) is None
    assert access.may_copy_record_for(cast.ada, pending)
    for person in (cast.alice, cast.sam, cast.charlie, cast.dana, cast.eve):
        assert not access.may_copy_record_for(person, pending)
    cast.ada.is_active = False
    assert not access.may_copy_record_for(cast.ada, pending)
    cast.ada.is_active = True
    pending.made_at = timezone.now()
    pending.save()
    assert not access.may_copy_record_for(cast.ada, pending)
    assert pending_copy_request(cast.dana) is None
