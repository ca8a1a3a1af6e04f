"""Access-matrix rows for the preferences URLs (see tests/web/test_access_matrix.py).

A kwargs maker is ``lambda cast, records: {...}``; it may create the objects it needs
(each case runs in its own transaction).
"""

from __future__ import annotations

from typing import Any

from tests.web.matrix import Rows, only, signed_in


def dana_agenda_item(cast: Any, records: Any) -> dict[str, int]:
    from alliance.preferences.services import agenda_item_add

    item = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="Work worries")
    return {"item_id": item.pk}


CLIENTS_OWN_PAGE = only({"client": 200, "other_client": 200})

ROWS: Rows = {
    # An empty save of preferences says what is missing; an empty profile is a valid choice.
    "my_preferences": (
        None,
        {"GET": CLIENTS_OWN_PAGE, "POST": only({"client": 400, "other_client": 400})},
    ),
    "agenda_add": (
        None,
        {"GET": signed_in(405), "POST": only({"client": 400, "other_client": 400})},
    ),
    "agenda_withdraw": (
        dana_agenda_item,
        {"GET": signed_in(405), "POST": only({"client": 302})},
    ),
    "my_cultural_profile": (
        None,
        {"GET": CLIENTS_OWN_PAGE, "POST": only({"client": 302, "other_client": 302})},
    ),
    "agenda_discussed": (
        dana_agenda_item,
        {"GET": signed_in(405), "POST": only({"therapist": 302, "supervisor": 403})},
    ),
}
