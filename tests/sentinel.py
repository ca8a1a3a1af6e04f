"""Run a script against a real SQLite file and read the file's raw bytes.

The sentinel tests of every feature write unique strings through the services into a
database file, then look for them in the bytes on disk (DESIGN.md: free text encrypted
at rest). The schema is migrated once per test run and copied for each test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL_SETTINGS = ("ALLIANCE_", "DJANGO_", "DATABASE_URL")
_MIGRATED: dict[str, Path] = {}


def _alliance(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(LOCAL_SETTINGS)},
        "ALLIANCE_DEBUG": "true",
        "ALLIANCE_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def _migrated(scratch: Path) -> Path:
    if "db" not in _MIGRATED:
        template = scratch.parent / "sentinel-template"
        template.mkdir(exist_ok=True)
        _alliance(template, "migrate", "-v", "0")
        _MIGRATED["db"] = template / "alliance.sqlite3"
    return _MIGRATED["db"]


def run_on_database_file(tmp_path: Path, script: str) -> tuple[str, bytes]:
    """Run ``script`` in ``alliance shell`` on a fresh migrated SQLite file; return what it
    printed and every byte of the database (with its WAL and shared-memory files)."""
    shutil.copy(_migrated(tmp_path), tmp_path / "alliance.sqlite3")
    done = _alliance(tmp_path, "shell", "-c", script)
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("alliance.sqlite3*"))
    assert raw, "the database file is missing"
    return done.stdout, raw
