from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.database_move import MoveError, MoveReport, ProgressBar, database_move


class Command(BaseCommand):
    help = (
        "Copy the whole SQLite database into an empty PostgreSQL database (migrated here "
        "first), then check the copy: rows of every table, the audit chain, every client's "
        "record export. The source is only read; encrypted text moves as ciphertext. "
        "Stop the web server and the worker first, so that nothing written later is left behind."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            required=True,
            metavar="URL",
            help="the empty PostgreSQL database, e.g. postgres://alliance:PASSWORD@host:5432/alliance",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def plain(text: str) -> str:
            return text  # progress, not an error: no red on a terminal

        def say(text: str) -> None:
            self.stderr.write(text, style_func=plain)

        bar = ProgressBar(
            lambda text: self.stderr.write(text, style_func=plain, ending=""),
            live=self.stderr.isatty(),
        )
        try:
            report = database_move(to=options["to"], say=say, bar=bar)
        except MoveError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(summary(report))
        if not report.ok:
            raise CommandError(
                "The copy did not check out, so it was undone: the target database is as it "
                "was before, and the SQLite database is unchanged."
            )
        self.stdout.write(
            "Moved. Keep the SQLite file until you are satisfied; set DATABASE_URL to the new "
            "database, then start Alliance again."
        )


def summary(report: MoveReport) -> str:
    """What was checked and how it came out: table names, counts and digests, never a value."""
    lines = [f"Target: PostgreSQL at {report.target}"]
    rows = sum(check.source_rows for check in report.tables)
    if report.tables_ok:
        lines.append(f"  Tables: {len(report.tables)} copied, every row the same ({rows:,} rows).")
    else:
        lines.append("  Tables: the copy differs from the source:")
        for check in report.tables:
            if not check.ok:
                lines.append(
                    f"    {check.table}: {check.source_rows:,} rows in the source, "
                    f"{check.target_rows:,} in the copy"
                    + ("" if check.same_rows else ", not the same rows")
                )
    for table, why in sorted(report.not_copied.items()):
        lines.append(f"  Not copied: {table} ({why}).")
    source, target = report.source_chain, report.target_chain
    if source is not None and target is not None:
        if report.chain_ok:
            lines.append(
                f"  Audit chain: holds on the target, {target.rows:,} events, head row "
                f"{target.head_seq}, the same as the source's."
            )
        else:
            where = target.problem or "it does not end at the source's head"
            lines.append(f"  Audit chain: does not hold on the target: {where}.")
            if not source.holds:
                lines.append(f"    It does not hold on the source either: {source.problem}.")
    clients = report.records_identical + report.records_different + report.records_unreadable
    compared = clients - report.records_unreadable
    if not clients:
        lines.append("  Client records: there are no clients to compare.")
    if compared:
        line = f"  Client records: {report.records_identical} of {compared} exports the same"
        if report.records_different:
            line += f", {report.records_different} different"
        lines.append(line + ".")
    if report.records_unreadable:
        lines.append(
            f"  Client records: {report.records_unreadable} of {clients} not compared: their "
            "free text does not open with ALLIANCE_FIELD_KEYS here. Moving needs no key (the "
            "ciphertext was copied and compared as stored); set the practice's keys to compare "
            "the exports too."
        )
    if report.source_changed:
        lines.append(
            "  The practice was in use: its database changed while it was being copied, so "
            "the copy would miss what was written. Stop the web server and the worker, then "
            "move again."
        )
    return "\n".join(lines)
