"""Services do not depend on HTTP (issue 14, part 3): no service takes the request.

What a service needs of a request is passed to it explicitly: the audit context
(``alliance.audit.context.AuditContext``, from ``audit_context(request)`` in the view) and,
for an e-mail's links, a ``base_url``. So no function in a service module has a parameter
named ``request`` or annotated ``HttpRequest``, and no service module imports
``django.http``. Pure AST: nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "alliance"
# Every app's services.py (checkins/services.py too), and the modules of services that
# have one of their own.
EXTRA_SERVICE_MODULES = (Path("measures/schedules.py"), Path("records/erasure.py"))
HTTP_REQUEST = re.compile(r"\bHttpRequest\b")


def service_modules() -> list[Path]:
    found = sorted(path.relative_to(SRC) for path in SRC.glob("*/services.py"))
    return found + [path for path in EXTRA_SERVICE_MODULES if path not in found]


def _annotation_names_request(annotation: ast.expr | None) -> bool:
    # ``from __future__ import annotations`` keeps annotations as expressions; a quoted
    # one ("HttpRequest | None") is a string constant: both are searched.
    if annotation is None:
        return False
    return bool(HTTP_REQUEST.search(ast.unparse(annotation)))


def problems(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            every = [
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                *(arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None),
            ]
            name = getattr(node, "name", "lambda")
            for argument in every:
                if argument.arg == "request":
                    yield node.lineno, f"{name}() takes a parameter named request"
                elif _annotation_names_request(argument.annotation):
                    yield node.lineno, f"{name}({argument.arg}) is annotated HttpRequest"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "django.http" or alias.name.startswith("django.http."):
                    yield node.lineno, f"imports {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "django.http" or node.module.startswith("django.http."):
                yield node.lineno, f"imports from {node.module}"
            elif node.module == "django" and any(alias.name == "http" for alias in node.names):
                yield node.lineno, "imports django.http"


def test_the_service_modules_are_found() -> None:
    modules = service_modules()
    assert Path("checkins/services.py") in modules
    assert Path("audit/services.py") in modules
    assert len(modules) >= 12
    assert all((SRC / path).is_file() for path in modules)


def test_no_service_takes_the_request_or_imports_django_http() -> None:
    found = [
        f"{path}:{line}: {what}"
        for path in service_modules()
        for line, what in problems((SRC / path).read_text(encoding="utf-8"))
    ]
    assert not found, (
        "Services take context=AuditContext (the view passes audit_context(request)) and, "
        "for links in an e-mail, base_url=site_url(request); never the request:\n"
        + "\n".join(found)
    )


def test_the_check_sees_each_way_of_taking_the_request() -> None:
    source = """
from django.http import HttpRequest
import django.http
from django import http

def by_name(*, actor, request=None): ...
def by_annotation(*, actor, incoming: HttpRequest | None = None): ...
def quoted(incoming: "HttpRequest"): ...
def positional(request, /): ...
def nested():
    def inner(*args, request): ...
handler = lambda request: None
"""
    lines = sorted(line for line, _what in problems(source))
    assert lines == [2, 3, 4, 6, 7, 8, 9, 11, 12]


def test_the_check_passes_what_services_do_take() -> None:
    source = '''
from alliance.audit.context import AuditContext

def service(*, actor, context: AuditContext | None = None, base_url: str = ""):
    """Names a copy request, and the requested_by field."""
    requested_by = actor
    return requested_by
'''
    assert list(problems(source)) == []
