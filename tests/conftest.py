"""The fixed cast (STYLE.md): therapist Alice, her supervisor Sam, unrelated therapist
Charlie, Alice's clients Dana and Eve, and admin Ada. Dana's episode is supervised by
Sam; Eve's is not. Models are imported inside fixtures so that the pure-Python
instrument tests can run without Django."""

from __future__ import annotations

from collections.abc import Iterator
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
# Every staff member made here has an authenticator app with this secret (staff must).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STAFF_ROLE_NAMES = frozenset({"therapist", "supervisor", "admin"})


def signed_in(user: Any) -> Any:
    """A test client signed in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def make_user(email: str, name: str, role: str, **extra: Any) -> Any:
    """A person; staff come with an authenticator app (TOTP_SECRET), as the app requires."""
    from alliance.accounts.mfa import totp_activate
    from alliance.accounts.services import user_create

    user = user_create(
        actor=None,
        email=email,
        password=PASSWORD,
        preferred_name=name,
        role=role,
        **extra,
    )
    if role in STAFF_ROLE_NAMES:
        totp_activate(user=user, secret=TOTP_SECRET)
    return user


def totp_now(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app shows now for ``secret``."""
    from alliance.accounts.mfa import totp_code

    return totp_code(secret)


def make_cast() -> Cast:
    """The fixed cast, in the current database (the ``cast`` fixture, or where a
    function-scoped fixture cannot be used)."""
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


@pytest.fixture
def cast(db: Any) -> Cast:
    return make_cast()


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


@pytest.fixture(scope="session")
def _audit_checkpoint_file(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The audit checkpoint file of this test process (under xdist, of this worker)."""
    from django.conf import settings

    settings.AUDIT_CHECKPOINT = tmp_path_factory.getbasetemp() / "audit-checkpoints"
    return settings.AUDIT_CHECKPOINT


@pytest.fixture(autouse=True)
def _no_audit_checkpoints_yet(_audit_checkpoint_file: Any) -> None:
    """Each test starts with no checkpoint, as its database starts with an empty chain: a
    checkpoint another test wrote would say this database was rolled back."""
    _audit_checkpoint_file.unlink(missing_ok=True)


def forget_used_code(user: Any, code: str) -> None:
    """allauth refuses a code used in the last 30 seconds; tests sign in more often."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache

    authenticator = Authenticator.objects.filter(user_id=user.pk, type="totp").first()
    if authenticator is not None:
        cache.delete(TOTP(authenticator)._get_used_cache_key(code))


def sign_in(client: Any, email: str, password: str = PASSWORD, code: str | None = None) -> Any:
    """Sign in through the real forms: the password, then the authenticator code if asked."""
    from django.urls import reverse

    from alliance.accounts.mfa import totp_code, totp_secret_of
    from alliance.accounts.models import User

    response = client.post(reverse("account_login"), {"login": email, "password": password})
    if response.status_code != 302 or response.url != reverse("mfa_authenticate"):
        return response
    if code is None:
        user = User.objects.get(email__iexact=email)
        secret = totp_secret_of(user)
        assert secret is not None, f"{email} has no authenticator app"
        code = totp_code(secret)
        forget_used_code(user, code)
    return client.post(reverse("mfa_authenticate"), {"code": code})


@pytest.fixture(scope="module")
def _demo_practice_loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """The demo practice, loaded once per module that uses it (a load takes most of a
    minute), in one transaction rolled back after the module's last test: the next module
    never sees it. Not for transactional tests, which would flush it."""
    from django.db import transaction

    from alliance.web.demo import load_demo_practice

    with django_db_blocker.unblock(), transaction.atomic():
        result = load_demo_practice(max_weeks=8)
        yield result
        transaction.set_rollback(True)


@pytest.fixture
def demo_practice(_demo_practice_loaded: Any, db: Any) -> Any:
    """The loaded demo practice (its DemoResult) for one test; what the test changes is
    rolled back to the practice as loaded, so the next test reads it unchanged."""
    return _demo_practice_loaded
