"""Access-matrix rows for the practice admin's alert webhooks: the admin's alone."""

from __future__ import annotations

from typing import Any

from tests.web.matrix import Rows, only, signed_in


def _webhook(cast: Any) -> int:
    from alliance.webhooks.services import webhook_create

    webhook, _secret = webhook_create(
        actor=cast.ada,
        name="Pager",
        url="https://127.0.0.1:9/alliance",
        events=["alert.raised"],
    )
    return webhook.pk


ROWS: Rows = {
    # A POST without the form's fields is refused with the form again (400).
    "webhooks": (None, {"GET": only({"admin": 200}), "POST": only({"admin": 400})}),
    "webhook_test": (
        lambda c, r: {"webhook_id": _webhook(c)},
        {"GET": signed_in(405), "POST": only({"admin": 302})},
    ),
    "webhook_remove": (
        lambda c, r: {"webhook_id": _webhook(c)},
        {"GET": signed_in(405), "POST": only({"admin": 302})},
    ),
}
