"""Self-contained FHIR Bundles: every reference points at an entry of the same Bundle.

Alliance gives its entries ``urn:uuid:`` fullUrls. Under FHIR R4's rules for resolving
references in a Bundle (http://hl7.org/fhir/R4/bundle.html#references) a relative
reference such as ``Patient/6`` resolves only against an entry whose fullUrl is a RESTful
URL, never against a ``urn:uuid:``: inside our Bundles it would point at nothing. So the
code that builds resources writes each reference as the target's local key,
``<resourceType>/<id>``, and :func:`resolve_references` — the one place references are
made — points it at the fullUrl of the entry holding that resource. A reference to
something the Bundle does not hold keeps only what says who or what it was: its
``display``, ``type`` and an ``identifier`` (system ``urn:alliance:id``, value the local
key), never a reference that would dangle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LOCAL_ID = "urn:alliance:id"


def local_key(resource: dict[str, Any]) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def resolve_references(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries, every ``reference`` in them changed in place to resolve in the Bundle."""
    full_urls = {entry["fullUrl"] for entry in entries}
    by_key = {
        local_key(entry["resource"]): entry["fullUrl"]
        for entry in entries
        if "id" in entry["resource"]
    }
    for entry in entries:
        _resolve(entry["resource"], by_key, full_urls)
    return entries


def _resolve(
    node: Any,
    by_key: dict[str, str],
    full_urls: set[str],
    keep: Callable[[str], bool] = lambda _target: False,
) -> None:
    if isinstance(node, list):
        for value in node:
            _resolve(value, by_key, full_urls, keep)
        return
    if not isinstance(node, dict):
        return
    target = node.get("reference")
    if isinstance(target, str) and target not in full_urls and not keep(target):
        if target in by_key:
            node["reference"] = by_key[target]
        else:
            del node["reference"]
            node.setdefault("type", target.split("/", 1)[0])
            node.setdefault("identifier", {"system": LOCAL_ID, "value": target})
    for key, value in node.items():
        if key != "reference":
            _resolve(value, by_key, full_urls, keep)


def restful_references(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resources of the entries with every reference to another of them written as its
    local key (``QuestionnaireResponse/response-3``): how a REST server refers to its
    own resources, where ``urn:uuid:`` fullUrls mean nothing to the reader."""
    keys = {
        entry["fullUrl"]: local_key(entry["resource"])
        for entry in entries
        if "id" in entry["resource"]
    }
    resources = [entry["resource"] for entry in entries]
    for resource in resources:
        _to_local(resource, keys)
    return resources


def _to_local(node: Any, keys: dict[str, str]) -> None:
    if isinstance(node, list):
        for value in node:
            _to_local(value, keys)
    elif isinstance(node, dict):
        target = node.get("reference")
        if isinstance(target, str) and target in keys:
            node["reference"] = keys[target]
        for key, value in node.items():
            if key != "reference":
                _to_local(value, keys)


def served_references(resource: dict[str, Any], served: Callable[[str], bool]) -> dict[str, Any]:
    """The resource with each reference a server does not serve (``served("Type/id")``
    False) kept only as what says who or what it was (``display``, ``type`` and an
    ``identifier``), as :func:`resolve_references` does: no reference that would dangle."""
    _resolve(resource, {}, set(), keep=served)
    return resource
