"""A database of its own for a test that runs `alliance` (or a server) in a subprocess.

On SQLite the subprocess makes its own file under ALLIANCE_VAR_DIR; when the suite runs
against PostgreSQL (DATABASE_URL), a throwaway database is created on that server and
dropped afterwards, whatever happened.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

OUTER_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = OUTER_URL.startswith(("postgres://", "postgresql://"))


def with_own_database(env: dict[str, str], prefix: str) -> Iterator[dict[str, str]]:
    """Yield ``env`` (without DATABASE_URL) on SQLite, or ``env`` pointing at a new
    PostgreSQL database named ``<prefix>_<random>``, dropped when the generator ends."""
    env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    if not POSTGRES:
        yield env
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(OUTER_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**env, "DATABASE_URL": OUTER_URL.rsplit("/", 1)[0] + "/" + name}
    finally:
        with psycopg.connect(OUTER_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
