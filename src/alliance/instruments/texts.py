"""What a reader sees of a questionnaire: item and answer texts in their language, falling
back to the definition's own wording (no translation of ours is ever made up)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import AnswerOption, Instrument, Item


def item_text(item: Item, language: str) -> str:
    return item.translations.get(language) or item.text


def option_text(option: AnswerOption, language: str) -> str:
    return option.translations.get(language) or option.display


def answer_text(item: Item, code: Any, value: Any, language: str) -> str:
    """An answer as the reader sees it: its option's text if ``code`` is one, else the value."""
    option = next((o for o in item.options if o.code == code), None)
    return option_text(option, language) if option else str(value)


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
