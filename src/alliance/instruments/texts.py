"""What a reader sees of a questionnaire: item and answer texts in their language, falling
back to the definition's own wording (no translation of ours is ever made up), and what
each answer adds to a score.

Not every answer is a number: an unweighted choice (the PHQ-9's "how difficult" question,
answered with LOINC codes such as ``LA6572-7``) or free text has no points. Pages ask
:func:`answer_points` rather than treating a stored value as a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .model import AnswerOption, Instrument, Item, Number


def item_text(item: Item, language: str) -> str:
    return item.translations.get(language) or item.text


def option_text(option: AnswerOption, language: str) -> str:
    return option.translations.get(language) or option.display


def answer_text(item: Item, code: Any, value: Any, language: str) -> str:
    """An answer as the reader sees it: its option's text if ``code`` is one, else the value."""
    option = next((o for o in item.options if o.code == code), None)
    return option_text(option, language) if option else str(value)


def answer_points(item: Item, code: Any, value: Any) -> Number | None:
    """What an answer adds to a score: its option's weight, or the number given on a
    numeric item. None for an answer that has no weight (an unweighted code, free text,
    or a value the item does not know), never the code itself."""
    if item.kind == "choice":
        option = next((o for o in item.options if code is not None and o.code == code), None)
        if option is None and _is_number(value):
            option = next((o for o in item.options if o.weight == value), None)
        return option.weight if option is not None else None
    if item.kind in ("integer", "decimal") and _is_number(value):
        return value
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def answered_items(
    instrument: Instrument, answers: Mapping[str, Any], language: str
) -> list[tuple[str, str]]:
    """(question, answer) for each item answered in ``answers`` (link id -> the stored
    value, as an exercise entry keeps them), in the form's order; blanks are left out."""
    pairs = []
    for item in instrument.items:
        stored = answers.get(item.link_id)
        if stored is None or stored == "":
            continue
        pairs.append((item_text(item, language), answer_text(item, stored, stored, language)))
    return pairs
