"""Every view of ours fits on one screen: at most 25 lines (STYLE.md 4 and 11).

A view asks the access module, calls a selector or a service, hands the rows to a
presenter and renders; anything longer is building context that belongs in a presenter
or a form helper. Lines are counted from ``def`` to the last line, docstring included,
decorators excluded. Allauth's views (and any other library's) are not ours; the JSON
API's operations are, though ninja's dispatcher stands between them and the URL.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

MAX_LINES = 25


def _callbacks(patterns: list[Any]) -> Iterator[Callable[..., Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _callbacks(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def _api_operations() -> Iterator[Callable[..., Any]]:
    """The JSON API's operations (django-ninja): its URL patterns call ninja's dispatcher,
    which calls them."""
    from alliance.web.api_v1 import api

    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                yield operation.view_func


def _our_views() -> dict[str, Callable[..., Any]]:
    views: dict[str, Callable[..., Any]] = {}
    for callback in (*_callbacks(get_resolver().url_patterns), *_api_operations()):
        view = inspect.unwrap(callback)
        if not view.__module__.startswith("alliance."):
            continue
        views[f"{view.__module__}.{view.__qualname__}"] = view
    return views


def _body_lines(view: Callable[..., Any]) -> int:
    lines, _ = inspect.getsourcelines(view)
    first_def = next(
        i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "async def "))
    )
    return len(lines) - first_def


def test_the_resolver_reaches_our_views() -> None:
    # Guards the walk itself: if it found nothing, the size test would pass vacuously.
    views = _our_views()
    assert len(views) > 50
    assert "alliance.web.views.workspace.client_record" in views
    assert "alliance.web.views.api_v1.caseload" in views


def test_no_view_is_over_25_lines() -> None:
    too_long = {
        name: count
        for name, view in sorted(_our_views().items())
        if (count := _body_lines(view)) > MAX_LINES
    }
    assert not too_long, (
        "views over 25 lines (move context-building into a presenter): "
        + ", ".join(f"{name} ({count})" for name, count in too_long.items())
    )
