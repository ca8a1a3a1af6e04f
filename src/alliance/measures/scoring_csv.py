"""Score a CSV file of questionnaire responses, one response per row (``alliance score``).

Item columns are named by linkId (``phq9-1``) or ``item1``…``itemN`` (by position); each cell
holds the answer's weight or its code. Every other column passes through, made safe to open
in a spreadsheet (a cell that would start a formula gets a leading ``'``). Rows
are scored with ``score_batch`` where every cell is a known answer (the common case), and
with ``score`` otherwise, so that a bad row gets the engine's own message naming the item;
both paths give the same results (tested row by row).
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from django.db import DatabaseError

from alliance import instruments as engine
from alliance.instruments import Instrument, Item, ScoreResult
from alliance.lib.spreadsheet import formula_safe_row
from alliance.measures import instruments as practice

PROGRESS_EVERY = 10_000
SUBSCALE_PREFIX = "subscale_"
_CHUNK = 4096
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_ITEM_N = re.compile(r"item(\d+)", re.IGNORECASE)
_UNKNOWN = object()


class CsvInputError(ValueError):
    """The file cannot be scored at all (no header, no item columns...); nothing is written."""


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def resolve_instrument(spec: str) -> Instrument:
    """``phq-9`` or ``phq-9@1.0.0``: built-in or imported by the practice.

    Raises ``LookupError`` with a message meant for the person at the terminal.
    """
    instrument_id, _, version = spec.partition("@")
    try:
        return practice.get_instrument(instrument_id, version or None)
    except engine.UnknownInstrument:
        if version:
            raise LookupError(
                f"unknown version {version!r} of instrument {instrument_id!r}; "
                "see `alliance instruments list`"
            ) from None
        raise LookupError(
            f"unknown instrument {instrument_id!r}; see `alliance instruments list`"
        ) from None
    except DatabaseError as error:
        raise LookupError(
            f"cannot read the practice's imported instruments ({error}); "
            "has `alliance migrate` been run?"
        ) from None


def result_columns(instrument: Instrument) -> tuple[str, ...]:
    subscales = tuple(f"{SUBSCALE_PREFIX}{sub.code}" for sub in instrument.subscales)
    return ("total", "band", *subscales, "critical", "error")


@dataclass(frozen=True)
class CsvLayout:
    instrument: Instrument
    header: tuple[str, ...]
    delimiter: str
    item_columns: tuple[tuple[int, Item], ...]  # (column index, item), in column order
    scored_without_column: tuple[str, ...]  # scored items no column names: rows lack them

    @property
    def output_header(self) -> tuple[str, ...]:
        return (*self.header, *result_columns(self.instrument))


@dataclass(frozen=True)
class RowOutcome:
    line: int  # line of the file where the row ends (the header is line 1)
    cells: tuple[str, ...]  # the row as read, padded to the header's width
    total: float | None
    band: str | None
    subscales: tuple[float | None, ...]  # in Instrument.subscales order
    critical: tuple[str, ...]  # linkIds of the critical items that tripped
    error: str  # empty when the row has a total
    result: ScoreResult | None = field(default=None, compare=False)

    def result_cells(self) -> list[str]:
        return [
            _number_text(self.total),
            self.band or "",
            *(_number_text(value) for value in self.subscales),
            ";".join(self.critical),
            self.error,
        ]


@dataclass
class Tally:
    rows: int = 0
    errors: int = 0

    def count(self, outcome: RowOutcome) -> None:
        self.rows += 1
        if outcome.error:
            self.errors += 1


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


# -- reading ------------------------------------------------------------------------------


def _guess_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])  # ties go to ",", the first
    return best if counts[best] else ","


def _map_header(instrument: Instrument, header: list[str], delimiter: str) -> CsvLayout:
    by_lower: dict[str, list[Item]] = {}
    for each in instrument.items:
        by_lower.setdefault(each.link_id.lower(), []).append(each)
    reserved = {name.lower() for name in result_columns(instrument)}
    named: dict[str, str] = {}
    columns: list[tuple[int, Item]] = []
    for index, name in enumerate(header):
        key = name.strip()
        item: Item | None = instrument.by_link_id.get(key)
        if item is None and len(by_lower.get(key.lower(), ())) == 1:
            item = by_lower[key.lower()][0]
        if item is None and (match := _ITEM_N.fullmatch(key)):
            position = int(match.group(1))
            if not 1 <= position <= len(instrument.items):
                raise CsvInputError(
                    f"column {name!r} names item {position}, but {instrument.id} has "
                    f"{len(instrument.items)} items (item1…item{len(instrument.items)})"
                )
            item = instrument.items[position - 1]
        if item is None:
            if key.lower() in reserved:
                raise CsvInputError(
                    f"the input already has a column {name!r}, which the results would "
                    "repeat; rename or remove it"
                )
            continue
        if item.link_id in named:
            raise CsvInputError(
                f"columns {named[item.link_id]!r} and {name!r} both name {item.label()}"
            )
        named[item.link_id] = name
        columns.append((index, item))
    if not columns:
        items = instrument.items
        shown = ", ".join(repr(h) for h in header[:8]) + (", …" if len(header) > 8 else "")
        raise CsvInputError(
            f"no item columns for {instrument.id} in the header ({shown}): name them by "
            f"linkId ({items[0].link_id} … {items[-1].link_id}) or item1 … item{len(items)}"
        )
    return CsvLayout(
        instrument=instrument,
        header=tuple(header),
        delimiter=delimiter,
        item_columns=tuple(columns),
        scored_without_column=tuple(s for s in instrument.scored if s not in named),
    )


def read_responses(
    lines: Iterable[str], instrument: Instrument
) -> tuple[CsvLayout, Iterator[tuple[int, list[str]]]]:
    """The header's layout, and the data rows as ``(line, cells)``; empty lines skipped.

    ``lines`` is a text stream opened with ``newline=""`` (a leading BOM is dropped).
    """
    stream = iter(lines)
    skipped = 0
    first = ""
    for line in stream:
        first = line.lstrip("\ufeff") if skipped == 0 else line
        if first.strip():
            break
        skipped += 1
    if not first.strip():
        raise CsvInputError("the file is empty: expected a header row naming the item columns")
    delimiter = _guess_delimiter(first)
    reader = csv.reader(itertools.chain([first], stream), delimiter=delimiter)
    header = next(reader)
    layout = _map_header(instrument, header, delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num + skipped, cells

    return layout, rows()


# -- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ItemReader:
    """How the cells of one item column become answers."""

    item: Item
    # Exact cell texts that are valid answers, for the batch path: their weight (None for
    # an unweighted code). Anything else goes through score(), which names the problem.
    known: Mapping[str, Any]
    ambiguous: Mapping[str, str]  # cell text -> problem (a numeric code that is another weight)

    @classmethod
    def for_item(cls, item: Item) -> _ItemReader:
        known: dict[str, Any] = {}
        ambiguous: dict[str, str] = {}
        if item.kind == "choice":
            for option in item.options:
                if option.weight is not None and float(option.weight).is_integer():
                    known.setdefault(str(int(option.weight)), option.weight)
            for option in item.options:
                if _NUMBER.fullmatch(option.code):
                    others = [
                        o
                        for o in item.options
                        if o is not option
                        and o.weight is not None
                        and o.weight == float(option.code)
                    ]
                    if others:
                        ambiguous[option.code] = (
                            f"{item.label()}: {option.code!r} is both the code of "
                            f"{option.display!r} and the weight of {others[0].display!r}"
                        )
                        known.pop(option.code, None)
                        continue
                known[option.code] = option.weight
        elif item.kind == "integer" and item.min_value is not None and item.max_value is not None:
            for value in item.allowed_values():
                known[str(value)] = value
        return cls(item=item, known=known, ambiguous=ambiguous)

    def value(self, text: str) -> Any:
        """The answer as ``score()`` takes it: None (blank), a number, or a code/text."""
        text = text.strip()
        if not text:
            return None
        if self.item.kind == "text":
            return text
        if self.item.kind == "choice" and any(o.code == text for o in self.item.options):
            return text
        if _NUMBER.fullmatch(text):
            number = float(text)
            return int(number) if number.is_integer() and math.isfinite(number) else number
        return text


class _Scorer:
    def __init__(self, layout: CsvLayout) -> None:
        self.layout = layout
        self.inst = layout.instrument
        self.readers = [(index, _ItemReader.for_item(item)) for index, item in layout.item_columns]
        self.width = len(layout.header)
        self.batch_column = {link: j for j, link in enumerate(self.inst.batch_columns)}
        self.no_subscales: tuple[float | None, ...] = (None,) * len(self.inst.subscales)
        self.plan = [
            (
                index,
                reader.known,
                self.batch_column.get(reader.item.link_id),
                reader.item.kind == "text",
            )
            for index, reader in self.readers
        ]

    def _cells(self, cells: list[str]) -> tuple[tuple[str, ...], str]:
        if len(cells) > self.width and any(c.strip() for c in cells[self.width :]):
            return tuple(cells[: self.width]), (
                f"row has {len(cells)} fields but the header has {self.width}"
            )
        padded = cells[: self.width] + [""] * (self.width - len(cells))
        return tuple(padded), ""

    def _incomplete(self, missing: Iterable[str]) -> str:
        missing = tuple(missing)
        plural = "s" if len(missing) != 1 else ""
        text = f"incomplete: {len(missing)} required item{plural} unanswered ({', '.join(missing)})"
        if self.inst.missing_max:
            text += f"; at most {self.inst.missing_max} may be left blank"
        return text

    def one(self, line: int, cells: tuple[str, ...], *, keep_result: bool) -> RowOutcome:
        answers: dict[str, Any] = {}
        problems: list[str] = []
        for index, reader in self.readers:
            text = cells[index].strip()
            if text in reader.ambiguous:
                problems.append(reader.ambiguous[text])
                continue
            answers[reader.item.link_id] = reader.value(text)
        try:
            if problems:
                raise engine.InvalidAnswers(problems, [])
            result = engine.score(self.inst, answers)
        except engine.InvalidAnswers as error:
            return RowOutcome(
                line, cells, None, None, self.no_subscales, self._critical_of(answers), str(error)
            )
        band = result.band.code if result.band else None
        return RowOutcome(
            line=line,
            cells=cells,
            total=None if result.total is None else float(result.total),
            band=band,
            subscales=tuple(
                None if (v := result.subscales.get(sub.code)) is None else float(v)
                for sub in self.inst.subscales
            ),
            critical=tuple(hit.link_id for hit in result.critical),
            error="" if result.total is not None else self._incomplete(result.completeness.missing),
            result=result if keep_result else None,
        )

    def _critical_of(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        # An invalid answer elsewhere must not hide a critical item that was answered
        # validly (the same rule score_batch applies).
        tripped = []
        for rule in self.inst.critical:
            value = answers.get(rule.link_id)
            if value is None:
                continue
            try:
                if engine.score(self.inst, {rule.link_id: value}).critical:
                    tripped.append(rule.link_id)
            except engine.InvalidAnswers:
                continue
        return tuple(tripped)

    def _fast_row(self, cells: tuple[str, ...]) -> list[float] | None:
        """The row's weights in batch-column order (NaN = blank), or None if not plain."""
        row = [math.nan] * len(self.batch_column)
        for index, known, j, free_text in self.plan:
            text = cells[index]
            value = known.get(text, _UNKNOWN)
            if value is _UNKNOWN:
                text = text.strip()
                if not text or free_text:
                    continue
                value = known.get(text, _UNKNOWN)
                if value is _UNKNOWN:
                    return None
            if j is not None:
                row[j] = value
        return row

    def chunk(
        self, rows: list[tuple[int, list[str]]], *, batch: bool, keep_results: bool
    ) -> list[RowOutcome]:
        outcomes: list[RowOutcome | None] = [None] * len(rows)
        fast_at: list[tuple[int, int, tuple[str, ...]]] = []
        fast_rows: list[list[float]] = []
        for k, (line, raw) in enumerate(rows):
            cells, problem = self._cells(raw)
            if problem:
                outcomes[k] = RowOutcome(line, cells, None, None, self.no_subscales, (), problem)
                continue
            fast = self._fast_row(cells) if batch and not keep_results else None
            if fast is None:
                outcomes[k] = self.one(line, cells, keep_result=keep_results)
            else:
                fast_at.append((k, line, cells))
                fast_rows.append(fast)
        if fast_rows:
            self._batch(fast_at, np.array(fast_rows, dtype=np.float64), outcomes)
        return [o for o in outcomes if o is not None]

    def _batch(
        self,
        fast_at: list[tuple[int, int, tuple[str, ...]]],
        matrix: np.ndarray[Any, np.dtype[np.float64]],
        outcomes: list[RowOutcome | None],
    ) -> None:
        inst = self.inst
        scored = engine.score_batch(inst, matrix)
        answered = ~np.isnan(matrix)
        subscale_values = []
        for sub in inst.subscales:
            cols = [self.batch_column[link] for link in sub.items]
            acc = np.zeros(matrix.shape[0], dtype=np.float64)
            for c in cols:  # column by column: the same summation order as score()
                acc += np.nan_to_num(matrix[:, c])
            subscale_values.append(np.where(answered[:, cols].all(axis=1), acc, np.nan))
        required = [
            (j, link)
            for j, link in enumerate(inst.batch_columns)
            if link not in inst.optional_scored
        ]
        errors = scored.errors.tolist()
        totals = scored.totals.tolist()
        band_index = scored.band_index.tolist()
        critical_items = scored.critical_items.tolist()
        subscale_rows = list(zip(*(v.tolist() for v in subscale_values), strict=True))
        for r, (k, line, cells) in enumerate(fast_at):
            if errors[r] == engine.INVALID:  # not expected: known cells are valid
                outcomes[k] = self.one(line, cells, keep_result=False)
                continue
            critical = tuple(
                link
                for link, tripped in zip(scored.critical_link_ids, critical_items[r], strict=True)
                if tripped
            )
            subscales = (
                tuple(None if math.isnan(v) else v for v in subscale_rows[r])
                if subscale_rows
                else self.no_subscales
            )
            if errors[r] == engine.OK:
                outcomes[k] = RowOutcome(
                    line=line,
                    cells=cells,
                    total=totals[r],
                    band=inst.bands[band_index[r]].code if band_index[r] >= 0 else None,
                    subscales=subscales,
                    critical=critical,
                    error="",
                )
            else:
                missing = (link for j, link in required if not answered[r, j])
                outcomes[k] = RowOutcome(
                    line, cells, None, None, subscales, critical, self._incomplete(missing)
                )


