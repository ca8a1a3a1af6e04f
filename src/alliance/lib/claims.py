"""Claiming background work when several `alliance worker` processes share one database.

Each piece of work (a reminder, an alert's e-mail) is claimed by a conditional write that
only one worker can win, committed, then done, then its outcome recorded. A claim records
who took it and when; one still unfinished after CLAIM_TIMEOUT is from a worker that died
and may be taken again. No Django here: the callers write the claims.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

# Well above any SMTP timeout, so that a live worker's claim is never taken from it.
CLAIM_TIMEOUT = timedelta(minutes=15)


def worker_name() -> str:
    """Who claims a piece of work: host and process id (for the claimed_by columns)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]
