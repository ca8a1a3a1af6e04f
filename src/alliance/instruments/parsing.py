"""Turn a FHIR R4 Questionnaire (dict) into an :class:`Instrument`.

Two inputs are understood:

* Alliance definitions, which carry all scoring metadata in one extension
  (``urn:alliance:scoring``, a JSON string; see README.md), and
* Questionnaires written elsewhere (NLM LHC-Forms flat style, HL7 SDC nested style), whose
  total is the sum of the answer weights (``ordinalValue``, ``itemWeight`` or R5 ``weight``).

Everything is validated before an Instrument is returned; any problem raises
:class:`QuestionnaireImportError` naming the item.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, cast

from .errors import QuestionnaireImportError
from .model import (
    AnswerOption,
    Band,
    CriticalRule,
    Cutoff,
    Direction,
    Instrument,
    Item,
    ItemKind,
    Number,
    ReliableChangeSpec,
    Subscale,
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


def _freeze(value: Any) -> Any:
    """Read-only deep view, so that a registered instrument cannot be edited in place."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dict/list copy of a frozen view (for FHIR export and JSON)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


# --------------------------------------------------------------------------- small readers


def _extensions(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    ext = node.get("extension", [])
    if not isinstance(ext, list):
        raise fail(f"'extension' must be a list, got {type(ext).__name__}")
    found = [e for e in ext if isinstance(e, Mapping)]
    for e in found:
        if not isinstance(e.get("url"), str):
            raise fail(f"an extension's 'url' must be a string, got {type(e.get('url')).__name__}")
    return found


def _translations(node: Mapping[str, Any] | None) -> dict[str, str]:
    """Read the FHIR translation extension (``lang`` + ``content``) of a primitive's ``_x``."""
    out: dict[str, str] = {}
    if not isinstance(node, Mapping):
        return out
    for ext in _extensions(node):
        if ext.get("url") != TRANSLATION_URL:
            continue
        parts = {p.get("url"): p for p in _extensions(ext)}
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(lang, str) and isinstance(content, str):
            out[lang] = content
    return out


def _untranslated_display_items(nodes: Any, language: str) -> Iterator[str]:
    """linkIds of instructions and group headings (text shown, not answered) without a
    ``language`` translation."""
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, Mapping):
            continue
        shown = node.get("type") == "display" or (node.get("type") == "group" and node.get("text"))
        if shown and language not in _translations(node.get("_text")):
            yield str(node.get("linkId"))
        yield from _untranslated_display_items(node.get("item"), language)