def score_rows(
    layout: CsvLayout,
    rows: Iterable[tuple[int, list[str]]],
    *,
    batch: bool = True,
    keep_results: bool = False,
) -> Iterator[RowOutcome]:
    """Score each row, in order. ``keep_results`` attaches the ScoreResult (for FHIR)."""
    scorer = _Scorer(layout)
    it = iter(rows)
    while chunk := list(itertools.islice(it, _CHUNK)):
        yield from scorer.chunk(chunk, batch=batch, keep_results=keep_results)


# -- writing ------------------------------------------------------------------------------

Progress = Callable[[Tally], None]


def _counted(
    outcomes: Iterable[RowOutcome], tally: Tally, progress: Progress | None
) -> Iterator[RowOutcome]:
    for outcome in outcomes:
        tally.count(outcome)
        if progress is not None and tally.rows % PROGRESS_EVERY == 0:
            progress(tally)
        yield outcome


def write_scored_csv(
    layout: CsvLayout,
    outcomes: Iterable[RowOutcome],
    out: Writable,
    *,
    progress: Progress | None = None,
) -> Tally:
    """The input columns, then total, band, subscale_<code>…, critical, error.

    Every cell is made formula-safe (``alliance.lib.spreadsheet``): a pass-through cell or
    a bad answer such as ``=HYPERLINK(…)`` is written as text, never as a formula.
    """
    tally = Tally()
    writer = csv.writer(out, delimiter=layout.delimiter)
    writer.writerow(formula_safe_row(layout.output_header))
    for outcome in _counted(outcomes, tally, progress):
        writer.writerow(formula_safe_row([*outcome.cells, *outcome.result_cells()]))
    return tally


