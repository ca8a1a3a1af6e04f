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
)
from alliance.care import access
from alliance.measures.instruments import get_instrument
from alliance.web.http import AuthedRequest
from alliance.web.presenters import reports as presenter


@require_GET
def practice_report(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_practice_reports(request.user))
    scope = "closed" if request.GET.get("scope") == "closed" else "all"
    tables = presenter.outcome_tables(outcome_report(scope=scope), request.user.language)
    return render(
        request,
        "web/reports/practice.html",
        {
            "scope": scope,
            "categories": CATEGORIES,
            "tables": tables,
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