def _number(value: Any, where: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"{where}: weight {value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(f"{where}: weight {value!r} is not a finite number")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _weight_from(node: Mapping[str, Any], where: str) -> Number | None:
    for ext in _extensions(node):
        if ext.get("url") in WEIGHT_URLS:
            for key in ("valueDecimal", "valueInteger"):
                if key in ext:
                    return _number(ext[key], where)
            raise fail(f"{where}: weight extension has no valueDecimal/valueInteger")
    if "weight" in node:  # R5 style
        return _number(node["weight"], where)
    return None


def _loinc_codes(codings: Any) -> list[str]:
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


def _walk(items: Any, where: str) -> Iterator[Mapping[str, Any]]:
    if not isinstance(items, list):
        raise fail(f"{where}: 'item' must be a list")
    for node in items:
        if not isinstance(node, Mapping):
            raise fail(f"{where}: every item must be an object")
        yield node
        if "item" in node:
            yield from _walk(node["item"], f"item {node.get('linkId')!r}")


def _is_calculated(node: Mapping[str, Any]) -> bool:
    if node.get("readOnly") is True:
        return True
    return any(e.get("url") in CALCULATED_URLS for e in _extensions(node))


# --------------------------------------------------------------------------- structure


class _Structure:
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
        for ext in _extensions(q):  # Questionnaire-level variables (SDC)
            self._collect_expression(ext)
        for node in _walk(q["item"], "Questionnaire"):
            link_id = node.get("linkId")
            if not isinstance(link_id, str) or not link_id:
                raise fail(f"an item has no linkId (text {node.get('text')!r})")
            if link_id in seen:
                raise fail(f"duplicate linkId {link_id!r}")
            seen.add(link_id)
            kind = node.get("type")
            if not isinstance(kind, str):
                raise fail(f"item {link_id!r} has no type")
            for ext in _extensions(node):
                self._collect_expression(ext)
            if kind in ("group", "display"):
                continue
            if _is_calculated(node):
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
                        weight=_weight_from(concept, f"{where} code {concept['code']!r}"),
                        translations=_translations(concept.get("_display")),
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
            weight = _weight_from(opt, f"{where} code {code!r}")
            if weight is None:
                weight = _weight_from(coding, f"{where} code {code!r}")
            system = coding.get("system")
            return AnswerOption(
                code=code,
                system=system if isinstance(system, str) else None,
                display=str(coding.get("display", code)),
                weight=weight,
                translations=_translations(coding.get("_display")),
            )
        for key in ("valueString", "valueInteger"):
            if key in opt:
                code = str(opt[key])
                return AnswerOption(
                    code=code,
                    system=None,
                    display=code,
                    weight=_weight_from(opt, f"{where} option {code!r}"),
                    translations=_translations(opt.get("_" + key)),
                )
        raise fail(f"{where}: answer option without valueCoding, valueString or valueInteger")

    def _item(self, node: Mapping[str, Any], link_id: str, kind: str, position: int) -> Item:
        text = node.get("text", "")
        common: dict[str, Any] = {
            "link_id": link_id,
            "position": position,
            "text": text if isinstance(text, str) else "",
            "required": node.get("required") is True,
            "loinc": next(iter(_loinc_codes(node.get("code"))), None),
            "translations": _translations(node.get("_text")),
        }
        if kind in ("choice", "open-choice"):
            return Item(kind="choice", options=self._options(node, link_id), **common)
        if kind in ("integer", "decimal"):
            bounds: dict[str, Number | None] = {MIN_URL: None, MAX_URL: None}
            for ext in _extensions(node):
                if ext.get("url") in bounds:
                    raw = ext.get("valueInteger", ext.get("valueDecimal"))
                    bounds[ext["url"]] = _number(raw, f"item {link_id!r} {ext['url']}")
            item_kind: ItemKind = "integer" if kind == "integer" else "decimal"
            return Item(
                kind=item_kind, min_value=bounds[MIN_URL], max_value=bounds[MAX_URL], **common
            )
        # string, text, date, boolean...: answerable but never scored
        return Item(kind="text", **common)


# --------------------------------------------------------------------------- shared checks


def _sum_range(items: Sequence[Item]) -> tuple[Number, Number]:
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


def _is_integer_instrument(items: Sequence[Item]) -> bool:
    for it in items:
        if it.kind == "decimal":
            return False
        if any(isinstance(v, float) for v in it.allowed_values()):
            return False
    return True


def _labels(raw: Any, where: str, *, required: bool = True) -> dict[str, str]:
    if raw is None and not required:
        return {}
    if (
        not isinstance(raw, Mapping)
        or not raw
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items())
    ):
        raise fail(f"{where}: expected an object of language -> text, got {raw!r}")
    if "en" not in raw:
        raise fail(f"{where}: an English ('en') text is required")
    return dict(raw)


def _bands(raw: Any, low: Number, high: Number, where: str) -> tuple[Band, ...]:
    if raw is None:
        return ()
    ranges = raw.get("ranges") if isinstance(raw, Mapping) else raw
    if not isinstance(ranges, list) or not ranges:
        raise fail(f"{where}: bands.ranges must be a non-empty list")
    bands: list[Band] = []
    expected: Number = low
    for i, b in enumerate(ranges):
        if not isinstance(b, Mapping):
            raise fail(f"{where}: band {i} must be an object")
        code = b.get("code")
        if not isinstance(code, str) or not code:
            raise fail(f"{where}: band {i} has no code")
        lower = _number(b.get("min"), f"{where} band {code!r} min")
        upper = _number(b.get("max"), f"{where} band {code!r} max")
        if lower != expected:
            raise fail(
                f"{where}: band {code!r} starts at {lower}, expected {expected} "
                "(bands must be contiguous and start at the lowest possible total)"
            )
        if upper < lower:
            raise fail(f"{where}: band {code!r} ends before it starts")
        bands.append(
            Band(
                index=i,
                code=code,
                lower=lower,
                upper=upper,
                label=_labels(b.get("label"), f"{where} band {code!r} label"),
                client_text=_labels(b.get("client_text"), f"{where} band {code!r} client_text"),
            )
        )
        expected = upper + 1
    if bands[-1].upper != high:
        raise fail(f"{where}: the last band ends at {bands[-1].upper}, the highest total is {high}")
    return tuple(bands)