def _response_outline(node: Any) -> Any:
    """Only what a QuestionnaireResponse mirrors: linkId, type, text and nested items."""
    if isinstance(node, Mapping):
        return {
            key: _response_outline(value)
            for key, value in node.items()
            if key in ("linkId", "type", "text", "item")
        }
    if isinstance(node, tuple | list):
        return [_response_outline(value) for value in node]
    return node


def write_fhir_bundle(
    outcomes: Iterable[RowOutcome],
    out: Writable,
    *,
    on_error: Callable[[RowOutcome], None],
    progress: Progress | None = None,
) -> Tally:
    """A collection Bundle: one QuestionnaireResponse per scored row, then its Observations.

    Written entry by entry (one per line), so that a large file never sits in memory.
    Rows with an error (invalid or incomplete) go to ``on_error`` and are left out.
    ``outcomes`` must come from ``score_rows(..., keep_results=True)``.
    """
    tally = Tally()
    outlined: dict[int, Instrument] = {}
    bundle_id = uuid.uuid4()
    # FHIR allows no empty arrays: "entry" is opened by the first entry, if any.
    out.write(f'{{"resourceType": "Bundle", "id": "{bundle_id}", "type": "collection"')
    first = True
    for outcome in _counted(outcomes, tally, progress):
        result = outcome.result
        if outcome.error or result is None:
            on_error(outcome)
            continue
        # The export copies the whole Questionnaire for each response; an outline of it
        # gives the same response (tested) at a fraction of the cost on large files.
        inst = result.instrument
        if id(inst) not in outlined:
            outline = _response_outline(inst.questionnaire)
            outlined[id(inst)] = dataclasses.replace(inst, questionnaire=outline)
        result = dataclasses.replace(result, instrument=outlined[id(inst)])
        response_url = f"urn:uuid:{uuid.uuid4()}"
        entries = [{"fullUrl": response_url, "resource": engine.to_questionnaire_response(result)}]
        for observation in engine.to_observations(result, derived_from=response_url):
            entries.append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": observation})
        for entry in entries:
            out.write(
                (', "entry": [\n' if first else ",\n") + json.dumps(entry, ensure_ascii=False)
            )
            first = False
    out.write("}\n" if first else "\n]}\n")
    return tally
