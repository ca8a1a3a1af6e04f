"""Access-matrix rows for the FHIR API and one's own API tokens.

The matrix signs each role in with a browser session, which never authenticates the API:
every FHIR call but the public CapabilityStatement is a 401 for everyone, a POST to a type
(a client's answers) too, and the API takes no other POST (405). Who reaches what with a
token: tests/api/test_fhir_api.py, tests/api/test_fhir_resources.py (each resource type,
role by role) and tests/api/test_fhir_write.py (Task, and the answers sent).
"""

from __future__ import annotations

from typing import Any

from tests.web.matrix import Rows, everyone, only, signed_in


def _dana_token(cast: Any) -> int:
    from alliance.api.services import api_token_create

    token, _raw = api_token_create(actor=cast.dana, owner=cast.dana, scope="patient/*.rs")
    return token.pk


ROWS: Rows = {
    "fhir_metadata": (None, {"GET": everyone(200), "POST": everyone(405)}),
    "fhir_search": (
        lambda c, r: {"resource": "QuestionnaireResponse"},
        {"GET": everyone(401), "POST": everyone(401)},
    ),
    "fhir_read": (
        lambda c, r: {"resource": "Patient", "resource_id": str(c.dana.pk)},
        {"GET": everyone(401), "POST": everyone(405)},
    ),
    # Bulk Data ($export): a token's reach (therapist and supervisor export theirs, a
    # client's or the admin's token is 403, another person's export 404) is in
    # tests/api/test_bulk_export.py.
    "fhir_export": (None, {"GET": everyone(401), "POST": everyone(405)}),
    "fhir_export_status": (
        lambda c, r: {"export_id": "00000000-0000-0000-0000-000000000000"},
        {"GET": everyone(401), "POST": everyone(405)},
    ),
    "fhir_export_file": (
        lambda c, r: {
            "export_id": "00000000-0000-0000-0000-000000000000",
            "resource_type": "Patient",
        },
        {"GET": everyone(401), "POST": everyone(405)},
    ),
    "api_tokens": (None, {"GET": signed_in(200), "POST": signed_in(405)}),
    # Dana's own token: only she may revoke it; for everyone else it does not exist.
    "api_token_revoke": (
        lambda c, r: {"token_id": _dana_token(c)},
        {"GET": signed_in(405), "POST": only({"client": 302})},
    ),
}
