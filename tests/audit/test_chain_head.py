"""The chain's head row survives a flush of an empty log, and is never made anew for a
log that has events (that would hide the removal of its newest events)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from alliance.audit.apps import ensure_chain_head
from alliance.audit.models import AuditChainHead, AuditEvent
from alliance.audit.services import audit_record


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_empty_log_with_its_head() -> None:
    audit_record(actor=None, action="login_failed")
    call_command("flush", "--no-input", verbosity=0)
    assert not AuditEvent.objects.exists()
    head = AuditChainHead.objects.get(pk=1)
    assert head.seq == 0
    audit_record(actor=None, action="login_failed")  # writers find their head again


@pytest.mark.django_db
def test_a_log_with_events_and_no_head_gets_no_new_one() -> None:
    audit_record(actor=None, action="login_failed")
    AuditChainHead.objects.all().delete()
    ensure_chain_head()
    assert not AuditChainHead.objects.exists()
