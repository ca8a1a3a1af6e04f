"""Importing Questionnaires written elsewhere (NLM LHC-Forms, HL7 SDC)."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from instrument_test_helpers import LHC_PHQ9, alliance_questionnaire

from alliance.instruments import (
    Instrument,
    InstrumentRegistry,
    QuestionnaireImportError,
    get_instrument,
    import_questionnaire,
    score,
    score_batch,
)

PHQ9_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


@pytest.fixture
def imported_phq9(registry: InstrumentRegistry, lhc_phq9: dict[str, Any]) -> Instrument:
    return registry.import_questionnaire(lhc_phq9)


def test_lhc_phq9_imports_unchanged(registry: InstrumentRegistry, lhc_phq9: dict[str, Any]) -> None:
    original_bytes = LHC_PHQ9.read_bytes()
    pristine = copy.deepcopy(lhc_phq9)
    inst = registry.import_questionnaire(lhc_phq9)
    assert lhc_phq9 == pristine  # the import did not touch its input
    assert LHC_PHQ9.read_bytes() == original_bytes
    assert inst.id == "imported-phq-9-quick-depression-assessment-panel"
    assert inst.source == "imported"
    assert inst.adopted_from == "phq-9@1.0.0"
    assert inst.scored == tuple(
        f"/{c}" for c in ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2",
                          "44252-5", "44253-3", "44260-8"]
    )  # fmt: skip
    assert inst.total_link_id == "/44261-6" and inst.total_loinc == "44261-6"
    assert any("calculatedExpression recorded" in note for note in inst.import_notes)
    assert (inst.calculated_expression or "").startswith("iif(%any_questions_answered,")
    assert [b.code for b in inst.bands] == [b.code for b in get_instrument("phq-9").bands]
    assert [c.link_id for c in inst.critical] == ["/44260-8"]
    assert inst.item("/69722-7").position == 10 and not inst.item("/69722-7").weighted
    assert any("44249-1 recognised" in note for note in inst.import_notes)


def test_import_is_idempotent(registry: InstrumentRegistry, lhc_phq9: dict[str, Any]) -> None:
    first = registry.import_questionnaire(lhc_phq9)
    count = len(registry.instruments())
    assert registry.import_questionnaire(copy.deepcopy(lhc_phq9)) is first
    assert len(registry.instruments()) == count


def test_imported_ids_are_made_unique(
    registry: InstrumentRegistry, lhc_phq9: dict[str, Any]
) -> None:
    first = registry.import_questionnaire(lhc_phq9)
    other = copy.deepcopy(lhc_phq9)
    other["version"] = "2"
    second = registry.import_questionnaire(other)
    assert second.id == first.id + "-2"
    named = copy.deepcopy(lhc_phq9)
    named["version"] = "3"
    assert registry.import_questionnaire(named, instrument_id="practice-phq9").id == "practice-phq9"
    with pytest.raises(QuestionnaireImportError, match="already taken"):
        registry.import_questionnaire({**named, "version": "4"}, instrument_id="practice-phq9")
    with pytest.raises(QuestionnaireImportError, match="lowercase slug"):
        registry.import_questionnaire({**named, "version": "5"}, instrument_id="Not OK")


def scores_identically(imported: Instrument, answers: list[int | None]) -> None:
    builtin = score("phq-9", answers)
    other = score(imported, answers)
    assert other.total == builtin.total
    assert (other.band and other.band.code) == (builtin.band and builtin.band.code)
    assert [h.position for h in other.critical] == [h.position for h in builtin.critical]
    assert [h.value for h in other.critical] == [h.value for h in builtin.critical]
    assert other.clinical == builtin.clinical
    assert other.completeness.missing == tuple(
        imported.scored[get_instrument("phq-9").scored.index(m)]
        for m in builtin.completeness.missing
    )


def test_lhc_phq9_scores_like_builtin_per_item_sweeps(imported_phq9: Instrument) -> None:
    for base in range(4):
        for i in range(9):
            for v in range(4):
                answers: list[int | None] = [base] * 9
                answers[i] = v
                scores_identically(imported_phq9, answers)
    for i in range(9):  # one item missing
        answers = [2] * 9
        answers[i] = None
        scores_identically(imported_phq9, answers)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 3), st.none()), min_size=9, max_size=9))
def test_lhc_phq9_scores_like_builtin_hypothesis(answers: list[int | None]) -> None:
    registry = InstrumentRegistry()
    if not LHC_PHQ9.exists():
        pytest.skip("external fixture missing")
    imported = registry.import_questionnaire(json.loads(LHC_PHQ9.read_text(encoding="utf-8")))
    scores_identically(imported, answers)
    # and by answer code, keyed by the file's own linkIds
    by_code = {
        link: PHQ9_CODES[a]
        for link, a in zip(imported.scored, answers, strict=True)
        if a is not None
    }
    assert score(imported, by_code).total == score("phq-9", answers).total


def test_lhc_phq9_batch_exhaustive_equals_builtin(imported_phq9: Instrument) -> None:
    matrix = np.array(list(itertools.product(range(4), repeat=9)), dtype=np.float64)
    ours, theirs = score_batch("phq-9", matrix), score_batch(imported_phq9, matrix)
    assert np.array_equal(ours.totals, theirs.totals)
    assert np.array_equal(ours.band_index, theirs.band_index)
    assert np.array_equal(ours.critical, theirs.critical)


@pytest.mark.parametrize("value", [0, 1, 2, 3])
def test_lhc_phq9_item9_critical(imported_phq9: Instrument, value: int) -> None:
    assert score(imported_phq9, [0] * 8 + [value]).critical_tripped is (value >= 1)


def test_weights_that_differ_are_not_given_builtin_bands(
    registry: InstrumentRegistry, lhc_phq9: dict[str, Any]
) -> None:
    shifted = copy.deepcopy(lhc_phq9)
    for item in shifted["item"][:9]:
        for option in item["answerOption"]:
            for ext in option["extension"]:
                if ext["url"].endswith("ordinalValue"):
                    ext["valueDecimal"] += 1
    inst = registry.import_questionnaire(shifted)
    assert inst.adopted_from is None
    assert inst.bands == () and inst.critical == ()
    assert any("not adopted" in note for note in inst.import_notes)
    assert score(inst, ["LA6568-5"] * 9).total == 9  # the file's own weights
    assert score(inst, ["LA6568-5"] * 9).band is None


def test_sdc_nested_questionnaire_imports_and_scores(
    registry: InstrumentRegistry, sdc_nested: dict[str, Any]
) -> None:
    inst = registry.import_questionnaire(sdc_nested)
    assert inst.id == "imported-sdc-nested-example-test-fixture"
    assert inst.version == "0.3.0"
    assert inst.scored == ("mood.1", "mood.2", "support.1", "support.2")
    assert [it.link_id for it in inst.items] == [
        "mood.1", "mood.2", "support.1", "support.2", "support.comment",
    ]  # fmt: skip
    assert (inst.total_min, inst.total_max) == (0, 3 + 3 + 2 + 4)
    assert inst.adopted_from is None
    answers = {"mood.1": "LA6571-9", "mood.2": 1, "support.1": "partly", "support.2": "high"}
    result = score(inst, {**answers, "support.comment": "ok"})
    assert result.total == 3 + 1 + 1 + 4
    assert score(inst, [0, 0, 2, 0]).total == 2
    assert score(inst, [3, 3, None, 4]).total is None  # every weighted item is needed


def bad(mutate: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(q: dict[str, Any]) -> dict[str, Any]:
        q = copy.deepcopy(q)
        result = mutate(q)
        return result if isinstance(result, list) else q  # a list stands in for "not an object"

    return apply


MALFORMED_SDC = [
    (bad(lambda q: q.update(resourceType="Patient")),
     "not a Questionnaire: resourceType is 'Patient'"),
    (bad(lambda q: [q]), "not a Questionnaire: expected a JSON object"),
    (bad(lambda q: q.update(item=[])), "the Questionnaire has no items"),
    (bad(lambda q: q["item"][1]["item"][0].pop("answerValueSet")),
     "item 'mood.1': a choice item without answerOption or answerValueSet"),
    (bad(lambda q: q["item"][2]["item"][0].update(linkId="mood.2")), "duplicate linkId 'mood.2'"),
    (bad(lambda q: q["item"][1]["item"][0].update(answerValueSet="#nope")),
     "answerValueSet '#nope' does not match any contained ValueSet"),
    (bad(lambda q: q["item"][1]["item"][0].update(answerValueSet="http://loinc.org/vs/LL358-3")),
     "cannot resolve external ValueSets"),
    (bad(lambda q: q["contained"][0]["compose"]["include"][0]["concept"][1]["extension"][0].update(
        valueDecimal="one")), "weight 'one' is not a number"),
    (bad(lambda q: q["contained"][1]["compose"]["include"][0]["concept"][0]["extension"][0].update(
        valueDecimal=True)), "weight True is not a number"),
    (bad(lambda q: q["contained"][0]["compose"]["include"][0]["concept"][2].update(extension=[])),
     "some answer options have weights and some do not"),
    (bad(lambda q: q["item"][3]["extension"][0]["valueExpression"].update(
        expression="%resource.repeat(item).answer.value.ordinal().sum() * 2")), "not a plain sum"),
    (bad(lambda q: q["item"][3]["extension"][0]["valueExpression"].update(
        expression="%a.where(linkId = 'mood.1') + %a.where(linkId = 'ghost')")), "unknown linkIds"),
    (bad(lambda q: q["item"][1]["item"][1].pop("linkId")), "an item has no linkId"),
    (bad(lambda q: q.update(contained=[])), "does not match any contained ValueSet"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "reason"), MALFORMED_SDC)
def test_malformed_questionnaires_are_refused_and_nothing_registered(
    registry: InstrumentRegistry, sdc_nested: dict[str, Any], mutate: Any, reason: str
) -> None:
    before = [(i.id, i.version) for i in registry.instruments()]
    with pytest.raises(QuestionnaireImportError, match=re.escape(reason)):
        registry.import_questionnaire(mutate(sdc_nested))
    assert [(i.id, i.version) for i in registry.instruments()] == before


def test_lhc_expression_over_other_items_is_refused(
    registry: InstrumentRegistry, lhc_phq9: dict[str, Any]
) -> None:
    q = copy.deepcopy(lhc_phq9)
    total = next(i for i in q["item"] if i["linkId"] == "/44261-6")
    for ext in total["extension"]:
        if ext.get("valueExpression", {}).get("name") == "q9_value":
            ext["valueExpression"]["expression"] = ext["valueExpression"]["expression"].replace(
                "/44260-8", "/69722-7"
            )
    with pytest.raises(QuestionnaireImportError, match=r"have no weights|sums items"):
        registry.import_questionnaire(q)


def test_no_weighted_items_is_refused(registry: InstrumentRegistry) -> None:
    q = {"resourceType": "Questionnaire", "status": "draft",
         "item": [{"linkId": "a", "type": "string", "text": "Name"}]}  # fmt: skip
    with pytest.raises(QuestionnaireImportError, match="nothing to score"):
        registry.import_questionnaire(q)


def test_alliance_format_goes_through_register(registry: InstrumentRegistry) -> None:
    inst = registry.import_questionnaire(alliance_questionnaire("practice-scale"))
    assert (inst.id, inst.source) == ("practice-scale", "registered")


def test_module_level_import_uses_the_default_registry(sdc_nested: dict[str, Any]) -> None:
    q = copy.deepcopy(sdc_nested)
    q["title"] = "Module level import check"
    inst = import_questionnaire(q)
    assert get_instrument(inst.id) is inst
