"""Checks on the FHIR Bundles Alliance writes, in plain Python (no Django).

:func:`unresolved_references` applies FHIR R4's rules for resolving references inside a
Bundle (http://hl7.org/fhir/R4/bundle.html#references):

- a reference to ``#id`` points at a contained resource of the same resource;
- an absolute reference (``urn:uuid:…``, ``urn:oid:…``, ``http(s)://…``, a version
  ``/_history/<v>`` removed) must equal the fullUrl of an entry;
- a relative reference ``Type/id`` resolves only when the referring entry's fullUrl is a
  RESTful URL ``<base>/<Type>/<id>``: then ``<base>/Type/id`` must be an entry's fullUrl.
  Against a ``urn:uuid:`` fullUrl, or with no fullUrl, it resolves to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# The RESTful URL of FHIR R4 (http.html#general), with the base captured.
RESTFUL = re.compile(
    r"^(?P<base>(https?://|www\.|\\\\|//)[^ ]*?)"
    r"/(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})"
    r"(/_history/[A-Za-z0-9\-.]{1,64})?$"
)
RELATIVE = re.compile(r"^(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(/_history/.+)?$")
ABSOLUTE = re.compile(r"^(urn:uuid:|urn:oid:|https?://)")
HISTORY = re.compile(r"/_history/[^/]+$")


def references(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, reference) for every ``reference`` string under ``node``."""
    if isinstance(node, list):
        for i, value in enumerate(node):
            yield from references(value, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield path, value
            else:
                yield from references(value, f"{path}.{key}" if path else key)


def resolves(reference: str, entry: dict[str, Any], full_urls: set[str]) -> bool:
    if reference.startswith("#"):
        contained = entry.get("resource", {}).get("contained", [])
        return reference == "#" or any(c.get("id") == reference[1:] for c in contained)
    if ABSOLUTE.match(reference):
        return HISTORY.sub("", reference) in full_urls or reference in full_urls
    relative = RELATIVE.match(reference)
    restful = RESTFUL.match(entry.get("fullUrl", ""))
    if relative is None or restful is None:
        return False
    target = f"{restful['base']}/{relative['type']}/{relative['id']}"
    return target in full_urls


def unresolved_references(bundle: dict[str, Any]) -> list[str]:
    """Every reference in the Bundle that resolves to no entry of it (``fullUrl: path -> ref``)."""
    entries = bundle.get("entry", [])
    full_urls = {entry["fullUrl"] for entry in entries if "fullUrl" in entry}
    found = []
    for entry in entries:
        resource = entry.get("resource", {})
        for path, reference in references(resource, resource.get("resourceType", "")):
            if not resolves(reference, entry, full_urls):
                found.append(f"{entry.get('fullUrl')}: {path} -> {reference}")
    return found
