from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.audit.services import ChainReport, verify_chain, written_at


class Command(BaseCommand):
    help = (
        "Check the audit log: walk the chain with ALLIANCE_AUDIT_KEYS from its first kept row, "
        "then compare it with the checkpoint file (ALLIANCE_AUDIT_CHECKPOINT). Exit 0 when "
        "both hold, else exit 1 naming the first row that does not: edited, deleted, "
        "inserted, rewritten, or rolled back to an older copy."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            if report.bad_seq is None:
                raise CommandError(f"Audit check failed: {report.problem}.")
            raise CommandError(f"Audit chain broken at row {report.bad_seq}: {report.problem}.")
        checkpoints = report.checkpoints
        assert checkpoints is not None
        if checkpoints.latest is None and report.checked:
            unknown = (
                f" (its {checkpoints.unknown_key} lines were signed with keys no longer in "
                "ALLIANCE_AUDIT_KEYS)"
                if checkpoints.unknown_key
                else ""
            )
            raise CommandError(
                f"The audit chain holds by its keys ({report.checked} rows), but "
                f"{checkpoints.path} holds no checkpoint to compare it with{unknown}, so a "
                "rollback to an older copy of the database would not show. Write one with "
                "`alliance audit-checkpoint` (the worker writes one every hour); if the "
                "checkpoints are kept elsewhere, set ALLIANCE_AUDIT_CHECKPOINT to that file."
            )
        self.stdout.write(
            f"Audit chain holds: {report.checked} rows; head row {report.head_seq}, "
            f"hash {report.head_hash}"
        )
        for line in details(report):
            self.stdout.write(f"  {line}")


def details(report: ChainReport) -> list[str]:
    lines = []
    if report.pruned_seq:
        lines.append(f"Rows 1 to {report.pruned_seq} were pruned after their retention.")
    for use in report.keys:
        lines.append(
            f"Key {use.key_id} signed {use.rows} rows ({use.first_seq} to {use.last_seq})."
        )
    checkpoints = report.checkpoints
    if checkpoints is None:
        return lines
    latest = checkpoints.latest
    if latest is None:
        lines.append(f"No checkpoint yet in {checkpoints.path}.")
    else:
        lines.append(
            f"Agrees with the {checkpoints.compared} checkpoints compared in "
            f"{checkpoints.path}; the newest, written {written_at(latest)}, recorded "
            f"row {latest.seq}."
        )
    if checkpoints.restored is not None:
        lines.append(
            f"A restore was recorded {written_at(checkpoints.restored)} at row "
            f"{checkpoints.restored.seq}: the checkpoints before it are not compared."
        )
    if checkpoints.unknown_key:
        lines.append(
            f"{checkpoints.unknown_key} checkpoint lines were signed with keys no longer in "
            "ALLIANCE_AUDIT_KEYS and could not be checked."
        )
    return lines
