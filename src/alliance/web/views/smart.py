"""SMART EHR launch: an EHR opens a client's record in Alliance (alliance.ehr.services).

Both URLs are behind sign-in: someone who is not signed in is sent to the sign-in page
(with its second step) and comes back to the launch. Neither page shows or logs the EHR's
code; what the launch needs between the two halves stays in the session."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from alliance.care import access
from alliance.ehr.services import ehr_for_iss, launch_begin, launch_finish
from alliance.lib.smart_client import SmartError
from alliance.web.http import AuthedRequest
from alliance.web.presenters import smart as presenter


def _refused(request: AuthedRequest, reason: str) -> HttpResponse:
    context, status = presenter.refusal(reason)
    return render(request, "web/smart_refused.html", context, status=status)


@require_GET
def smart_launch(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_launch_from_ehr(request.user))
    ehr = ehr_for_iss(request.GET.get("iss", ""))
    launch = request.GET.get("launch", "")
    if ehr is None or not launch:
        return _refused(request, "unknown_ehr")
    callback = request.build_absolute_uri(reverse("smart_callback"))
    try:
        url, state, pending = launch_begin(ehr=ehr, launch=launch, redirect_uri=callback)
    except SmartError as failed:
        return _refused(request, failed.reason)
    presenter.keep_pending(request.session, state, pending)
    return redirect(url)


@require_GET
def smart_callback(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_launch_from_ehr(request.user))
    pending = presenter.take_pending(request.session, request.GET.get("state", ""))
    if request.GET.get("error"):
        return _refused(request, "refused")
    if pending is None or not request.GET.get("code"):
        return _refused(request, "state")
    try:
        client_id = launch_finish(user=request.user, pending=pending, code=request.GET["code"])
    except SmartError as failed:
        return _refused(request, failed.reason)
    return redirect("client_record", client_id=client_id)
