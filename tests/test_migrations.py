from __future__ import annotations

from typing import Any

from django.core.management import call_command


def test_models_and_migrations_agree(db: Any) -> None:
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
