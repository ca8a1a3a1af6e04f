"""Access-matrix rows for the SMART EHR launch (Alliance launched from an EHR).

Without a registered ``iss`` the launch is refused in words (400); without a pending launch
the callback is too (400). Only clinicians with a caseload are launched into a record: a
client and the practice admin find no such page (404); someone not signed in is sent to
sign in (302) and comes back. The whole launch: tests/ehr/test_launch.py.
"""

from __future__ import annotations

from tests.web.matrix import Rows, only, signed_in

_CLINICIANS = {"therapist": 400, "other_therapist": 400, "supervisor": 400}

ROWS: Rows = {
    "smart_launch": (None, {"GET": only(_CLINICIANS), "POST": signed_in(405)}),
    "smart_callback": (None, {"GET": only(_CLINICIANS), "POST": signed_in(405)}),
}
