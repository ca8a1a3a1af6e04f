"""Alliance's own definitions: a FHIR R4 Questionnaire that carries all scoring metadata in one
extension (``urn:alliance:scoring``, a JSON string; see README.md), turned into an
:class:`Instrument`. Everything is validated first; any problem raises
:class:`QuestionnaireImportError` naming the item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

from ..model import (
    Band,
    CriticalRule,
    Cutoff,
    Direction,
    Instrument,
    Item,
    Number,
    ReliableChangeSpec,
    Subscale,
)
from .common import (
    ID_RE,
    SCORING_URL,
    Source,
    Structure,
    content_hash,
    extensions,
    fail,
    freeze,
    is_integer_instrument,
    number,
    sum_range,
    translations,
    untranslated_display_items,
)


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
        lower = number(b.get("min"), f"{where} band {code!r} min")
        upper = number(b.get("max"), f"{where} band {code!r} max")
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
        value=number(raw.get("value"), f"{where} clinical_cutoff.value"),
        clinical_if=clinical_if,
        by_sex={str(k): number(v, f"{where} by_sex") for k, v in by_sex.items()},
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
    r_num = None if r is None else float(number(r, f"{where} reliability"))
    sd_num = None if sd is None else float(number(sd, f"{where} norm_sd"))
    if r_num is not None and not 0 <= r_num < 1:
        raise fail(f"{where}: reliability must be in [0, 1)")
    if sd_num is not None and sd_num <= 0:
        raise fail(f"{where}: norm_sd must be positive")
    if method == "published_threshold":
        t = number(threshold, f"{where} threshold_points")
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
    found = [e for e in extensions(q) if e.get("url") == SCORING_URL]
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
    structure = Structure(q)
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
        for link_id in untranslated_display_items(q.get("item"), lang):
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
    low, high = sum_range([by_link[s] for s in scored])
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
                min_value=number(rule.get("min_value"), f"{where} critical {crit_link!r}"),
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
        title_translations=translations(q.get("_title")),
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
        integer_scores=is_integer_instrument([by_link[s] for s in scored]),
        metadata=freeze(meta),
        questionnaire=freeze(q),
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
    structure: Structure,
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
        title_translations=translations(q.get("_title")),
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
        metadata=freeze(meta),
        questionnaire=freeze(q),
        source=source,
        content_hash=content_hash(q),
        by_link_id=MappingProxyType(by_link),
    )
