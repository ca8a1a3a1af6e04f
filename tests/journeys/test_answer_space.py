"""The journeys' answer patterns cover the whole answer space (issue 12), and what the
walk found in it."""

from __future__ import annotations

import pytest

from alliance.web.questionnaire import QuestionnaireForm, answer_needed

from .answer_space import (
    LANGUAGES,
    LHC_PHQ9,
    Pattern,
    covering_patterns,
    imported_questionnaires,
    item_values,
    shipped_instruments,
)

PATTERNS = covering_patterns()


def test_the_patterns_cover_every_option_of_every_item() -> None:
    by_instrument: dict[str, list[Pattern]] = {}
    for pattern in PATTERNS:
        by_instrument.setdefault(pattern.instrument.id, []).append(pattern)
    expected = {inst.id for inst in shipped_instruments()}
    assert expected <= set(by_instrument)
    assert len(by_instrument) == len(expected) + len(imported_questionnaires())
    for patterns in by_instrument.values():
        inst = patterns[0].instrument
        for item in inst.items:
            given = {p.answers.get(item.link_id) for p in patterns}
            assert set(item_values(item)) <= given, item.link_id
            if not answer_needed(inst, item):
                assert None in given, f"{item.link_id} is also left blank"
        for rule in inst.critical:
            assert any(p.risk for p in patterns), f"{rule.link_id} is tripped"
            assert not all(p.risk for p in patterns)
        assert {p.language for p in patterns} == set(LANGUAGES)


def test_the_imported_fixtures_are_walked_too() -> None:
    fixtures = {p.fixture for p in PATTERNS}
    assert "sdc-nested-wellbeing.json" in fixtures
    if not LHC_PHQ9.exists():
        pytest.skip(f"external fixture not found at {LHC_PHQ9}")
    assert "lhc-forms-phq9.json" in fixtures
    lhc = next(p for p in PATTERNS if p.fixture == "lhc-forms-phq9.json").instrument
    assert [rule.link_id for rule in lhc.critical] == ["/44260-8"]


def test_an_item_the_total_cannot_do_without_is_not_offered_as_optional() -> None:
    """The LHC-Forms PHQ-9 leaves item 9 optional, yet no missing-item rule lets its total
    go without it: a form that offered it as optional would refuse the client's answers
    with no question marked."""
    if not LHC_PHQ9.exists():
        pytest.skip(f"external fixture not found at {LHC_PHQ9}")
    lhc = next(p for p in PATTERNS if p.fixture == "lhc-forms-phq9.json").instrument
    assert not lhc.item("/44260-8").required and lhc.missing_max == 0
    form = QuestionnaireForm(instrument=lhc, language="en")
    assert form.fields["/44260-8"].required
    assert not form.fields["/69722-7"].required  # the unscored difficulty question
