from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from alliance.care import access
from alliance.localtime import zone_label
from alliance.web.nav import portal_nav


def shell(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {
        "practice_name": settings.PRACTICE_NAME,
        # The zone every time on the page is in, named plainly (see UserLanguageMiddleware).
        "time_zone_label": zone_label(timezone.get_current_timezone_name()),
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and access.is_clinician(user):
        from alliance.alerts.selectors import urgent_client_count

        # The urgent banner stands on every workspace page until each alert is acknowledged.
        context["urgent_client_count"] = urgent_client_count(user)
    return context


def portal(request: HttpRequest) -> dict[str, Any]:
    """``portal_nav`` for a client's pages (None for anyone else): see ``web/nav.py``."""
    return {"portal_nav": portal_nav(request)}


def workspace(request: HttpRequest) -> dict[str, Any]:
    """``workspace_may``: what the workspace's menus and pages offer this person, as the
    access module decides it, so that no template compares a role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"workspace_may": {}}
    return {
        "workspace_may": {
            "see_caseload": access.may_see_caseload(user),
            "invite_clients": access.may_invite_clients(user),
            "see_practice_reports": access.may_see_practice_reports(user),
            "manage_accounts": access.may_manage_accounts(user),
            "manage_webhooks": access.may_manage_webhooks(user),
            "set_office_hours": access.may_set_office_hours(user),
            "treat_clients": access.is_therapist(user),
            "supervise_clients": access.is_supervisor(user),
        }
    }
