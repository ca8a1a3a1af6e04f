from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alliance.fields import rotate_encrypted_values


class Command(BaseCommand):
    help = (
        "Re-encrypt all free text under the first key of ALLIANCE_FIELD_KEYS. Put the new key "
        "first and keep the old ones after it; once this has run, the old keys can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = rotate_encrypted_values(progress=self.stderr.write)
        self.stdout.write(f"{changed} values re-encrypted under the first key.")
