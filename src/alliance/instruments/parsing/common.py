"""What both questionnaire parsers share (:mod:`.alliance`, :mod:`.foreign`): the FHIR
extension URLs, hashing and freezing a Questionnaire, small readers of FHIR nodes, the
validated structure of its items, and checks on the items' weights.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

from ..errors import QuestionnaireImportError
from ..model import (
    AnswerOption,
    Item,
    ItemKind,
    Number,
)

SCORING_URL = "urn:alliance:scoring"
LOINC = "http://loinc.org"
TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"
WEIGHT_URLS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",  # R4
    "http://hl7.org/fhir/StructureDefinition/itemWeight",  # R5 name of the same idea
)
CALCULATED_URLS = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
)
VARIABLE_URL = "http://hl7.org/fhir/StructureDefinition/variable"
MIN_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")

Source = Literal["builtin", "registered", "imported"]


def fail(message: str) -> QuestionnaireImportError:
    return QuestionnaireImportError(message)


def content_hash(questionnaire: Mapping[str, Any]) -> str:
    canonical = json.dumps(questionnaire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        encoded = canonical.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (JSON may escape one, "\ud800"): no page could show the text.
        raise fail("the Questionnaire contains text that is not valid Unicode") from None
    return hashlib.sha256(encoded).hexdigest()


def freeze(value: Any) -> Any:
    """Read-only deep view, so that a registered instrument cannot be edited in place."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dict/list copy of a frozen view (for FHIR export and JSON)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


# --------------------------------------------------------------------------- small readers


def extensions(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    ext = node.get("extension", [])
    if not isinstance(ext, list):
        raise fail(f"'extension' must be a list, got {type(ext).__name__}")
    found = [e for e in ext if isinstance(e, Mapping)]
    for e in found:
        if not isinstance(e.get("url"), str):
            raise fail(f"an extension's 'url' must be a string, got {type(e.get('url')).__name__}")
    return found


def translations(node: Mapping[str, Any] | None) -> dict[str, str]:
    """Read the FHIR translation extension (``lang`` + ``content``) of a primitive's ``_x``."""
    out: dict[str, str] = {}
    if not isinstance(node, Mapping):
        return out
    for ext in extensions(node):
        if ext.get("url") != TRANSLATION_URL:
            continue
        parts = {p.get("url"): p for p in extensions(ext)}
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(lang, str) and isinstance(content, str):
            out[lang] = content
    return out


def untranslated_display_items(nodes: Any, language: str) -> Iterator[str]:
    """linkIds of instructions and group headings (text shown, not answered) without a
    ``language`` translation."""
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, Mapping):
            continue
        shown = node.get("type") == "display" or (node.get("type") == "group" and node.get("text"))
        if shown and language not in translations(node.get("_text")):
            yield str(node.get("linkId"))
        yield from untranslated_display_items(node.get("item"), language)


