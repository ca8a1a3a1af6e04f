"""Model fields that keep free text encrypted at rest (see ``alliance.lib.crypto``)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from alliance.lib import crypto

# Bound into every sealed MFA secret (``alliance.accounts.adapter`` seals them), so that it
# cannot be moved into another column. Here, not in accounts, because the key rotation
# below reseals them and this module sits below every app.
MFA_CONTEXT = "mfa.authenticator"


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


ENCRYPTED_FIELDS = (EncryptedTextField, EncryptedJSONField)


def rotate_encrypted_values(progress: Any = None, batch: int = 500) -> int:
    """Re-encrypt every stored value that is not under the first key; returns how many.

    Reads and writes the raw column values, so it never depends on a model's own logic;
    each batch is its own transaction, and an interrupted run can simply be started again.
    """
    from django.apps import apps
    from django.db import connection, transaction

    keys = settings.FIELD_KEYS
    changed = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, ENCRYPTED_FIELDS):
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            column = connection.ops.quote_name(field.column)
            pk = connection.ops.quote_name(model._meta.pk.column)
            context = _context(field)
            last = None
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    where = f"WHERE {column} <> ''" + (
                        f" AND {pk} > %s" if last is not None else ""
                    )
                    cursor.execute(
                        f"SELECT {pk}, {column} FROM {table} {where} ORDER BY {pk} LIMIT %s",  # noqa: S608
                        [*([last] if last is not None else []), batch],
                    )
                    rows = cursor.fetchall()
                    for row_pk, stored in rows:
                        if crypto.needs_rotation(stored, keys):
                            cursor.execute(
                                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                                [crypto.reencrypt(stored, keys, context), row_pk],
                            )
                            changed += 1
                if not rows:
                    break
                last = rows[-1][0]
            if progress is not None:
                progress(f"{model._meta.label}.{field.name}: done ({changed} re-encrypted so far)")
    changed += _rotate_mfa_secrets()
    if progress is not None:
        progress(f"mfa.Authenticator.data: done ({changed} re-encrypted so far)")
    return changed


def _rotate_mfa_secrets() -> int:
    """Two-factor secrets sit inside allauth's JSON column, sealed by accounts.adapter."""
    from allauth.mfa.models import Authenticator
    from django.db import transaction

    keys = settings.FIELD_KEYS
    changed = 0
    with transaction.atomic():
        for authenticator in Authenticator.objects.select_for_update().order_by("pk"):
            data = dict(authenticator.data)
            stale = [
                name
                for name in ("secret", "seed")
                if isinstance(data.get(name), str) and crypto.needs_rotation(data[name], keys)
            ]
            if not stale:
                continue
            for name in stale:
                data[name] = crypto.reencrypt(data[name], keys, MFA_CONTEXT)
            authenticator.data = data
            authenticator.save(update_fields=["data"])
            changed += len(stale)
    return changed
