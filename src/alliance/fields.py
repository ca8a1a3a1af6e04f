"""Model fields that keep free text encrypted at rest (see ``alliance.lib.crypto``)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from alliance.lib import crypto


def _context(field: models.Field[Any, Any]) -> str:
    # The column's name is bound into each ciphertext, so values cannot be swapped.
    return f"{field.model._meta.db_table}.{field.column}"


class EncryptedTextField(models.TextField):
    """Text stored encrypted; empty text is stored as empty (there is nothing to hide)."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, settings.FIELD_KEYS, _context(self))

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), settings.FIELD_KEYS, _context(self))


class EncryptedJSONField(models.Field):
    """A JSON value (e.g. free-text answers by item) stored as encrypted text."""

    description = "JSON encrypted at rest"

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if not value:
            return {}
        return json.loads(crypto.decrypt(value, settings.FIELD_KEYS, _context(self)))

    def get_prep_value(self, value: Any) -> Any:
        if value in (None, {}, [], ""):
            return ""
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        return crypto.encrypt(text, settings.FIELD_KEYS, _context(self))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value
