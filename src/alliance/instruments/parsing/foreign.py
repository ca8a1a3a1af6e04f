"""Questionnaires written elsewhere (NLM LHC-Forms flat style, HL7 SDC nested style), whose
total is the sum of the answer weights (``ordinalValue``, ``itemWeight`` or R5 ``weight``),
turned into an :class:`Instrument`; a known LOINC panel adopts a built-in's clinical metadata.
Everything is validated first; any problem raises :class:`QuestionnaireImportError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..model import (
    CriticalRule,
    Instrument,
    Item,
    Subscale,
)
from .common import (
    LOINC,
    Structure,
    content_hash,
    fail,
    freeze,
    is_integer_instrument,
    loinc_codes,
    sum_range,
    translations,
    walk,
)
from .expressions import check_expressions


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "questionnaire"


def instrument_from_foreign(
    q: Mapping[str, Any],
    instrument_id: str,
    builtins: Sequence[Instrument],
) -> Instrument:
    structure = Structure(q)
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
    low, high = sum_range(weighted)
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
        "title_translations": translations(q.get("_title")),
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
        "integer_scores": is_integer_instrument(weighted),
        "metadata": freeze({}),
        "questionnaire": freeze(q),
        "source": "imported",
        "content_hash": content_hash(q),
        "calculated_expression": next(iter(structure.calculated), None),
        "by_link_id": MappingProxyType(by_link),
    }
    if base["total_link_id"]:
        total_node = next(
            n for n in walk(q["item"], "Questionnaire") if n.get("linkId") == base["total_link_id"]
        )
        base["total_loinc"] = next(iter(loinc_codes(total_node.get("code"))), None)
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
    codes = set(loinc_codes(q.get("code")))
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
        code = next(iter(loinc_codes(builtin.questionnaire.get("code"))), None)
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
