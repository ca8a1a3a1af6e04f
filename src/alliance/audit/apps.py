from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "alliance.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from alliance.audit import receivers

        receivers.connect()
        post_migrate.connect(ensure_chain_head, sender=self, dispatch_uid="alliance-chain-head")


def ensure_chain_head(using: str = "default", **kwargs: Any) -> None:
    """The chain's head row, made by the first migration, again after a flush empties the
    tables (Django's ``flush`` ends with ``post_migrate``; the test suite flushes after
    every transactional test). Only into an empty log: a log with events and no head has
    been tampered with, and ``alliance verify-audit`` must see that, not a new head."""
    from alliance.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

    if AuditChainHead.objects.using(using).exists():
        return
    if AuditEvent.objects.using(using).exists():
        return
    AuditChainHead.objects.using(using).create(pk=1, seq=0, hash=GENESIS_HASH)
