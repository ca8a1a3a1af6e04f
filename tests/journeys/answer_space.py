"""The answer space of every instrument a client can be asked to fill in: the shipped
ones and the imported ones of the test fixtures (the external LHC-Forms PHQ-9, the
SDC-style nested form), and answer patterns over it.

The covering patterns are made deterministically so that every option of every item is
given at least once, every optional item is both answered and left empty, and every risk
item is tripped; hypothesis (tests/journeys/test_answer_journeys.py) adds combinations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alliance import instruments as engine
from alliance.instruments.texts import answer_points
from alliance.web.questionnaire import answer_needed

REPO = Path(__file__).resolve().parents[2]
LHC_PHQ9 = REPO.parent / "shared" / "fixtures" / "external" / "lhc-forms-phq9.json"
SDC_NESTED = REPO / "tests" / "instruments" / "fixtures" / "sdc-nested-wellbeing.json"
IMPORTED_FIXTURES = {"lhc-forms-phq9.json": LHC_PHQ9, "sdc-nested-wellbeing.json": SDC_NESTED}

# Free text that must come back escaped, whole, and in any script.
COMMENTS = (
    'Kind words & a <b>tag</b>, "quotes" and a quote\'s end',
    "¿Qué tal? Ñandú, señal — 你好 😊",
)

# The language the client fills in the form in alternates between patterns; every page
# is then read in both.
LANGUAGES = ("en", "es")


def imported_questionnaires() -> dict[str, dict[str, Any]]:
    """The imported fixtures present here, by file name (the external one may be absent)."""
    return {
        name: json.loads(path.read_text(encoding="utf-8"))
        for name, path in IMPORTED_FIXTURES.items()
        if path.exists()
    }


def _imported_instruments() -> dict[str, engine.Instrument]:
    # A private registry: collecting the cases must not register anything in the process.
    registry = engine.InstrumentRegistry()
    return {
        name: registry.import_questionnaire(questionnaire)
        for name, questionnaire in imported_questionnaires().items()
    }


def shipped_instruments() -> list[engine.Instrument]:
    """What a therapist can ask for out of the box (superseded versions only rescore)."""
    return [
        inst for inst in engine.list_instruments() if inst.source == "builtin" and inst.is_scored
    ]


def item_values(item: engine.Item) -> list[str]:
    """Every answer an item can be given, as the form posts it."""
    if item.kind == "choice":
        return [option.code for option in item.options]
    if item.kind in ("integer", "decimal") and item.allowed_values():
        return [str(value) for value in item.allowed_values()]
    return list(COMMENTS)


@dataclass(frozen=True)
class Pattern:
    instrument: engine.Instrument
    fixture: str | None  # the imported fixture's file name; None for a shipped instrument
    answers: dict[str, str] = field(hash=False)  # link id -> posted value; left out = blank
    language: str = "en"  # the client's language while filling in the form
    label: str = ""

    @property
    def risk(self) -> bool:
        """A critical item at or above its threshold (DESIGN.md "Risk")."""
        for rule in self.instrument.critical:
            posted = self.answers.get(rule.link_id)
            if posted is None:
                continue
            item = self.instrument.item(rule.link_id)
            points = answer_points(item, posted, _number(posted))
            if points is not None and points >= rule.min_value:
                return True
        return False


def _number(posted: str) -> Any:
    try:
        return int(posted)
    except ValueError:
        return posted


def covering_patterns() -> list[Pattern]:
    """For each instrument: pattern k gives each item its k-th answer (round the item's
    answers), so every option of every item appears; one more leaves every optional item
    blank."""
    sources: list[tuple[engine.Instrument, str | None]] = [
        (inst, None) for inst in shipped_instruments()
    ]
    sources += [(inst, name) for name, inst in _imported_instruments().items()]
    patterns = []
    for inst, fixture in sources:
        values = {item.link_id: item_values(item) for item in inst.items}
        widest = max(len(v) for v in values.values())
        for k in range(widest):
            patterns.append(
                Pattern(
                    inst,
                    fixture,
                    {link_id: v[k % len(v)] for link_id, v in values.items()},
                    LANGUAGES[k % 2],
                    f"{inst.id}-{k}",
                )
            )
        if any(not answer_needed(inst, item) for item in inst.items):
            required = {
                item.link_id: values[item.link_id][-1]
                for item in inst.items
                if answer_needed(inst, item)
            }
            patterns.append(Pattern(inst, fixture, required, "es", f"{inst.id}-blanks"))
    return patterns