def _cutoff(raw: Any, where: str) -> Cutoff | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise fail(f"{where}: clinical_cutoff must be an object or null")
    clinical_if = raw.get("clinical_if", ">=")
    if clinical_if not in (">=", "<="):
        raise fail(f"{where}: clinical_if must be '>=' or '<='")
    by_sex = raw.get("by_sex", {})
    if not isinstance(by_sex, Mapping):
        raise fail(f"{where}: by_sex must be an object")
    return Cutoff(
        value=_number(raw.get("value"), f"{where} clinical_cutoff.value"),
        clinical_if=clinical_if,
        by_sex={str(k): _number(v, f"{where} by_sex") for k, v in by_sex.items()},
    )


def _reliable_change(raw: Any, where: str) -> ReliableChangeSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise fail(f"{where}: reliable_change must be an object or null")
    method = raw.get("rc_method")
    threshold = raw.get("threshold_points")
    r = raw.get("reliability")
    sd = raw.get("norm_sd")
    facts = raw.get("facts", {})
    source = raw.get("reference") or (facts.get("source", "") if isinstance(facts, Mapping) else "")
    r_num = None if r is None else float(_number(r, f"{where} reliability"))
    sd_num = None if sd is None else float(_number(sd, f"{where} norm_sd"))
    if r_num is not None and not 0 <= r_num < 1:
        raise fail(f"{where}: reliability must be in [0, 1)")
    if sd_num is not None and sd_num <= 0:
        raise fail(f"{where}: norm_sd must be positive")
    if method == "published_threshold":
        t = _number(threshold, f"{where} threshold_points")
        if t <= 0:
            raise fail(f"{where}: threshold_points must be positive")
        return ReliableChangeSpec("published_threshold", t, r_num, sd_num, str(source))
    if method == "jacobson_truax":
        if r_num is None or sd_num is None:
            raise fail(f"{where}: jacobson_truax needs reliability and norm_sd")
        return ReliableChangeSpec("jacobson_truax", None, r_num, sd_num, str(source))
    raise fail(f"{where}: rc_method must be 'published_threshold' or 'jacobson_truax'")


# --------------------------------------------------------------------------- Alliance format


