from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from alliance.accounts.validators import PaddedCommonPasswordValidator


@pytest.mark.parametrize(
    "password", ["Password123!", "2024summer", "!!dragon99", "sunshine2025", "Welcome1!!"]
)
def test_a_common_password_with_digits_or_symbols_added_is_refused(password: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PaddedCommonPasswordValidator().validate(password)
    assert refused.value.error_list[0].code == "password_padded_common"


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "tulip-harbour-ledger", "Xq7!mV2#pLr9", "a1"],
)
def test_other_passwords_pass(password: str) -> None:
    PaddedCommonPasswordValidator().validate(password)


def test_the_validator_runs_with_djangos_own(db: object) -> None:
    with pytest.raises(ValidationError):
        validate_password("Password123!")
    with pytest.raises(ValidationError):
        validate_password("1234567890")  # Django's numeric and common rules still apply
    validate_password("tulip-harbour-ledger")
