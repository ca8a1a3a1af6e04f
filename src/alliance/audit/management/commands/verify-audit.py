from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check the audit chain: exit 0 when every row holds, else name the first bad row."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"Audit chain broken at row {report.bad_seq}: {report.problem}.")
        self.stdout.write(
            f"Audit chain holds: {report.checked} rows; head row {report.head_seq}, "
            f"hash {report.head_hash}"
        )
