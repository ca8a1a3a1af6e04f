"""Paths as logs may show them: no token, key or other secret taken from the URL.

Used by `alliance serve`'s access log (``alliance.server``) and by the filter on Django's
own request loggers (settings.LOGGING), so that neither writes an invitation token or a
password-reset key, even for a request that failed.
"""

from __future__ import annotations

import logging


def path_for_log(path: str) -> str:
    """The path with every part that is not a number taken from the URL (an invitation token,
    a password-reset key) replaced by its name, e.g. ``/invitations/<token>/``.

    Static files are logged as they are; a path that matches no page (a mistyped or cut
    link may still hold a token) as ``<unmatched>``. Runs in a worker, where Django is set
    up."""
    from django.conf import settings
    from django.urls import Resolver404, resolve

    if path.startswith(settings.STATIC_URL):
        return path
    for candidate in (path, path + "/"):  # the slash CommonMiddleware would redirect to
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        secrets = {
            str(name): value
            for name, value in [*match.kwargs.items(), *enumerate(match.args)]
            if isinstance(value, str) and value
        }
        return "/".join(
            next((f"<{n}>" for n, v in secrets.items() if v in part), part)
            for part in path.split("/")
        )
    return "<unmatched>"


class RedactPaths(logging.Filter):
    """Rewrites the path in ``django.request`` ("Internal Server Error: %s") and
    ``django.server`` (runserver's request line) records with :func:`path_for_log`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_redact(arg) for arg in record.args)
        return True


def _redact(arg: object) -> object:
    if not isinstance(arg, str) or (not arg.startswith("/") and " /" not in arg):
        return arg
    if arg.startswith("/"):
        return path_for_log(arg.split("?", 1)[0])
    # runserver's "GET /path?query HTTP/1.1"
    method, _, rest = arg.partition(" ")
    target, _, protocol = rest.partition(" ")
    return f"{method} {path_for_log(target.split('?', 1)[0])} {protocol}".rstrip()
