"""Helpers shared by the instrument-engine tests (a uniquely named module, not conftest)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from alliance.instruments import SCORING_URL

HERE = Path(__file__).parent
REPO = HERE.parents[1]
LHC_PHQ9 = REPO.parent / "shared" / "fixtures" / "external" / "lhc-forms-phq9.json"
SDC_NESTED = HERE / "fixtures" / "sdc-nested-wellbeing.json"
DEFINITIONS = REPO / "src" / "alliance" / "instruments" / "definitions"


def alliance_questionnaire(
    iid: str = "test-scale",
    *,
    n_items: int = 4,
    weights: tuple[int, ...] = (0, 1, 2, 3),
    missing: dict[str, Any] | None = None,
    reliable_change: dict[str, Any] | None = None,
    bands: list[dict[str, Any]] | None = None,
    version: str = "1.0.0",
    direction: str = "higher_is_worse",
    cutoff: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A small Alliance-format Questionnaire for tests (prorating, Jacobson-Truax...)."""
    items = [
        {
            "linkId": f"t{n}",
            "text": f"Test item {n}",
            "type": "choice",
            "required": True,
            "answerOption": [
                {
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                            "valueDecimal": w,
                        }
                    ],
                    "valueCoding": {
                        "system": "urn:test",
                        "code": f"a{w}",
                        "display": f"Answer {w}",
                    },
                }
                for w in weights
            ],
        }
        for n in range(1, n_items + 1)
    ]
    high = n_items * max(weights)
    meta = {
        "format": 1,
        "instrument_id": iid,
        "validated": False,
        "direction": direction,
        "languages": ["en"],
        "total": {
            "items": [f"t{n}" for n in range(1, n_items + 1)],
            "method": "sum",
            "min": n_items * min(weights),
            "max": high,
        },
        "missing": missing or {"max_missing": 0, "method": "none"},
        "bands": {
            "ranges": bands
            or [
                {
                    "code": "all",
                    "min": n_items * min(weights),
                    "max": high,
                    "label": {"en": "All"},
                    "client_text": {"en": "Thanks."},
                }
            ]
        },
        "critical_items": [],
        "clinical_cutoff": cutoff,
        "reliable_change": reliable_change,
    }
    return {
        "resourceType": "Questionnaire",
        "id": iid,
        "url": f"urn:test:{iid}",
        "version": version,
        "status": "draft",
        "extension": [{"url": SCORING_URL, "valueString": json.dumps(meta)}],
        "item": items,
    }


def with_meta(q: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Copy of an Alliance Questionnaire with top-level scoring metadata keys replaced."""
    q = copy.deepcopy(q)
    ext = next(e for e in q["extension"] if e["url"] == SCORING_URL)
    meta = json.loads(ext["valueString"])
    meta.update(changes)
    ext["valueString"] = json.dumps(meta)
    return q


def load_definition(iid: str) -> dict[str, Any]:
    return json.loads((DEFINITIONS / f"{iid}.json").read_text(encoding="utf-8"))