def number(value: Any, where: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"{where}: weight {value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(f"{where}: weight {value!r} is not a finite number")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def weight_from(node: Mapping[str, Any], where: str) -> Number | None:
    for ext in extensions(node):
        if ext.get("url") in WEIGHT_URLS:
            for key in ("valueDecimal", "valueInteger"):
                if key in ext:
                    return number(ext[key], where)
            raise fail(f"{where}: weight extension has no valueDecimal/valueInteger")
    if "weight" in node:  # R5 style
        return number(node["weight"], where)
    return None


def loinc_codes(codings: Any) -> list[str]:
    out: list[str] = []
    if isinstance(codings, list | tuple):
        for c in codings:
            if (
                isinstance(c, Mapping)
                and isinstance(c.get("code"), str)
                and c.get("system") in (None, LOINC)
            ):
                out.append(c["code"])
    return out


def walk(items: Any, where: str) -> Iterator[Mapping[str, Any]]:
    if not isinstance(items, list):
        raise fail(f"{where}: 'item' must be a list")
    for node in items:
        if not isinstance(node, Mapping):
            raise fail(f"{where}: every item must be an object")
        yield node
        if "item" in node:
            yield from walk(node["item"], f"item {node.get('linkId')!r}")


def is_calculated(node: Mapping[str, Any]) -> bool:
    if node.get("readOnly") is True:
        return True
    return any(e.get("url") in CALCULATED_URLS for e in extensions(node))


# --------------------------------------------------------------------------- structure


class Structure:
    """Answerable items and calculated expressions of a Questionnaire, validated."""

    def __init__(self, q: Mapping[str, Any]) -> None:
        if not isinstance(q, Mapping):
            raise fail("not a Questionnaire: expected a JSON object")
        if q.get("resourceType") != "Questionnaire":
            raise fail(f"not a Questionnaire: resourceType is {q.get('resourceType')!r}")
        if not isinstance(q.get("item"), list) or not q["item"]:
            raise fail("the Questionnaire has no items")
        self.q = q
        self.value_sets = self._contained_value_sets(q)
        self.items: list[Item] = []
        self.expressions: list[str] = []  # calculatedExpression and variable expressions
        self.calculated: list[str] = []  # calculatedExpression only
        self.total_link_ids: list[str] = []
        seen: set[str] = set()
        for ext in extensions(q):  # Questionnaire-level variables (SDC)
            self._collect_expression(ext)
        for node in walk(q["item"], "Questionnaire"):
            link_id = node.get("linkId")
            if not isinstance(link_id, str) or not link_id:
                raise fail(f"an item has no linkId (text {node.get('text')!r})")
            if link_id in seen:
                raise fail(f"duplicate linkId {link_id!r}")
            seen.add(link_id)
            kind = node.get("type")
            if not isinstance(kind, str):
                raise fail(f"item {link_id!r} has no type")
            for ext in extensions(node):
                self._collect_expression(ext)
            if kind in ("group", "display"):
                continue
            if is_calculated(node):
                self.total_link_ids.append(link_id)
                continue
            self.items.append(self._item(node, link_id, kind, len(self.items) + 1))
        self.all_link_ids = seen
        if not self.items:
            raise fail("the Questionnaire has no answerable items")

    def _collect_expression(self, ext: Mapping[str, Any]) -> None:
        if ext.get("url") in (*CALCULATED_URLS, VARIABLE_URL):
            expr = ext.get("valueExpression", {})
            if isinstance(expr, Mapping) and isinstance(expr.get("expression"), str):
                self.expressions.append(expr["expression"])
                if ext.get("url") in CALCULATED_URLS:
                    self.calculated.append(expr["expression"])

    @staticmethod
    def _contained_value_sets(q: Mapping[str, Any]) -> dict[str, list[tuple[str | None, Any]]]:
        out: dict[str, list[tuple[str | None, Any]]] = {}
        contained = q.get("contained", [])
        if not isinstance(contained, list):
            raise fail("'contained' must be a list")
        for res in contained:
            if not isinstance(res, Mapping) or res.get("resourceType") != "ValueSet":
                continue
            vs_id = res.get("id")
            if not isinstance(vs_id, str):
                raise fail("a contained ValueSet has no id")
            concepts: list[tuple[str | None, Any]] = []
            compose = res.get("compose", {})
            includes = compose.get("include", []) if isinstance(compose, Mapping) else []
            for include in includes if isinstance(includes, list) else []:
                if not isinstance(include, Mapping):
                    continue
                system = include.get("system")
                for concept in include.get("concept", []) or []:
                    concepts.append((system if isinstance(system, str) else None, concept))
            expansion = res.get("expansion", {})
            if not concepts and isinstance(expansion, Mapping):
                for entry in expansion.get("contains", []) or []:
                    if isinstance(entry, Mapping):
                        concepts.append((entry.get("system"), entry))
            out["#" + vs_id] = concepts
        return out

    def _options(self, node: Mapping[str, Any], link_id: str) -> tuple[AnswerOption, ...]:
        where = f"item {link_id!r}"
        options: list[AnswerOption] = []
        if "answerOption" in node:
            raw = node["answerOption"]
            if not isinstance(raw, list) or not raw:
                raise fail(f"{where}: answerOption must be a non-empty list")
            for opt in raw:
                if not isinstance(opt, Mapping):
                    raise fail(f"{where}: answer option must be an object")
                options.append(self._option_from_answer_option(opt, where))
        elif "answerValueSet" in node:
            ref = node["answerValueSet"]
            if not isinstance(ref, str):
                raise fail(f"{where}: answerValueSet must be a string")
            if not ref.startswith("#"):
                raise fail(
                    f"{where}: answerValueSet {ref!r} is not a contained ValueSet; Alliance cannot "
                    "resolve external ValueSets (no terminology server)"
                )
            if ref not in self.value_sets:
                raise fail(f"{where}: answerValueSet {ref!r} does not match any contained ValueSet")
            concepts = self.value_sets[ref]
            if not concepts:
                raise fail(f"{where}: contained ValueSet {ref!r} has no concepts")
            for system, concept in concepts:
                if not isinstance(concept, Mapping) or not isinstance(concept.get("code"), str):
                    raise fail(f"{where}: a concept of ValueSet {ref!r} has no code")
                options.append(
                    AnswerOption(
                        code=concept["code"],
                        system=system,
                        display=str(concept.get("display", concept["code"])),
                        weight=weight_from(concept, f"{where} code {concept['code']!r}"),
                        translations=translations(concept.get("_display")),
                    )
                )
        else:
            raise fail(f"{where}: a choice item without answerOption or answerValueSet")
        weighted = [o.weight is not None for o in options]
        if any(weighted) and not all(weighted):
            missing = [o.code for o in options if o.weight is None]
            raise fail(f"{where}: some answer options have weights and some do not ({missing})")
        codes = [o.code for o in options]
        if len(set(codes)) != len(codes):
            raise fail(f"{where}: duplicate answer codes {codes}")
        return tuple(options)

    @staticmethod
    def _option_from_answer_option(opt: Mapping[str, Any], where: str) -> AnswerOption:
        if isinstance(opt.get("valueCoding"), Mapping):
            coding = opt["valueCoding"]
            code = coding.get("code")
            if not isinstance(code, str) or not code:
                raise fail(f"{where}: an answer option's valueCoding has no code")
            weight = weight_from(opt, f"{where} code {code!r}")
            if weight is None:
                weight = weight_from(coding, f"{where} code {code!r}")
            system = coding.get("system")
            return AnswerOption(
                code=code,
                system=system if isinstance(system, str) else None,
                display=str(coding.get("display", code)),
                weight=weight,
                translations=translations(coding.get("_display")),
            )
        for key in ("valueString", "valueInteger"):
            if key in opt:
                code = str(opt[key])
                return AnswerOption(
                    code=code,
                    system=None,
                    display=code,
                    weight=weight_from(opt, f"{where} option {code!r}"),
                    translations=translations(opt.get("_" + key)),
                )
        raise fail(f"{where}: answer option without valueCoding, valueString or valueInteger")

    def _item(self, node: Mapping[str, Any], link_id: str, kind: str, position: int) -> Item:
        text = node.get("text", "")
        common: dict[str, Any] = {
            "link_id": link_id,
            "position": position,
            "text": text if isinstance(text, str) else "",
            "required": node.get("required") is True,
            "loinc": next(iter(loinc_codes(node.get("code"))), None),
            "translations": translations(node.get("_text")),
        }
        if kind in ("choice", "open-choice"):
            return Item(kind="choice", options=self._options(node, link_id), **common)
        if kind in ("integer", "decimal"):
            bounds: dict[str, Number | None] = {MIN_URL: None, MAX_URL: None}
            for ext in extensions(node):
                if ext.get("url") in bounds:
                    raw = ext.get("valueInteger", ext.get("valueDecimal"))
                    bounds[ext["url"]] = number(raw, f"item {link_id!r} {ext['url']}")
            item_kind: ItemKind = "integer" if kind == "integer" else "decimal"
            return Item(
                kind=item_kind, min_value=bounds[MIN_URL], max_value=bounds[MAX_URL], **common
            )
        # string, text, date, boolean...: answerable but never scored
        return Item(kind="text", **common)


# --------------------------------------------------------------------------- shared checks


def sum_range(items: Sequence[Item]) -> tuple[Number, Number]:
    low: Number = 0
    high: Number = 0
    for it in items:
        values = it.allowed_values() or (
            (it.min_value, it.max_value)
            if it.min_value is not None and it.max_value is not None
            else ()
        )
        if not values:
            raise fail(f"{it.label()} cannot be scored: it has no weights or bounds")
        low += min(v for v in values if v is not None)
        high += max(v for v in values if v is not None)
    return low, high


def is_integer_instrument(items: Sequence[Item]) -> bool:
    for it in items:
        if it.kind == "decimal":
            return False
        if any(isinstance(v, float) for v in it.allowed_values()):
            return False
    return True
