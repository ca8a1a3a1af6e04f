"""Score one response: validate answers, total, band, subscales, critical items."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import InvalidAnswers
from .model import AnswerOption, Band, Instrument, Item, Number
from .registry import resolve


@dataclass(frozen=True)
class Answer:
    """One answered item after validation: its numeric value (if any) and the chosen option."""

    link_id: str
    value: (
        Number | str
    )  # weight or integer for scored items, text for free text, code if unweighted
    option: AnswerOption | None = None


@dataclass(frozen=True)
class CriticalHit:
    link_id: str
    position: int
    value: Number
    threshold: Number
    label: Mapping[str, str]


@dataclass(frozen=True)
class Completeness:
    answered: int  # scored items answered (optional ones included when answered)
    required: int  # scored items that must be answered (optional ones excluded)
    missing: tuple[str, ...]  # required scored items left unanswered
    complete: bool  # a total could be given under the missing-item rule


@dataclass(frozen=True)
class ScoreResult:
    instrument_id: str
    instrument_version: str
    total: Number | None
    band: Band | None
    subscales: Mapping[str, Number | None]
    critical: tuple[CriticalHit, ...]
    critical_unanswered: tuple[
        str, ...
    ]  # critical items left blank: ask about them, never assume 0
    completeness: Completeness
    clinical: bool | None  # total in the clinical range of the instrument's cut-off
    prorated: bool
    answers: Mapping[str, Answer]
    instrument: Instrument = field(repr=False, compare=False)

    @property
    def critical_tripped(self) -> bool:
        return bool(self.critical)


MISSING = object()


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, float) and math.isnan(value)


def _number_or_none(value: Any) -> Number | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return int(f) if f.is_integer() else f
    return None


def _check_answer(item: Item, value: Any) -> Answer | str:
    """Return the validated Answer, or a problem description."""
    if item.kind == "choice":
        if isinstance(value, Mapping) and "code" in value:
            value = value["code"]
        if isinstance(value, str):
            for opt in item.options:
                if opt.code == value:
                    return Answer(
                        item.link_id, opt.weight if opt.weight is not None else opt.code, opt
                    )
            return f"answer code {value!r} is not one of {', '.join(o.code for o in item.options)}"
        number = _number_or_none(value)
        if number is None:
            return f"expected an answer code or a weight, got {type(value).__name__} {value!r}"
        if not item.weighted:
            codes = ", ".join(o.code for o in item.options)
            return f"this item takes an answer code ({codes}), not a number"
        for opt in item.options:
            if opt.weight == number:
                return Answer(item.link_id, opt.weight, opt)
        allowed = ", ".join(str(v) for v in item.allowed_values())
        return f"value {value!r} is not one of the allowed answers {allowed}"
    if item.kind in ("integer", "decimal"):
        number = _number_or_none(value)
        if number is None or (item.kind == "integer" and not isinstance(number, int)):
            return (
                f"expected {'an integer' if item.kind == 'integer' else 'a number'}, got {value!r}"
            )
        if item.min_value is not None and number < item.min_value:
            return f"value {number} is below the minimum {item.min_value}"
        if item.max_value is not None and number > item.max_value:
            return f"value {number} is above the maximum {item.max_value}"
        return Answer(item.link_id, number)
    if not isinstance(value, str):
        return f"expected text, got {type(value).__name__}"
    return Answer(item.link_id, value)


def _keyed(
    inst: Instrument, answers: Any
) -> tuple[dict[str, tuple[Item, Any]], list[str], list[tuple[str, int | None]]]:
    """Map the caller's keys (linkId, 1-based position, 'itemN', or sequence order) to items."""
    problems: list[str] = []
    named: list[tuple[str, int | None]] = []
    out: dict[str, tuple[Item, Any]] = {}
    if hasattr(answers, "tolist") and not isinstance(answers, Mapping):
        answers = answers.tolist()  # numpy row
    from_sequence = False
    if isinstance(answers, Mapping):
        pairs = list(answers.items())
    elif isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        if len(answers) > len(inst.items):
            problems.append(
                f"{len(answers)} answers given but {inst.id} has {len(inst.items)} items"
            )
            named.append(("", None))
        pairs = list(enumerate(answers, 1))
        from_sequence = True
    else:
        raise InvalidAnswers(
            [f"answers must be a mapping or a sequence, got {type(answers).__name__}"], [("", None)]
        )
    for key, value in pairs:
        item: Item | None = None
        if isinstance(key, bool):
            item = None
        elif isinstance(key, int):
            if 1 <= key <= len(inst.items):
                item = inst.items[key - 1]
        elif isinstance(key, str):
            item = inst.by_link_id.get(key)
            if item is None and key.startswith("item") and key[4:].isdigit():
                pos = int(key[4:])
                if 1 <= pos <= len(inst.items):
                    item = inst.items[pos - 1]
        if item is None:
            if from_sequence:
                continue  # already reported as too many answers
            problems.append(f"unknown item {key!r} for instrument {inst.id}")
            named.append((str(key), None))
            continue
        if item.link_id in out:
            problems.append(f"{item.label()} is given twice")
            named.append((item.link_id, item.position))
            continue
        out[item.link_id] = (item, value)
    return out, problems, named


