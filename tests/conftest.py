"""The fixed cast (STYLE.md): therapist Alice, her supervisor Sam, unrelated therapist
Charlie, Alice's clients Dana and Eve, and admin Ada. Dana's episode is supervised by
Sam; Eve's is not. Models are imported inside fixtures so that the pure-Python
instrument tests can run without Django."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Cast:
    alice: Any
    sam: Any
    charlie: Any
    dana: Any
    eve: Any
    ada: Any
    dana_episode: Any
    eve_episode: Any


PASSWORD = "correct horse battery staple"


def signed_in(user: Any) -> Any:
    """A test client signed in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def make_user(email: str, name: str, role: str, **extra: Any) -> Any:
    from alliance.accounts.services import user_create

    return user_create(
        actor=None,
        email=email,
        password=PASSWORD,
        preferred_name=name,
        role=role,
        **extra,
    )


@pytest.fixture
def cast(db: Any) -> Cast:
    from alliance.care.services import episode_open

    alice = make_user("alice@example.test", "Alice", "therapist", pronouns="she/her")
    sam = make_user("sam@example.test", "Sam", "supervisor", pronouns="he/him")
    charlie = make_user("charlie@example.test", "Charlie", "therapist")
    dana = make_user("dana@example.test", "Dana", "client", pronouns="they/them")
    eve = make_user("eve@example.test", "Eve", "client", language="es")
    ada = make_user("ada@example.test", "Ada", "admin")
    dana_episode = episode_open(actor=alice, client=dana, therapist=alice, supervisor=sam)
    eve_episode = episode_open(actor=alice, client=eve, therapist=alice)
    return Cast(alice, sam, charlie, dana, eve, ada, dana_episode, eve_episode)


@pytest.fixture(autouse=True)
def _audit_chain_head(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush every table afterwards, the migration's chain head too."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from alliance.audit.models import AuditChainHead

    AuditChainHead.objects.get_or_create(pk=1)
