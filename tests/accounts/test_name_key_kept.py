"""The stored ``User.name_key`` is always ``name_key(preferred_name)``, however the name was
written: the caseload and the client record find namesakes by it in the database, so a key
left behind by a name change would hide (or invent) a namesake."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db.models import F
from django.db.models.functions import Upper
from django.urls import reverse

from alliance.accounts.models import User
from alliance.accounts.names import name_key
from alliance.accounts.services import user_update_profile
from tests.conftest import Cast, make_user, signed_in

pytestmark = pytest.mark.django_db


def _stale() -> list[tuple[str, str, str]]:
    """Every person whose stored key is not their name's (email, name, stored key)."""
    return [
        (email, name, key)
        for email, name, key in User.objects.values_list("email", "preferred_name", "name_key")
        if key != name_key(name)
    ]


def test_a_new_person_and_a_renamed_one_have_their_names_key(cast: Cast) -> None:
    person = make_user("zoe@example.test", "Zoë\u200b \uff2cee", "client")
    assert User.objects.get(pk=person.pk).name_key == "zoëlee"
    user_update_profile(actor=person, preferred_name="Zo", pronouns="", language="en")
    assert User.objects.get(pk=person.pk).name_key == "zo"
    assert not _stale()


def test_saving_only_the_name_saves_its_key_with_it(cast: Cast) -> None:
    cast.dana.preferred_name = "Dana Two"
    cast.dana.save(update_fields=["preferred_name"])
    assert User.objects.get(pk=cast.dana.pk).name_key == "danatwo"


def test_the_profile_form_keeps_the_key(cast: Cast) -> None:
    response = signed_in(cast.dana).post(
        reverse("profile"), {"preferred_name": "  DANA  B ", "pronouns": "", "language": "en"}
    )
    assert response.status_code in (200, 302)
    assert User.objects.get(pk=cast.dana.pk).name_key == "danab"


def test_writing_many_people_at_once_keeps_their_keys(cast: Cast) -> None:
    User.objects.bulk_create(
        User(email=f"bulk{n}@example.test", preferred_name=f"Bulk {n}", role="client")
        for n in range(3)
    )
    people = list(User.objects.filter(email__startswith="bulk").order_by("email"))
    assert [p.name_key for p in people] == ["bulk0", "bulk1", "bulk2"]
    for person in people:
        person.preferred_name = f"Many {person.pk}"
    User.objects.bulk_update(people, ["preferred_name"])
    User.objects.filter(pk=cast.eve.pk).update(preferred_name="EVE Later")
    assert User.objects.get(pk=cast.eve.pk).name_key == "evelater"
    assert not _stale()


def test_a_name_computed_in_the_database_is_refused_not_left_unkeyed(cast: Cast) -> None:
    for expression in (F("email"), Upper("preferred_name")):
        with pytest.raises(TypeError, match="not an expression"):
            User.objects.filter(pk=cast.dana.pk).update(preferred_name=expression)
    assert not _stale()


def test_the_migration_keys_every_name_kept_before_it(cast: Cast) -> None:
    User.objects.bulk_create(
        User(email=f"old{n}@example.test", preferred_name=f"Old  Name {n % 7}", role="client")
        for n in range(1003)  # more than one of the migration's batches of 1,000
    )
    User._base_manager.update(name_key="")  # as the rows were before the migration
    assert len(_stale()) == User.objects.count()
    migration: Any = importlib.import_module("alliance.accounts.migrations.0005_user_name_key")
    migration.key_every_name(apps, None)
    assert not _stale()
