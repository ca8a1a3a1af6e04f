"""The safety plan, for the client (me/…) and for the clinicians who treat them (clinic/…).

The same pages serve both sides: what differs is the base template, the URLs and who
may edit (alliance.care.access, "safety" section).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance.accounts.models import User
from alliance.audit.context import audit_context
from alliance.audit.services import record_opened
from alliance.care import access
from alliance.safety.crisis import resources_for_person
from alliance.safety.models import SafetyPlanVersion
from alliance.safety.selectors import safety_current_version, safety_plan_of, safety_versions_of
from alliance.safety.services import StaleEdit, safety_plan_save
from alliance.safety.steps import MAX_ENTRIES_PER_STEP, MAX_ENTRY_CHARS, STEPS
from alliance.web.forms_safety import SafetyPlanForm
from alliance.web.http import AuthedRequest


@dataclass(frozen=True)
class Side:
    """Where the pages live: the client's portal or the clinician workspace."""

    portal: bool
    client: User

    @property
    def base(self) -> str:
        return "web/portal_base.html" if self.portal else "web/workspace_base.html"

    def url(self, page: str, **kwargs: Any) -> str:
        prefix = "my_safety_plan" if self.portal else "client_safety_plan"
        name = prefix if page == "plan" else f"{prefix}_{page}"
        if not self.portal:
            kwargs["client_id"] = self.client.pk
        return reverse(name, kwargs=kwargs or None)


def _portal_side(request: AuthedRequest, *, write: bool = False) -> Side:
    access.require(access.may_use_client_portal(request.user))
    return Side(True, access.access_safety_plan(request.user, request.user.pk, write=write))


def _workspace_side(request: AuthedRequest, client_id: int, *, write: bool = False) -> Side:
    access.require(access.may_see_caseload(request.user))
    return Side(False, access.access_safety_plan(request.user, client_id, write=write))


def _steps_of(version: SafetyPlanVersion | None) -> list[dict[str, Any]]:
    return [
        {"step": step, "entries": version.entries(step.key) if version else []} for step in STEPS
    ]


def _context(request: AuthedRequest, side: Side, **extra: Any) -> dict[str, Any]:
    return {
        "base": side.base,
        "portal": side.portal,
        "client": side.client,
        "crisis": resources_for_person(side.client),
        "may_edit": access.may_edit_safety_plan(request.user, side.client),
        "plan_url": side.url("plan"),
        "edit_url": side.url("edit"),
        "versions_url": side.url("versions"),
        "max_lines": MAX_ENTRIES_PER_STEP,
        "max_chars": MAX_ENTRY_CHARS,
        **extra,
    }


def _viewed(request: AuthedRequest, side: Side) -> None:
    record_opened(
        actor=request.user,
        client_id=side.client.pk,
        part="safety_plan",
        context=audit_context(request),
    )


def _plan(request: AuthedRequest, side: Side) -> HttpResponse:
    _viewed(request, side)
    version = safety_current_version(side.client)
    return render(
        request,
        "web/safety/plan.html",
        _context(request, side, version=version, steps=_steps_of(version)),
    )


def _edit(request: AuthedRequest, side: Side) -> HttpResponse:
    current = safety_current_version(side.client)
    based_on = current.number if current else 0
    form = SafetyPlanForm(
        request.POST if request.method == "POST" else None,
        initial=SafetyPlanForm.initial_from(current.steps if current else {}, based_on),
    )
    status = 200
    newer: SafetyPlanVersion | None = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                version = safety_plan_save(
                    actor=request.user,
                    client=side.client,
                    steps=form.steps(),
                    based_on=form.cleaned_data["based_on"],
                    context=audit_context(request),
                )
            except StaleEdit as stale:
                # Nothing was saved: show the newer version beside the person's own text,
                # and base the next save on it, so that they can merge the two.
                newer = stale.current
                status = 409
                mine = {key: form.cleaned_data.get(key, "") for key in form.fields}
                form = SafetyPlanForm(initial={**mine, "based_on": newer.number})
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if version.number == form.cleaned_data["based_on"]:
                    messages.success(request, _("Nothing had changed, so the plan is as it was."))
                else:
                    messages.success(request, _("Saved. This is the plan as it is now."))
                return redirect(side.url("plan"))
    else:
        _viewed(request, side)
    return render(
        request,
        "web/safety/edit.html",
        _context(
            request,
            side,
            form=form,
            current=current,
            newer=newer,
            newer_steps=_steps_of(newer) if newer else [],
        ),
        status=status,
    )


def _versions(request: AuthedRequest, side: Side) -> HttpResponse:
    _viewed(request, side)
    versions = [
        (version, side.url("version", number=version.number))
        for version in safety_versions_of(safety_plan_of(side.client))
    ]
    return render(request, "web/safety/versions.html", _context(request, side, versions=versions))


def _version(request: AuthedRequest, side: Side, number: int) -> HttpResponse:
    version = safety_versions_of(safety_plan_of(side.client)).filter(number=number).first()
    if version is None:
        raise Http404
    _viewed(request, side)
    return render(
        request,
        "web/safety/version.html",
        _context(
            request,
            side,
            version=version,
            steps=_steps_of(version),
            is_current=version.plan.current_number == version.number,
        ),
    )


# The client's own plan.


@require_GET
def my_safety_plan(request: AuthedRequest) -> HttpResponse:
    return _plan(request, _portal_side(request))


@require_http_methods(["GET", "POST"])
def my_safety_plan_edit(request: AuthedRequest) -> HttpResponse:
    return _edit(request, _portal_side(request, write=True))


@require_GET
def my_safety_plan_versions(request: AuthedRequest) -> HttpResponse:
    return _versions(request, _portal_side(request))


@require_GET
def my_safety_plan_version(request: AuthedRequest, number: int) -> HttpResponse:
    return _version(request, _portal_side(request), number)


# A client's plan in the clinician workspace.


@require_GET
def client_safety_plan(request: AuthedRequest, client_id: int) -> HttpResponse:
    return _plan(request, _workspace_side(request, client_id))


@require_http_methods(["GET", "POST"])
def client_safety_plan_edit(request: AuthedRequest, client_id: int) -> HttpResponse:
    return _edit(request, _workspace_side(request, client_id, write=True))


@require_GET
def client_safety_plan_versions(request: AuthedRequest, client_id: int) -> HttpResponse:
    return _versions(request, _workspace_side(request, client_id))


@require_GET
def client_safety_plan_version(request: AuthedRequest, client_id: int, number: int) -> HttpResponse:
    return _version(request, _workspace_side(request, client_id), number)
