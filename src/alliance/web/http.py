from __future__ import annotations

from django.http import HttpRequest

from alliance.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request behind LoginRequiredMiddleware: ``user`` is a signed-in person."""

    user: User
