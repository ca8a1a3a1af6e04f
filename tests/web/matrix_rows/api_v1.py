"""Access-matrix rows for the JSON API (/api/v1/).

The matrix signs each role in with a browser session, which never authenticates the API
(its requests lose their cookies): every operation is a 401 for everyone, a method a
route does not take a 405, and only the OpenAPI document is public. Who reaches what
with a token, role by role: tests/api/test_json_api.py.
"""

from __future__ import annotations

from tests.web.matrix import Rows, everyone

ROWS: Rows = {
    "api_v1:openapi-json": (None, {"GET": everyone(200), "POST": everyone(405)}),
    "api_v1:api-root": (None, {"GET": everyone(404), "POST": everyone(404)}),
    "api_v1:api_v1_caseload": (None, {"GET": everyone(401), "POST": everyone(405)}),
    "api_v1:api_v1_alerts": (None, {"GET": everyone(401), "POST": everyone(405)}),
    "api_v1:api_v1_alert": (
        lambda c, r: {"alert_id": r.alert.pk},
        {"GET": everyone(401), "POST": everyone(405)},
    ),
    "api_v1:api_v1_alert_acknowledge": (
        lambda c, r: {"alert_id": r.alert.pk},
        {"GET": everyone(405), "POST": everyone(401)},
    ),
    "api_v1:api_v1_alert_resolve": (
        lambda c, r: {"alert_id": r.alert.pk},
        {"GET": everyone(405), "POST": everyone(401)},
    ),
    "api_v1:api_v1_questionnaire_requests": (
        lambda c, r: {"client_id": c.dana.pk},
        {"GET": everyone(405), "POST": everyone(401)},
    ),
}