def normalise_answers(inst: Instrument, answers: Any) -> dict[str, Answer]:
    keyed, problems, named = _keyed(inst, answers)
    result: dict[str, Answer] = {}
    for item, value in keyed.values():
        if _is_missing(value):
            continue
        checked = _check_answer(item, value)
        if isinstance(checked, str):
            problems.append(f"{item.label()}: {checked}")
            named.append((item.link_id, item.position))
        else:
            result[item.link_id] = checked
    if problems:
        raise InvalidAnswers(problems, named)
    return result


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def compute_total(
    inst: Instrument, values: Mapping[str, Number]
) -> tuple[Number | None, bool, tuple[str, ...]]:
    """Total under the missing-item rule; the one formula shared with the batch path."""
    if not inst.is_scored:  # an unscored form: answers only, never a total (not even 0)
        return None, False, ()
    missing = tuple(s for s in inst.scored if s not in values and s not in inst.optional_scored)
    if len(missing) > inst.missing_max:
        return None, False, missing
    total: Number = 0
    for s in inst.scored:  # fixed order so that float sums match the batch path exactly
        if s in values:
            total += values[s]
    prorated = False
    if missing and inst.missing_method == "prorate":
        required = [s for s in inst.scored if s not in inst.optional_scored]
        answered_required = [s for s in required if s in values]
        optional_sum: Number = 0
        for s in inst.scored:
            if s in inst.optional_scored and s in values:
                optional_sum += values[s]
        required_sum = total - optional_sum
        scaled = required_sum * len(required) / len(answered_required) + optional_sum
        total = round_half_up(scaled) if inst.integer_scores else scaled
        prorated = True
    if inst.integer_scores and isinstance(total, float) and total.is_integer():
        total = int(total)
    return total, prorated, missing


def score(instrument: str | Instrument, answers: Any, *, strict: bool = False) -> ScoreResult:
    """Score one response.

    ``answers``: a mapping keyed by linkId, 1-based position or ``"itemN"``, or a sequence in
    item order (positions count answerable items only: display text and calculated totals are
    skipped). Values are the answer weight (int) or the answer code (e.g. ``"LA6569-3"``);
    None or NaN means unanswered. Invalid answers raise :class:`InvalidAnswers`.

    A response with more missing items than the instrument allows still returns a result
    (``total`` None) so that critical items on a partial form are never lost; pass
    ``strict=True`` to raise instead.
    """
    inst = resolve(instrument)
    answered = normalise_answers(inst, answers)
    values: dict[str, Number] = {}
    for link in inst.scored:
        ans = answered.get(link)
        if ans is not None and not isinstance(ans.value, str):
            values[link] = ans.value
    total, prorated, missing = compute_total(inst, values)
    # An unscored form has no total to miss: every valid response is complete.
    complete = total is not None or not inst.is_scored
    if not complete and strict:
        raise InvalidAnswers(
            [f"{inst.item(m).label()}: not answered" for m in missing]
            + [f"{len(missing)} missing, at most {inst.missing_max} allowed for a total"],
            [(m, inst.item(m).position) for m in missing],
        )
    subscales: dict[str, Number | None] = {}
    for sub in inst.subscales:
        if all(link in values for link in sub.items):
            acc: Number = 0
            for link in sub.items:
                acc += values[link]
            subscales[sub.code] = acc
        else:
            subscales[sub.code] = None
    hits = []
    unanswered = []
    for rule in inst.critical:
        if rule.link_id not in values:
            unanswered.append(rule.link_id)
        elif values[rule.link_id] >= rule.min_value:
            hits.append(
                CriticalHit(
                    link_id=rule.link_id,
                    position=inst.item(rule.link_id).position,
                    value=values[rule.link_id],
                    threshold=rule.min_value,
                    label=rule.label,
                )
            )
    required = [s for s in inst.scored if s not in inst.optional_scored]
    return ScoreResult(
        instrument_id=inst.id,
        instrument_version=inst.version,
        total=total,
        band=inst.band_for(total),
        subscales=MappingProxyType(subscales),
        critical=tuple(hits),
        critical_unanswered=tuple(unanswered),
        completeness=Completeness(
            answered=sum(1 for s in inst.scored if s in values),
            required=len(required),
            missing=missing,
            complete=complete,
        ),
        clinical=None
        if total is None or inst.clinical_cutoff is None
        else inst.clinical_cutoff.is_clinical(total),
        prorated=prorated,
        answers=MappingProxyType(answered),
        instrument=inst,
    )
