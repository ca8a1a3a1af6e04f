"""Access-matrix rows for the whole-record URLs (see tests/web/test_access_matrix.py).

The client's download and the erasure ask for the password again first: these tests sign
in without a recent password, so the people allowed get the 302 to re-authenticate and
everyone else the usual 404. Dana is the client whose record the admin pages are about;
she has not asked for a copy here, so the admin's download is refused with a 403 (the
admin reaches her page, and it says why; access.py, "records"). With her request, it is a
302 to the authenticator app first (tests/records/test_views.py).
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
    # An empty request names no choice of what the copy holds: 400.
    "my_record_copy_request": (
        None,
        {"GET": signed_in(405), "POST": only({"client": 400, "other_client": 400})},
    ),
    "my_record_copy_withdraw": (
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
        {"GET": signed_in(405), "POST": only({"admin": 403})},
    ),
    "person_erase": (
        lambda c, r: {"user_id": c.dana.pk},
        # Dana has not asked for erasure: refused, and the page says why.
        {"GET": signed_in(405), "POST": only({"admin": 403})},
    ),
}
