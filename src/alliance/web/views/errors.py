"""Friendly error pages: plain words, a way back, never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("400.html", request=request), status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("403.html", request=request), status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("404.html", request=request), status=404)


@requires_csrf_token
def too_many_requests(request: HttpRequest) -> HttpResponse:
    # Rate limits (allauth's and ours) answer with this page.
    return HttpResponse(loader.render_to_string("429.html", request=request), status=429)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever failed may fail again while rendering it.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
