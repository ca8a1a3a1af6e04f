"""Access-matrix rows for the plans URLs (see tests/web/test_access_matrix.py).

A kwargs maker is ``lambda cast, records: {...}``; it may create the objects it needs
(each case runs in its own transaction).
"""

from __future__ import annotations

from tests.web.matrix import Rows

ROWS: Rows = {}
