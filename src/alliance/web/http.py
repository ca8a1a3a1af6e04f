from __future__ import annotations

from django.http import HttpRequest

from alliance.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request behind LoginRequiredMiddleware: ``user`` is a signed-in person."""

    user: User


def site_url(request: HttpRequest) -> str:
    """The site's scheme and host as this request reached it ("https://example.org"): what
    a service needs to write an absolute link into an e-mail, without the request."""
    return request.build_absolute_uri("/").removesuffix("/")