def scoring_metadata(q: Mapping[str, Any]) -> dict[str, Any] | None:
    found = [e for e in _extensions(q) if e.get("url") == SCORING_URL]
    if not found:
        return None
    if len(found) > 1:
        raise fail(f"more than one {SCORING_URL} extension")
    raw = found[0].get("valueString")
    if not isinstance(raw, str):
        raise fail(f"the {SCORING_URL} extension must carry a JSON valueString")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise fail(f"the {SCORING_URL} extension is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise fail(f"the {SCORING_URL} extension must hold a JSON object")
    return meta


def _link_list(raw: Any, items: Mapping[str, Item], where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(f"{where}: expected a non-empty list of linkIds")
    for link in raw:
        if link not in items:
            raise fail(f"{where}: linkId {link!r} is not an answerable item")
    if len(set(raw)) != len(raw):
        raise fail(f"{where}: duplicate linkIds")
    return tuple(raw)


def instrument_from_alliance(
    q: Mapping[str, Any], meta: Mapping[str, Any], source: Source
) -> Instrument:
    structure = _Structure(q)
    by_link = {it.link_id: it for it in structure.items}
    if meta.get("format") != 1:
        raise fail(f"scoring metadata format {meta.get('format')!r} is not supported (expected 1)")
    iid = meta.get("instrument_id")
    if not isinstance(iid, str) or not ID_RE.match(iid):
        raise fail(f"instrument_id {iid!r} must be a lowercase slug (a-z, 0-9, '-')")
    where = f"instrument {iid!r}"
    if q.get("id") not in (None, iid):
        raise fail(f"{where}: Questionnaire.id {q.get('id')!r} differs from instrument_id")
    version = q.get("version")
    if not isinstance(version, str) or not version:
        raise fail(f"{where}: Questionnaire.version is required")
    scored_form = meta.get("scored", True)
    if scored_form not in (True, False):
        raise fail(f"{where}: scored must be true or false")
    direction = meta.get("direction", None if scored_form else "higher_is_worse")
    if direction not in ("higher_is_worse", "higher_is_better"):
        raise fail(f"{where}: direction must be 'higher_is_worse' or 'higher_is_better'")
    languages = meta.get("languages")
    if not isinstance(languages, list) or "en" not in languages:
        raise fail(f"{where}: languages must be a list including 'en'")
    for lang in languages:
        if lang == "en":
            continue
        for it in structure.items:
            if it.kind != "text" and lang not in it.translations:
                raise fail(f"{where}: languages lists {lang!r} but {it.label()} has no {lang} text")
            # A form offered in a language is wholly in it: no English answer under a
            # translated question.
            for option in it.options:
                if lang not in option.translations:
                    raise fail(
                        f"{where}: languages lists {lang!r} but answer {option.code!r} of "
                        f"{it.label()} has no {lang} text"
                    )
        for link_id in _untranslated_display_items(q.get("item"), lang):
            raise fail(
                f"{where}: languages lists {lang!r} but display item {link_id!r} has no {lang} text"
            )
    if not scored_form:
        return _unscored(q, meta, structure, iid, version, cast(Direction, direction), source)
    total = meta.get("total")
    if not isinstance(total, Mapping) or total.get("method") != "sum":
        raise fail(f"{where}: total.method must be 'sum'")
    scored = _link_list(total.get("items"), by_link, f"{where} total.items")
    for link in scored:
        if not by_link[link].scorable:
            raise fail(
                f"{where}: {by_link[link].label()} is in the total but has no weights or bounds"
            )
    optional = frozenset(
        _link_list(total["optional_items"], by_link, f"{where} optional_items")
        if total.get("optional_items")
        else ()
    )
    if not optional <= set(scored):
        raise fail(f"{where}: optional_items must be part of total.items")
    low, high = _sum_range([by_link[s] for s in scored])
    for key, computed in (("min", low), ("max", high)):
        if total.get(key) != computed:
            raise fail(
                f"{where}: total.{key} says {total.get(key)!r} but the weights give {computed}"
            )
    total_link = total.get("link_id")
    if total_link is not None and total_link not in structure.total_link_ids:
        raise fail(f"{where}: total.link_id {total_link!r} is not a read-only/calculated item")
    missing = meta.get("missing")
    if not isinstance(missing, Mapping):
        raise fail(f"{where}: the missing-item rule is required")
    max_missing = missing.get("max_missing")
    if isinstance(max_missing, bool) or not isinstance(max_missing, int) or max_missing < 0:
        raise fail(f"{where}: missing.max_missing must be a non-negative integer")
    method = missing.get("method")
    if method not in ("none", "prorate"):
        raise fail(f"{where}: missing.method must be 'none' or 'prorate'")
    if method == "none" and max_missing != 0:
        raise fail(f"{where}: missing.method 'none' requires max_missing 0")
    critical = []
    for rule in meta.get("critical_items") or []:
        if not isinstance(rule, Mapping):
            raise fail(f"{where}: critical_items entries must be objects")
        crit_link = rule.get("link_id")
        if not isinstance(crit_link, str) or crit_link not in scored:
            raise fail(f"{where}: critical item {crit_link!r} is not a scored item")
        critical.append(
            CriticalRule(
                link_id=crit_link,
                min_value=_number(rule.get("min_value"), f"{where} critical {crit_link!r}"),
                label=_labels(rule.get("label"), f"{where} critical {crit_link!r} label"),
            )
        )
    subscales = []
    for code, spec in (meta.get("subscales") or {}).items():
        if code == "facts":
            continue
        if not isinstance(spec, Mapping):
            raise fail(f"{where}: subscale {code!r} must be an object")
        links = _link_list(spec.get("items"), by_link, f"{where} subscale {code!r}")
        if not set(links) <= set(scored):
            raise fail(f"{where}: subscale {code!r} uses items outside the total")
        subscales.append(
            Subscale(code, links, _labels(spec.get("label"), f"{where} subscale {code!r}"))
        )
    return Instrument(
        id=iid,
        version=version,
        url=q.get("url") if isinstance(q.get("url"), str) else None,
        title=str(q.get("title") or q.get("name") or iid),
        title_translations=_translations(q.get("_title")),
        direction=cast(Direction, direction),
        validated=meta.get("validated") is True,
        languages=tuple(languages),
        items=tuple(structure.items),
        scored=scored,
        optional_scored=optional,
        total_min=low,
        total_max=high,
        total_link_id=total_link,
        total_loinc=total.get("loinc") if isinstance(total.get("loinc"), str) else None,
        missing_max=max_missing,
        missing_method=method,
        bands=_bands(meta.get("bands"), low, high, where),
        critical=tuple(critical),
        clinical_cutoff=_cutoff(meta.get("clinical_cutoff"), where),
        reliable_change=_reliable_change(meta.get("reliable_change"), where),
        subscales=tuple(subscales),
        integer_scores=_is_integer_instrument([by_link[s] for s in scored]),
        metadata=_freeze(meta),
        questionnaire=_freeze(q),
        source=source,
        content_hash=content_hash(q),
        calculated_expression=next(iter(structure.calculated), None),
        by_link_id=MappingProxyType(by_link),
    )


UNSCORED_FORBIDDEN = (
    "total",
    "bands",
    "critical_items",
    "clinical_cutoff",
    "reliable_change",
    "subscales",
    "rupture_cutoff",
)


def _unscored(
    q: Mapping[str, Any],
    meta: Mapping[str, Any],
    structure: _Structure,
    iid: str,
    version: str,
    direction: Direction,
    source: Source,
) -> Instrument:
    """A structured form with no score (e.g. a between-session exercise): answers only.

    ``"scored": false`` must not come with any scoring metadata, so that nothing can be
    mistaken for a measure; ``validated`` must be false (there is nothing to validate).
    """
    where = f"instrument {iid!r}"
    present = [key for key in UNSCORED_FORBIDDEN if meta.get(key) not in (None, [], {})]
    if present:
        raise fail(f"{where}: an unscored form cannot have {', '.join(present)}")
    if meta.get("validated") is not False:
        raise fail(f"{where}: an unscored form must say validated: false")
    purpose = meta.get("purpose", "form")
    if not isinstance(purpose, str) or not ID_RE.match(purpose):
        raise fail(f"{where}: purpose must be a lowercase word")
    if structure.total_link_ids:
        raise fail(f"{where}: an unscored form cannot have read-only or calculated items")
    by_link = {it.link_id: it for it in structure.items}
    return Instrument(
        id=iid,
        version=version,
        url=q.get("url") if isinstance(q.get("url"), str) else None,
        title=str(q.get("title") or q.get("name") or iid),
        title_translations=_translations(q.get("_title")),
        direction=direction,
        validated=False,
        languages=tuple(meta["languages"]),
        items=tuple(structure.items),
        scored=(),
        optional_scored=frozenset(),
        total_min=0,
        total_max=0,
        total_link_id=None,
        total_loinc=None,
        missing_max=0,
        missing_method="none",
        bands=(),
        critical=(),
        clinical_cutoff=None,
        reliable_change=None,
        subscales=(),
        integer_scores=True,
        metadata=_freeze(meta),
        questionnaire=_freeze(q),
        source=source,
        content_hash=content_hash(q),
        by_link_id=MappingProxyType(by_link),
    )


# --------------------------------------------------------------------------- foreign import

_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|`[^`]*`")
_LINK_REF = re.compile(r"linkId\s*=\s*'((?:[^'\\]|\\.)*)'")
_NOT_A_SUM = re.compile(r"[*/-]|\bdiv\b|\bmod\b|\bpower\(|\bmin\(|\bmax\(|\bavg\(")


def check_expressions(
    expressions: Sequence[str], weighted: Sequence[str], all_links: set[str]
) -> None:
    """Refuse a calculatedExpression that is not a plain sum of the weighted items.

    We do not evaluate FHIRPath at scoring time; we recognise the LHC-Forms pattern
    (``iif(%qN.exists(), %qN, 0) + ...`` over ordinalValue look-ups) and simple
    ``sum()``/``+`` forms, and check they refer to exactly the weighted items.
    """
    referenced: set[str] = set()
    for expr in expressions:
        referenced.update(_LINK_REF.findall(expr))
        bare = _STRING_LITERAL.sub("''", expr)
        if _NOT_A_SUM.search(bare):
            raise fail(
                f"calculatedExpression {expr!r} is not a plain sum of answer weights; Alliance "
                "cannot guarantee identical scoring"
            )
    unknown = referenced - all_links
    if unknown:
        raise fail(f"calculatedExpression refers to unknown linkIds {sorted(unknown)}")
    if referenced and referenced != set(weighted):
        raise fail(
            f"calculatedExpression sums items {sorted(referenced)} but the weighted items are "
            f"{sorted(weighted)}"
        )


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "questionnaire"


def instrument_from_foreign(
    q: Mapping[str, Any],
    instrument_id: str,
    builtins: Sequence[Instrument],
) -> Instrument:
    structure = _Structure(q)
    weighted = [it for it in structure.items if it.kind == "choice" and it.weighted]
    if not weighted:
        raise fail(
            "no choice item carries answer weights (ordinalValue/itemWeight): nothing to score"
        )
    for it in structure.items:
        if (
            it.kind == "choice"
            and not it.weighted
            and any(it.link_id in e for e in structure.expressions)
        ):
            raise fail(
                f"{it.label()} is used by the calculatedExpression but its answers have no weights"
            )
    check_expressions(structure.expressions, [w.link_id for w in weighted], structure.all_link_ids)
    low, high = _sum_range(weighted)
    by_link = {it.link_id: it for it in structure.items}
    version = q.get("version") if isinstance(q.get("version"), str) else None
    notes: list[str] = [
        "total = sum of the answer weights of the weighted choice items "
        f"({', '.join(w.link_id for w in weighted)})",
        "every weighted item is needed for a total (conservative), whatever its 'required' flag",
    ]
    if structure.expressions:
        notes.append("calculatedExpression recorded and checked to be a plain sum of those items")
    base: dict[str, Any] = {
        "id": instrument_id,
        "version": version or "sha256:" + content_hash(q)[:16],
        "url": q.get("url") if isinstance(q.get("url"), str) else None,
        "title": str(q.get("title") or q.get("name") or instrument_id),
        "title_translations": _translations(q.get("_title")),
        "direction": "higher_is_worse",
        "validated": False,
        "languages": ("en",),
        "items": tuple(structure.items),
        "scored": tuple(w.link_id for w in weighted),
        "optional_scored": frozenset(),
        "total_min": low,
        "total_max": high,
        "total_link_id": structure.total_link_ids[0] if structure.total_link_ids else None,
        "total_loinc": None,
        "missing_max": 0,
        "missing_method": "none",
        "bands": (),
        "critical": (),
        "clinical_cutoff": None,
        "reliable_change": None,
        "subscales": (),
        "integer_scores": _is_integer_instrument(weighted),
        "metadata": _freeze({}),
        "questionnaire": _freeze(q),
        "source": "imported",
        "content_hash": content_hash(q),
        "calculated_expression": next(iter(structure.calculated), None),
        "by_link_id": MappingProxyType(by_link),
    }
    if base["total_link_id"]:
        total_node = next(
            n for n in _walk(q["item"], "Questionnaire") if n.get("linkId") == base["total_link_id"]
        )
        base["total_loinc"] = next(iter(_loinc_codes(total_node.get("code"))), None)
    adopted = _adopt_known(q, weighted, builtins, notes)
    if adopted is not None:
        builtin, mapping = adopted
        inverse = {b: i for i, b in mapping.items()}
        base.update(
            direction=builtin.direction,
            validated=builtin.validated,
            optional_scored=frozenset(inverse[b] for b in builtin.optional_scored),
            scored=tuple(inverse[b] for b in builtin.scored),
            missing_max=builtin.missing_max,
            missing_method=builtin.missing_method,
            bands=builtin.bands,
            critical=tuple(
                CriticalRule(inverse[c.link_id], c.min_value, c.label) for c in builtin.critical
            ),
            clinical_cutoff=builtin.clinical_cutoff,
            reliable_change=builtin.reliable_change,
            subscales=tuple(
                Subscale(s.code, tuple(inverse[i] for i in s.items), s.label)
                for s in builtin.subscales
            ),
            total_loinc=base["total_loinc"] or builtin.total_loinc,
            metadata=builtin.metadata,
            adopted_from=f"{builtin.id}@{builtin.version}",
        )
    base["import_notes"] = tuple(notes)
    return Instrument(**base)


def _questionnaire_loinc(q: Mapping[str, Any]) -> set[str]:
    codes = set(_loinc_codes(q.get("code")))
    for ident in q.get("identifier", []) or []:
        if (
            isinstance(ident, Mapping)
            and ident.get("system") == LOINC
            and isinstance(ident.get("value"), str)
        ):
            codes.add(ident["value"])
    return codes


def _adopt_known(
    q: Mapping[str, Any], weighted: Sequence[Item], builtins: Sequence[Instrument], notes: list[str]
) -> tuple[Instrument, dict[str, str]] | None:
    """Adopt bands, critical items, cut-off, change rules from a built-in with the same LOINC panel.

    Only when every scored item of the built-in maps one-to-one (by item LOINC code) onto a
    weighted item of the import with the same set of weights: then the totals are on the same
    scale and the built-in's clinical metadata means the same thing. Totals are still computed
    from the imported file's own weights.
    """
    panel = _questionnaire_loinc(q)
    for builtin in builtins:
        code = next(iter(_loinc_codes(builtin.questionnaire.get("code"))), None)
        if code is None or code not in panel:
            continue
        by_code = {w.loinc: w for w in weighted if w.loinc}
        mapping: dict[str, str] = {}
        for link in builtin.scored:
            b_item = builtin.item(link)
            if b_item.loinc is None:
                # The PCL-5's panel is coded but its items are not (FOUND_SOURCES.md).
                notes.append(
                    f"LOINC {code} recognised ({builtin.id}) but its items carry no LOINC codes "
                    "to match: scoring metadata not adopted"
                )
                return None
            imported = by_code.get(b_item.loinc)
            if imported is None:
                notes.append(
                    f"LOINC {code} recognised ({builtin.id}) but item {b_item.loinc} is absent: "
                    "scoring metadata not adopted"
                )
                return None
            if imported.allowed_values() != b_item.allowed_values():
                notes.append(
                    f"LOINC {code} recognised ({builtin.id}) but {imported.label()} has weights "
                    f"{imported.allowed_values()} instead of {b_item.allowed_values()}: not adopted"
                )
                return None
            mapping[imported.link_id] = link
        if set(mapping) != {w.link_id for w in weighted}:
            extra = sorted({w.link_id for w in weighted} - set(mapping))
            notes.append(
                f"LOINC {code} recognised ({builtin.id}) but extra weighted items {extra}: "
                "not adopted"
            )
            return None
        notes.append(
            f"LOINC panel {code} recognised: bands, critical items, cut-off, missing rule and "
            f"change rules adopted from built-in {builtin.id}@{builtin.version}; totals use "
            "this file's weights"
        )
        return builtin, mapping
    return None
