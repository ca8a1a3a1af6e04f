"""What the practice report shows: one table of outcome counts per instrument.

Counts come from ``alerts.reports`` already de-identified (small counts are hidden by
``show_count``); this module only arranges them by instrument with a totals row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alliance.alerts.reports import CATEGORIES, show_count
from alliance.instruments.names import formal_name
from alliance.measures.instruments import get_instrument

Table = tuple[str, list[dict[str, object]], list[str]]


def outcome_tables(rows: Sequence[dict[str, Any]], language: str) -> list[Table]:
    """(instrument name, one row per therapist, totals) for each instrument reported."""
    by_instrument: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        counts = row["counts"]
        by_instrument.setdefault(row["instrument_id"], []).append(
            {
                "therapist": row["therapist"],
                "cells": [show_count(counts[name]) for name in CATEGORIES],
                "episodes": show_count(row["episodes"]),
            }
        )
    totals = {
        instrument_id: [
            show_count(sum(r["counts"][name] for r in rows if r["instrument_id"] == instrument_id))
            for name in CATEGORIES
        ]
        for instrument_id in by_instrument
    }
    return [
        (formal_name(get_instrument(instrument_id), language), table, totals[instrument_id])
        for instrument_id, table in by_instrument.items()
    ]
