"""Access-matrix rows for the whole-record URLs (see tests/web/test_access_matrix.py).

The downloads and the erasure ask for the password again first: these tests sign in
without a recent password, so the people allowed get the 302 to re-authenticate and
everyone else the usual 404. Dana is the client whose record the admin pages are about.
"""

from __future__ import annotations

from tests.web.matrix import Rows, only, signed_in

ROWS: Rows = {
    "my_record": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    "my_record_download": (
        None,
        {"GET": signed_in(405), "POST": only({"client": 302, "other_client": 302})},
    ),
    "my_record_erasure_request": (
        None,
        {"GET": signed_in(405), "POST": only({"client": 302, "other_client": 302})},
    ),
    "practice_records": (None, {"GET": only({"admin": 200}), "POST": signed_in(405)}),
    "person_record": (
        lambda c, r: {"user_id": c.dana.pk},
        {"GET": only({"admin": 200}), "POST": signed_in(405)},
    ),
    "person_record_download": (
        lambda c, r: {"user_id": c.dana.pk},
        {"GET": signed_in(405), "POST": only({"admin": 302})},
    ),
    "person_erase": (
        lambda c, r: {"user_id": c.dana.pk},
        {"GET": signed_in(405), "POST": only({"admin": 302})},
    ),
}
