"""Password rules beyond Django's own."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Digits, punctuation and spaces people add around a word to pass a length rule.
_PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class PaddedCommonPasswordValidator:
    """Refuse a common password with digits or symbols added before or after it.

    "Password123!", "2024summer" and "!!dragon99" are among the first guesses in any
    breach-derived word list; Django's CommonPasswordValidator only catches them exactly.
    """

    def __init__(self) -> None:
        self.common = CommonPasswordValidator()

    def validate(self, password: str, user: Any = None) -> None:
        core = _PADDING.sub("", password.strip()).lower()
        if core == password.strip().lower() or len(core) < 4:
            return
        if core in self.common.passwords:
            raise ValidationError(
                _("This password is a common word or password with numbers or symbols added."),
                code="password_padded_common",
            )

    def get_help_text(self) -> str:
        return _("Your password can't be a common password with numbers or symbols added.")
