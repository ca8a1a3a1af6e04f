"""De-identified practice reports for supervisors and the practice admin.

Their figures come from snapshots at most five minutes old (``alerts.snapshots``); a POST
to a report's own address works them out now and shows the page again.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from alliance.alerts.snapshots import (
    ALERT_ACCURACY,
    PRACTICE_ALL,
    PRACTICE_CLOSED,
    audit_from_figures,
    report_page,
    report_snapshot,
    snapshot_refresh,
)
from alliance.care import access
from alliance.measures.instruments import get_instrument
from alliance.web.http import AuthedRequest
from alliance.web.presenters import reports as presenter


@require_http_methods(["GET", "POST"])
def practice_report(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_practice_reports(request.user))
    query = request.POST if request.method == "POST" else request.GET
    scope = "closed" if query.get("scope") == "closed" else "all"
    name = PRACTICE_CLOSED if scope == "closed" else PRACTICE_ALL
    if request.method == "POST":
        snapshot_refresh(name)
        return redirect(f"{request.path}?scope={scope}")
    snapshot, page = report_page(name, request.GET.get("page"), presenter.THERAPISTS_PER_PAGE)
    context = presenter.practice_page(snapshot, page, scope, request.user.language)
    return render(request, "web/reports/practice.html", context)


@require_http_methods(["GET", "POST"])
def alert_accuracy(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_practice_reports(request.user))
    if request.method == "POST":
        snapshot_refresh(ALERT_ACCURACY)
        return redirect(request.path)
    snapshot = report_snapshot(ALERT_ACCURACY)
    return render(
        request,
        "web/reports/alert_accuracy.html",
        {
            "audit": audit_from_figures(snapshot.data),
            "instrument": get_instrument("phq-9"),
            "computed_at": snapshot.computed_at,
        },
    )
