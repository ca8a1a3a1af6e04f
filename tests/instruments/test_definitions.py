"""The shipped definitions: valid FHIR, the right codes, honest metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from instrument_test_helpers import DEFINITIONS, alliance_questionnaire, load_definition, with_meta

from alliance.instruments import (
    SCORING_URL,
    InstrumentRegistry,
    QuestionnaireImportError,
    UnknownInstrument,
    get_instrument,
    list_instruments,
)

SHIPPED = ["audit-c", "gad-2", "gad-7", "pcl-5", "phq-15", "phq-2", "phq-9", "session-feedback"]


def meta_of(q: dict[str, Any]) -> dict[str, Any]:
    ext = next(e for e in q["extension"] if e["url"] == SCORING_URL)
    return json.loads(ext["valueString"])


def test_exactly_the_expected_instruments_ship() -> None:
    assert sorted(p.stem for p in DEFINITIONS.glob("*.json")) == SHIPPED
    assert [i.id for i in list_instruments() if i.source == "builtin"] == SHIPPED


@pytest.mark.parametrize("iid", SHIPPED)
def test_definition_validates_as_fhir_r4b_questionnaire(iid: str) -> None:
    q = load_definition(iid)
    model = Questionnaire.model_validate(q)
    assert model.id == iid
    assert model.version == "1.0.0"
    assert model.url == f"urn:alliance:questionnaire:{iid}"


@pytest.mark.parametrize("iid", SHIPPED)
def test_definition_carries_citations_licence_and_sourced_facts(iid: str) -> None:
    meta = meta_of(load_definition(iid))
    assert meta["instrument_id"] == iid
    assert meta["citations"] and meta["licence"]
    assert meta["direction"] in ("higher_is_worse", "higher_is_better")

    def facts(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if "verified" in node:
                found.append(node)
            for v in node.values():
                found += facts(v)
        elif isinstance(node, list):
            for v in node:
                found += facts(v)
        return found

    for fact in facts(meta):
        assert isinstance(fact["verified"], bool)
        assert fact["source"], fact
        if not fact["verified"]:
            assert fact.get("note"), f"unverified fact without a note: {fact}"


@pytest.mark.parametrize("iid", SHIPPED)
def test_bands_have_english_and_spanish_labels_and_client_text(iid: str) -> None:
    inst = get_instrument(iid)
    assert inst.bands
    for band in inst.bands:
        assert set(band.label) == {"en", "es"}
        assert set(band.client_text) == {"en", "es"}
        for word in ("fail", "non-compliant", "you got worse"):
            assert word not in band.client_text["en"].lower()


@pytest.mark.parametrize("iid", SHIPPED)
def test_spanish_only_where_declared(iid: str) -> None:
    inst = get_instrument(iid)
    meta = meta_of(load_definition(iid))
    answerable = [it for it in inst.items if it.kind != "text" or it.translations]
    if "es" in inst.languages:
        assert all("es" in it.translations for it in answerable)
    else:
        assert inst.languages == ("en",)
        assert "official Spanish wording not yet added" in meta["languages_note"]
        assert all(not it.translations for it in inst.items)
        assert all(not o.translations for it in inst.items for o in it.options)


def test_phq9_loinc_codes() -> None:
    q = load_definition("phq-9")
    assert q["code"][0] == {
        "system": "http://loinc.org",
        "code": "44249-1",
        "display": "PHQ-9 quick depression assessment panel",
    }
    inst = get_instrument("phq-9")
    assert [inst.item(s).loinc for s in inst.scored] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
        "44258-2", "44252-5", "44253-3", "44260-8",
    ]  # fmt: skip
    assert inst.total_loinc == "44261-6"
    for link in inst.scored:
        assert [(o.code, o.weight) for o in inst.item(link).options] == [
            ("LA6568-5", 0), ("LA6569-3", 1), ("LA6570-1", 2), ("LA6571-9", 3),
        ]  # fmt: skip


def test_phq9_difficulty_item_is_optional_and_unscored() -> None:
    inst = get_instrument("phq-9")
    difficulty = inst.item("phq9-difficulty")
    assert difficulty.loinc == "69722-7"
    assert difficulty.position == 10
    assert not difficulty.required
    assert not difficulty.weighted
    assert "phq9-difficulty" not in inst.scored
    assert [o.code for o in difficulty.options] == ["LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"]


def test_phq9_spanish_is_the_official_wording() -> None:
    inst = get_instrument("phq-9")
    assert inst.languages == ("en", "es")
    assert inst.item("phq9-1").translations["es"] == "Poco interés o placer en hacer cosas"
    assert inst.item("phq9-9").translations["es"] == (
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"
    )
    assert [o.translations["es"] for o in inst.item("phq9-1").options] == [
        "Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días",
    ]  # fmt: skip


def test_gad7_zero_option_is_not_at_all() -> None:
    inst = get_instrument("gad-7")
    for link in inst.scored:
        assert inst.item(link).options[0].display == "Not at all"
    for path in DEFINITIONS.glob("*.json"):
        assert "not at all sure" not in path.read_text(encoding="utf-8").lower()


def test_gad7_loinc_codes() -> None:
    inst = get_instrument("gad-7")
    assert inst.questionnaire["code"][0]["code"] == "69737-5"
    assert inst.total_loinc == "70274-6"
    assert [inst.item(s).loinc for s in inst.scored] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ]  # fmt: skip


def test_audit_c_has_item_specific_answers_and_sex_specific_cutoff() -> None:
    inst = get_instrument("audit-c")
    codes = [[o.code for o in inst.item(s).options] for s in inst.scored]
    assert codes[0] == ["LA6270-8", "LA18926-8", "LA18927-6", "LA18928-4", "LA18929-2"]
    assert codes[1] == ["LA15694-5", "LA15695-2", "LA18930-0", "LA18931-8", "LA18932-6"]
    assert codes[2] == ["LA6270-8", "LA18933-4", "LA18876-5", "LA18891-4", "LA18934-2"]
    assert inst.total_loinc == "75626-2"
    assert inst.questionnaire["code"][0]["code"] == "72109-2"
    assert inst.clinical_cutoff is not None
    assert inst.clinical_cutoff.value == 3
    assert dict(inst.clinical_cutoff.by_sex) == {"male": 4, "female": 3}


def test_session_feedback_is_ours_and_not_validated() -> None:
    inst = get_instrument("session-feedback")
    meta = meta_of(load_definition("session-feedback"))
    assert inst.validated is False
    assert "NOT a validated instrument" in meta["not_validated_notice"]["en"]
    assert inst.direction == "higher_is_better"
    assert inst.reliable_change is None
    assert inst.clinical_cutoff is None
    assert meta["rupture_cutoff"]["ours"] is True
    assert [inst.item(s).text for s in inst.scored] == [
        "I felt heard, understood and respected",
        "We worked on what I wanted to work on",
        "The way we are working fits me",
        "My background and values were respected",
        "Overall, this session was right for me",
    ]
    for link in inst.scored:
        item = inst.item(link)
        assert (item.kind, item.min_value, item.max_value) == ("integer", 0, 10)
        assert "es" in item.translations
    comment = inst.item("sf-comment")
    assert comment.kind == "text" and not comment.required and "sf-comment" not in inst.scored
    assert (inst.total_min, inst.total_max) == (0, 50)


def test_unknown_instrument_is_a_clear_error() -> None:
    with pytest.raises(UnknownInstrument, match="unknown instrument 'phq-99'"):
        get_instrument("phq-99")
    with pytest.raises(UnknownInstrument, match=r"no version '9\.9'"):
        get_instrument("phq-9", "9.9")


def test_instruments_are_loaded_once() -> None:
    assert get_instrument("phq-9") is get_instrument("phq-9")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "bands": {
                    "ranges": [
                        {
                            "code": "a",
                            "min": 0,
                            "max": 4,
                            "label": {"en": "A"},
                            "client_text": {"en": "a"},
                        },
                        {
                            "code": "b",
                            "min": 6,
                            "max": 12,
                            "label": {"en": "B"},
                            "client_text": {"en": "b"},
                        },
                    ]
                }
            },
            "band 'b' starts at 6, expected 5",
        ),
        (
            {
                "bands": {
                    "ranges": [
                        {
                            "code": "a",
                            "min": 0,
                            "max": 10,
                            "label": {"en": "A"},
                            "client_text": {"en": "a"},
                        },
                    ]
                }
            },
            "the last band ends at 10, the highest total is 12",
        ),
        (
            {"total": {"items": ["t1", "t2", "t3", "t4"], "method": "sum", "min": 0, "max": 11}},
            "total.max says 11 but the weights give 12",
        ),
        ({"direction": "sideways"}, "direction must be"),
        ({"missing": {"max_missing": 1, "method": "none"}}, "requires max_missing 0"),
        (
            {"critical_items": [{"link_id": "nope", "min_value": 1, "label": {"en": "x"}}]},
            "critical item 'nope'",
        ),
        (
            {"reliable_change": {"rc_method": "jacobson_truax", "reliability": 0.8}},
            "jacobson_truax needs reliability and norm_sd",
        ),
        ({"languages": ["en", "es"]}, "has no es text"),
        ({"instrument_id": "Bad Id"}, "lowercase slug"),
        ({"format": 2}, "format 2"),
    ],
)
def test_invalid_alliance_definitions_are_refused_and_nothing_registered(
    registry: InstrumentRegistry, change: dict[str, Any], message: str
) -> None:
    before = [i.id for i in registry.instruments()]
    q = with_meta(alliance_questionnaire(), **change)
    with pytest.raises(QuestionnaireImportError, match=message):
        registry.register(q)
    assert [i.id for i in registry.instruments()] == before


def test_register_validates_then_registers_and_is_idempotent(registry: InstrumentRegistry) -> None:
    inst = registry.register(alliance_questionnaire("my-scale"))
    assert registry.get("my-scale") is inst
    assert registry.register(alliance_questionnaire("my-scale")) is inst
    changed = alliance_questionnaire("my-scale", weights=(0, 1, 2))
    with pytest.raises(QuestionnaireImportError, match="already registered with different content"):
        registry.register(changed)
    v2 = registry.register(alliance_questionnaire("my-scale", weights=(0, 1, 2), version="2.0.0"))
    assert registry.get("my-scale") is v2
    assert registry.get("my-scale", "1.0.0") is inst


def test_register_requires_the_scoring_extension(registry: InstrumentRegistry) -> None:
    q = alliance_questionnaire()
    del q["extension"]
    with pytest.raises(QuestionnaireImportError, match="no urn:alliance:scoring extension"):
        registry.register(q)


def test_load_definitions_from_is_all_or_nothing(
    registry: InstrumentRegistry, tmp_path: Path
) -> None:
    good = alliance_questionnaire("extra-one")
    bad = with_meta(alliance_questionnaire("extra-two"), direction="up")
    (tmp_path / "extra-one.json").write_text(json.dumps(good))
    (tmp_path / "extra-two.json").write_text(json.dumps(bad))
    with pytest.raises(QuestionnaireImportError, match=r"extra-two\.json"):
        registry.load_definitions_from(tmp_path)
    with pytest.raises(UnknownInstrument):
        registry.get("extra-one")
    (tmp_path / "extra-two.json").write_text(json.dumps(alliance_questionnaire("extra-two")))
    loaded = registry.load_definitions_from(tmp_path)
    assert [i.id for i in loaded] == ["extra-one", "extra-two"]
    assert registry.get("extra-two").source == "registered"


def test_load_definitions_from_checks_file_names(
    registry: InstrumentRegistry, tmp_path: Path
) -> None:
    (tmp_path / "wrong-name.json").write_text(json.dumps(alliance_questionnaire("extra-one")))
    with pytest.raises(QuestionnaireImportError, match="file name does not match"):
        registry.load_definitions_from(tmp_path)
