"""Access-matrix rows for the safety URLs (see tests/web/test_access_matrix.py).

A kwargs maker is ``lambda cast, records: {...}``; it may create the objects it needs
(each case runs in its own transaction).
"""

from __future__ import annotations

from typing import Any

from tests.web.matrix import Rows, only, signed_in


def danas_first_version(cast: Any) -> dict[str, int]:
    """Dana's plan, written by Dana: version 1."""
    from alliance.safety.selectors import safety_current_version
    from alliance.safety.services import safety_plan_save

    version = safety_current_version(cast.dana) or safety_plan_save(
        actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0
    )
    return {"number": version.number}


ROWS: Rows = {
    "my_safety_plan": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    "my_safety_plan_edit": (
        None,
        {
            "GET": only({"client": 200, "other_client": 200}),
            "POST": only({"client": 400, "other_client": 400}),
        },
    ),
    "my_safety_plan_versions": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    # Eve has no plan, so no version 1 of her own.
    "my_safety_plan_version": (
        lambda c, r: danas_first_version(c),
        {"GET": only({"client": 200}), "POST": signed_in(405)},
    ),
    "client_safety_plan": (
        lambda c, r: {"client_id": c.dana.pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
    "client_safety_plan_edit": (
        lambda c, r: {"client_id": c.dana.pk},
        {
            "GET": only({"therapist": 200, "supervisor": 403}),
            "POST": only({"therapist": 400, "supervisor": 403}),
        },
    ),
    "client_safety_plan_versions": (
        lambda c, r: {"client_id": c.dana.pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
    "client_safety_plan_version": (
        lambda c, r: {"client_id": c.dana.pk, **danas_first_version(c)},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
}
