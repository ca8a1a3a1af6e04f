from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from argparse import RawDescriptionHelpFormatter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.measures import scoring_csv
from alliance.measures.scoring_csv import PROGRESS_EVERY, CsvInputError, RowOutcome, Tally

DESCRIPTION = """\
Score a CSV file of responses to one instrument, one response per row.

Item columns are named by linkId (e.g. phq9-1) or item1...itemN (by position, in any
case); each cell holds the answer's weight (e.g. 2) or its code (e.g. LA6570-1). A blank
cell is an unanswered item. Every other column passes through, in place. Empty lines are
skipped; the delimiter (',' ';' or tab) is taken from the header.

Safe to open in a spreadsheet: any output cell that starts with = + - @, a tab or a
carriage return gets a leading ' so that it is shown as text and never run as a formula
(e.g. =HYPERLINK(...) in a note column). Plain numbers such as -5 are left as they are.

CSV output: the input columns, then
  total             the total score (empty when there is none)
  band              the severity band's code (e.g. mild)
  subscale_<code>   one column per subscale, if the instrument has any (e.g. PCL-5)
  critical          critical items that tripped, by linkId, ';'-separated (e.g. phq9-9)
  error             empty when the row has a total; otherwise why not, naming the item
A bad row gets its error and the rest of the file is still scored. Critical items are
reported even on incomplete or invalid rows when their own answer is valid.

--format fhir writes a FHIR R4 Bundle (type collection) instead: one QuestionnaireResponse
per row with a total, followed by its Observations (derivedFrom the response). Rows with
an error are listed on stderr and left out.

Progress goes to stderr (every 10,000 rows, and a final count on large files or when
stderr is a terminal); stdout holds only the results.
"""


class _Raw:
    """Write text to the command's stdout exactly as given (no added line endings)."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    def write(self, text: str) -> None:
        self.command.stdout.write(text, ending="")


class Command(BaseCommand):
    help = "Score a CSV of responses: alliance score phq-9 responses.csv -o scored.csv"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = DESCRIPTION
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "instrument", help="instrument id, e.g. phq-9 (or phq-9@1.0.0 for one version)"
        )
        parser.add_argument("input", help="CSV file of responses, or - for stdin")
        parser.add_argument(
            "-o", "--output", help="write here instead of stdout (replaced only on success)"
        )
        parser.add_argument(
            "--format", choices=["csv", "fhir"], default="csv", help="output format (csv)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            instrument = scoring_csv.resolve_instrument(options["instrument"])
        except LookupError as error:
            raise CommandError(str(error)) from None
        name = options["input"]
        fhir = options["format"] == "fhir"
        try:
            with self._input(name) as lines:
                layout, rows = scoring_csv.read_responses(lines, instrument)
                if layout.scored_without_column:
                    self._note(
                        f"note: no column for {', '.join(layout.scored_without_column)}; "
                        "rows will be incomplete without them"
                    )
                outcomes = scoring_csv.score_rows(layout, rows, keep_results=fhir)
                with self._output(options["output"]) as out:
                    if fhir:
                        tally = scoring_csv.write_fhir_bundle(
                            outcomes, out, on_error=self._report_row, progress=self._progress
                        )
                    else:
                        tally = scoring_csv.write_scored_csv(
                            layout, outcomes, out, progress=self._progress
                        )
        except CsvInputError as error:
            raise CommandError(f"{name}: {error}") from None
        except UnicodeDecodeError:
            raise CommandError(
                f"{name} is not UTF-8 text; save it as 'CSV UTF-8' and try again"
            ) from None
        except csv.Error as error:
            raise CommandError(f"{name}: cannot read the CSV: {error}") from None
        except BrokenPipeError:
            # The reader went away (`alliance score ... | head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None
        if self.stderr.isatty() or tally.rows >= PROGRESS_EVERY:
            self._note(f"scored {tally.rows:,} rows, {tally.errors:,} with errors")

    def _note(self, text: str) -> None:
        # stderr is styled as an error on a terminal; progress and notes are not errors.
        self.stderr.write(text, style_func=str)

    def _progress(self, tally: Tally) -> None:
        self._note(f"… {tally.rows:,} rows ({tally.errors:,} with errors)")

    def _report_row(self, outcome: RowOutcome) -> None:
        self._note(f"line {outcome.line}: {outcome.error}")

    @contextmanager
    def _input(self, name: str) -> Iterator[IO[str]]:
        if name == "-":
            stdin: IO[Any] = sys.stdin
            if hasattr(stdin, "buffer"):
                yield io.TextIOWrapper(stdin.buffer, encoding="utf-8-sig", newline="")
            else:
                yield stdin
            return
        try:
            stream = open(name, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except FileNotFoundError:
            raise CommandError(f"no such file: {name}") from None
        except IsADirectoryError:
            raise CommandError(f"{name} is a directory, not a CSV file") from None
        except OSError as error:
            raise CommandError(f"cannot read {name}: {error.strerror}") from None
        with stream:
            yield stream

    @contextmanager
    def _output(self, name: str | None) -> Iterator[scoring_csv.Writable]:
        if name is None:
            yield _Raw(self)
            return
        target = Path(name)
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".partial", dir=target.parent
            )
        except OSError as error:
            raise CommandError(f"cannot write {name}: {error.strerror}") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                yield stream
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
