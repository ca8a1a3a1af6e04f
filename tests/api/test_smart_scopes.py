"""SMART scopes: reads are taken, staff writes (c, u) too, and a client's answers
(patient/QuestionnaireResponse.c); anything else refused with a reason."""

from __future__ import annotations

import pytest

from alliance.lib.smart_scopes import ScopeError, parse_scope, parse_scopes, scopes_allow


@pytest.mark.parametrize(
    "text",
    [
        "user/*.rs",
        "patient/*.rs",
        "user/Observation.rs",
        "patient/Patient.r",
        "user/*.s",
        "user/*.crus",
        "user/DetectedIssue.rus",
        "user/Task.c",
        "user/Task.rs",
        "patient/Task.rs",
        "patient/QuestionnaireResponse.c",
        "patient/*.crs",
    ],
)
def test_read_scopes_are_taken(text: str) -> None:
    assert str(parse_scope(text)) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("user/*.cruds", "deletes nothing"),
        ("patient/*.rsw", "cruds"),
        ("patient/*.crus", "only reads"),
        ("patient/*.write", "only reads"),
        ("patient/Observation.c", "creates no other"),
        ("patient/Task.cr", "creates no other"),
        ("user/*.sr", "in that order"),
        ("user/*.wrte", "cruds"),
        ("system/*.rs", "context"),
        ("user/Encounter.rs", "serves"),
        ("user*.rs", "not a SMART scope"),
        ("", "at least one"),
        ("user/*.rs patient/*.rs", "not both"),
    ],
)
def test_malformed_and_write_scopes_are_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(ScopeError, match=why):
        parse_scopes(text)


def test_a_resource_scope_allows_only_its_type_and_its_permissions() -> None:
    scopes = parse_scopes("user/Observation.r")
    assert scopes_allow(scopes, "Observation", "r")
    assert not scopes_allow(scopes, "Observation", "s")
    assert not scopes_allow(scopes, "Patient", "r")
    assert scopes_allow(parse_scopes("user/*.rs"), "Patient", "s")


def test_smart_v1_words_stand_for_their_letters() -> None:
    assert str(parse_scope("user/*.read")) == "user/*.rs"
    assert str(parse_scope("user/*.write")) == "user/*.cu"
    assert scopes_allow(parse_scopes("user/*.read user/DetectedIssue.write"), "DetectedIssue", "u")
