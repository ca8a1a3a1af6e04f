"""Shared set-up for the benchmarks: a throw-away var dir with a migrated SQLite database.

Each benchmark calls ``fresh_database()`` before it imports anything from Django: it makes a
temporary ``ALLIANCE_VAR_DIR`` (in the system temp dir, on disk), runs ``alliance migrate``
there as a separate process, then sets Django up in this process on the same database. The
directory is removed when the process exits (``atexit``), whatever happens.
"""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
ALLIANCE = VENV_BIN / "alliance"


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def bench_env(var_dir: Path) -> dict[str, str]:
    """The environment the app runs with: development mode, SQLite in ``var_dir``."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("ALLIANCE_TESTING", None)
    env.update(
        ALLIANCE_DEBUG="true",
        ALLIANCE_VAR_DIR=str(var_dir),
        ALLIANCE_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="alliance.settings",
    )
    return env


def fresh_database(prefix: str) -> Path:
    """A new temporary var dir with a migrated database; Django is set up on it here."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"alliance-{prefix}-"))
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    env = bench_env(var_dir)
    progress(f"var dir {var_dir}: alliance migrate")
    subprocess.run(
        [str(ALLIANCE), "migrate", "--no-input", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    os.environ.update(
        {
            k: env[k]
            for k in (
                "ALLIANCE_DEBUG",
                "ALLIANCE_VAR_DIR",
                "ALLIANCE_LOG_LEVEL",
                "DJANGO_SETTINGS_MODULE",
            )
        }
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("ALLIANCE_TESTING", None)
    import django

    django.setup()
    return var_dir


def database_from_env(prefix: str) -> str:
    """Set Django up on ``DATABASE_URL`` (migrated here) or, with it unset, on a fresh
    throw-away SQLite database; returns which, for the report."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        fresh_database(prefix)
        return "SQLite (throw-away, WAL)"
    os.environ.update(
        ALLIANCE_DEBUG="true",
        ALLIANCE_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="alliance.settings",
    )
    os.environ.pop("ALLIANCE_TESTING", None)
    progress("alliance migrate on DATABASE_URL")
    subprocess.run(
        [str(ALLIANCE), "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        return connection.vendor
    version = connection.pg_version  # e.g. 150018 for 15.18
    return f"PostgreSQL {version // 10000}.{version % 10000} (DATABASE_URL)"


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    import django

    return (
        f"nproc={os.cpu_count()}; CPU {cpu}; Python {platform.python_version()}; "
        f"Django {django.get_version()}; SQLite {sqlite3.sqlite_version}"
    )


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
