"""Limits on what a Questionnaire to import may hold (alliance.instruments.limits)."""

from __future__ import annotations

from typing import Any

import pytest

from alliance.instruments import InstrumentRegistry, QuestionnaireImportError, limits

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def questionnaire(
    items: int = 3, options: int = 4, text: str = "How often?", display: str = "Often"
) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": "A practice's own scale",
        "item": [
            {
                "linkId": f"q{n}",
                "type": "choice",
                "text": text,
                "answerOption": [
                    {
                        "valueCoding": {"code": f"a{k}", "display": display},
                        "extension": [{"url": ORDINAL, "valueDecimal": k}],
                    }
                    for k in range(options)
                ],
            }
            for n in range(items)
        ],
    }


def test_a_questionnaire_at_every_limit_is_imported() -> None:
    big = questionnaire(
        items=limits.MAX_ITEMS,
        options=limits.MAX_OPTIONS,
        text="x" * limits.MAX_ITEM_TEXT,
        display="y" * limits.MAX_OPTION_DISPLAY,
    )
    big["title"] = "t" * limits.MAX_TITLE
    limits.check_limits(big)  # nothing raised


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda q: q["item"].extend(q["item"][:1] * limits.MAX_ITEMS), "items; at most 1,000"),
        (
            lambda q: q["item"][1]["answerOption"].extend(
                q["item"][1]["answerOption"][:1] * limits.MAX_OPTIONS
            ),
            "item 'q1' has 204 answer options; at most 200",
        ),
        (lambda q: q.update(title="t" * 301), "the title is 301 characters long; at most 300"),
        (
            lambda q: q["item"][2].update(text="x" * (limits.MAX_ITEM_TEXT + 1)),
            "the text of item 'q2' is 10,001 characters long; at most 10,000",
        ),
        (
            lambda q: q["item"][0]["answerOption"][3]["valueCoding"].update(display="y" * 1001),
            "an answer of item 'q0' is 1,001 characters long; at most 1,000",
        ),
        (
            lambda q: q["item"][0].update(linkId="q" * 256),
            "a linkId is 256 characters long; at most 255",
        ),
        (
            lambda q: q.update(description="d" * (limits.MAX_STRING + 1)),
            "a text is 50,001 characters long; at most 50,000",
        ),
        (
            lambda q: q["item"][0].update(item=[{"linkId": "g", "type": "group"}] * 1000),
            "items; at most 1,000",
        ),
        (
            lambda q: q.update(
                contained=[
                    {
                        "resourceType": "ValueSet",
                        "id": "vs",
                        "compose": {"include": [{"concept": [{"code": "c"}] * 201}]},
                    }
                ]
            ),
            "a ValueSet has 201 answers; at most 200",
        ),
    ],
)
def test_what_goes_past_a_limit_is_refused_with_its_reason(change: Any, reason: str) -> None:
    q = questionnaire()
    change(q)
    with pytest.raises(QuestionnaireImportError, match=reason):
        limits.check_limits(q)


def test_the_file_size_limit_is_stated_in_bytes() -> None:
    assert limits.MAX_FILE_BYTES == 5_000_000
    assert "5 MB" in limits.file_too_large(7_340_032)
    assert "7.3 MB" in limits.file_too_large(7_340_032)


def test_odd_shapes_are_left_to_the_parser() -> None:
    odd_shapes: list[Any] = [[], None, "x", {"item": "not a list"}, {"item": [1, None]}]
    for odd in [*odd_shapes, {"title": 5}]:
        limits.check_limits(odd)  # the parser gives these their own reasons


def test_deep_nesting_is_walked_without_recursion() -> None:
    node: Any = {"linkId": "q", "type": "string"}
    for level in range(5_000):
        node = {"linkId": f"g{level}", "type": "group", "item": [node]}
    with pytest.raises(QuestionnaireImportError, match="items; at most 1,000"):
        limits.check_limits({"resourceType": "Questionnaire", "item": [node]})


def test_a_questionnaire_within_the_limits_still_registers(registry: InstrumentRegistry) -> None:
    q = questionnaire()
    limits.check_limits(q)
    assert registry.import_questionnaire(q).items
