"""What the practice report shows: one table of outcome counts per instrument, session
feedback and check-in completion, for one page of therapists.

Counts come from ``alerts.reports`` through a kept snapshot (``alerts.snapshots``) and are
shown de-identified (small counts are hidden by ``show_count``). This module arranges one
page of therapists' rows, the same therapists in every table, with each instrument's totals
over the whole practice, so that the page stays the same size however many therapists the
practice has.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page

from alliance.alerts.reports import CATEGORIES, show_count
from alliance.alerts.snapshots import Snapshot
from alliance.instruments.names import formal_name
from alliance.measures.instruments import get_instrument
from alliance.web.presenters.progress import CATEGORY_LABELS

Table = tuple[str, list[dict[str, object]], list[str]]

THERAPISTS_PER_PAGE = 25


def outcome_tables(
    practice: dict[str, Any], rows: list[dict[str, Any]], language: str
) -> list[Table]:
    """(instrument name, a row for each therapist on the page with episodes to count,
    the practice's totals) for each instrument reported."""
    tables = []
    for instrument_id in practice["instruments"]:
        table: list[dict[str, object]] = []
        for row in rows:
            found = row["outcomes"].get(instrument_id)
            if found is None:
                continue
            table.append(
                {
                    "therapist": row["therapist"],
                    "cells": [show_count(found["counts"][name]) for name in CATEGORIES],
                    "episodes": show_count(found["episodes"]),
                }
            )
        totals = practice["totals"][instrument_id]
        tables.append(
            (
                formal_name(get_instrument(instrument_id), language),
                table,
                [show_count(totals[name]) for name in CATEGORIES],
            )
        )
    return tables


def practice_page(
    snapshot: Snapshot, page: Page[dict[str, Any]], scope: str, language: str
) -> dict[str, Any]:
    """The practice report's context: one page of therapists in each table, totals over all."""
    practice = snapshot.data
    rows = list(page.object_list)
    return {
        "scope": scope,
        # The column heads in the reader's language (the codes are English).
        "categories": [CATEGORY_LABELS[name] for name in CATEGORIES],
        "tables": outcome_tables(practice, rows, language),
        "feedback": [
            {"therapist": row["therapist"], **row["feedback"]} for row in rows if row["feedback"]
        ],
        "completion": {
            **practice["completion"],
            "rows": [
                {"therapist": row["therapist"], **row["completion"]}
                for row in rows
                if row["completion"]
            ],
        },
        "page": page,
        "page_query": "scope=closed" if scope == "closed" else "",
        "computed_at": snapshot.computed_at,
    }
