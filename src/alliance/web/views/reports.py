"""De-identified practice reports for supervisors and the practice admin."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alliance.alerts.reports import (
    CATEGORIES,
    alert_accuracy_audit,
    checkin_completion,
    feedback_by_therapist,
    outcome_report,
    show_count,
)
from alliance.care import access
from alliance.instruments.names import formal_name
from alliance.measures.instruments import get_instrument
from alliance.web.http import AuthedRequest


@require_GET
def practice_report(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_practice_reports(request.user))
    scope = "closed" if request.GET.get("scope") == "closed" else "all"
    rows = outcome_report(scope=scope)
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
    return render(
        request,
        "web/reports/practice.html",
        {
            "scope": scope,
            "categories": CATEGORIES,
            "tables": [
                (
                    formal_name(get_instrument(instrument_id), request.user.language),
                    table,
                    totals[instrument_id],
                )
                for instrument_id, table in by_instrument.items()
            ],
            "feedback": feedback_by_therapist(),
            "completion": checkin_completion(),
        },
    )


@require_GET
def alert_accuracy(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_practice_reports(request.user))
    return render(
        request,
        "web/reports/alert_accuracy.html",
        {"audit": alert_accuracy_audit("phq-9"), "instrument": get_instrument("phq-9")},
    )
