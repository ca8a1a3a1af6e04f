"""Names and pronouns: NFC, no text-direction controls, never only invisible characters."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from alliance.accounts.models import User
from alliance.accounts.names import name_key, person_name
from alliance.accounts.services import invitation_create, user_update_profile
from tests.conftest import Cast, signed_in

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI += ["\u200e", "\u200f", "\u061c"]
INVISIBLE_ONLY = ["\u200b\u200b", "\u200d", "\u2060", "\ufeff", "\u3164", "\u2800", "\u00ad"]
INVISIBLE_ONLY += ["\u200b \u200c", "\u0301"]

MESSAGES = {
    "bidi": "contains a hidden character that changes the direction of text",
    "invisible": "needs at least one visible letter",
    "control": "contains a control character",
}


@pytest.mark.parametrize("mark", BIDI)
def test_a_text_direction_control_is_refused(mark: str) -> None:
    with pytest.raises(ValidationError, match=MESSAGES["bidi"]):
        person_name(f"Ann{mark}evil")


@pytest.mark.parametrize("name", INVISIBLE_ONLY)
def test_a_name_of_invisible_characters_only_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match=MESSAGES["invisible"]):
        person_name(name)


@pytest.mark.parametrize("name", ["Ann\nevil", "Ann\x07", "Ann\x1b[31m"])
def test_a_control_character_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match=MESSAGES["control"]):
        person_name(name)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Jose\u0301", "Jos\u00e9"),  # NFC: one character, as the same name typed elsewhere
        ("  Zoë  ", "Zoë"),
        ("محمد", "محمد"),
        ("李小龙", "李小龙"),
        ("Ana-María O'Neil", "Ana-María O'Neil"),
        ("Farzane\u200ch", "Farzane\u200ch"),  # ZWNJ inside a Persian name is spelling
        ("🧑\u200d🦱 Sam", "🧑\u200d🦱 Sam"),  # ZWJ inside an emoji
    ],
)
def test_real_names_are_kept_in_nfc(given: str, kept: str) -> None:
    assert person_name(given) == kept


def test_empty_pronouns_are_allowed_and_names_are_not() -> None:
    assert person_name("", required=False) == ""
    with pytest.raises(ValidationError):
        person_name("")


@pytest.mark.parametrize(
    "other", ["dana", "DANA", "Dana ", "Da\u200bna", "\uff24\uff41\uff4e\uff41", "Dan\u0061"]
)
def test_the_same_name_key_for_names_that_look_alike(other: str) -> None:
    assert name_key(other) == name_key("Dana")


def test_different_names_have_different_keys() -> None:
    assert name_key("Dana") != name_key("Dan")
    assert name_key("José") != name_key("Jose")


def test_the_profile_form_refuses_them_with_the_message(cast: Cast) -> None:
    client = signed_in(cast.dana)
    for field, value, message in [
        ("preferred_name", "Ann\u202eevil", "bidi"),
        ("preferred_name", "\u200b\u200b", "invisible"),
        ("pronouns", "she\u202e/her", "bidi"),
        ("pronouns", "\u200b", "invisible"),
    ]:
        data = {"preferred_name": "Dana", "pronouns": "", "language": "en", field: value}
        response = client.post(reverse("profile"), data)
        assert response.status_code == 400, (field, value)
        assert MESSAGES[message] in response.content.decode()
    cast.dana.refresh_from_db()
    assert (cast.dana.preferred_name, cast.dana.pronouns) == ("Dana", "they/them")


def test_the_profile_keeps_the_nfc_form(cast: Cast) -> None:
    client = signed_in(cast.dana)
    client.post(reverse("profile"), {"preferred_name": "Rene\u0301", "language": "en"})
    cast.dana.refresh_from_db()
    assert cast.dana.preferred_name == "Ren\u00e9"


def test_accepting_an_invitation_refuses_them(cast: Cast) -> None:
    issued = invitation_create(actor=cast.alice, email="frankie@example.test", role="client")
    response = Client().post(
        reverse("invitation_accept", args=[issued.token]),
        {
            "preferred_name": "Frankie\u202e",
            "pronouns": "",
            "language": "en",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
    )
    assert response.status_code == 400
    assert MESSAGES["bidi"] in response.content.decode()
    assert not User.objects.filter(email="frankie@example.test").exists()


def test_the_service_refuses_them_too(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        user_update_profile(
            actor=cast.dana, preferred_name="Ann\u202eevil", pronouns="", language="en"
        )


def test_a_name_stored_before_these_rules_does_not_stop_a_language_switch(cast: Cast) -> None:
    User.objects.filter(pk=cast.dana.pk).update(preferred_name="Old\u202ename")
    response = signed_in(cast.dana).post(reverse("language_switch"), {"language": "es"})
    assert response.status_code == 302
    cast.dana.refresh_from_db()
    assert cast.dana.language == "es"
