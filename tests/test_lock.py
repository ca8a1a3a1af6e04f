"""The environment is exactly the lock: every installed package is in uv.lock at its
locked version, and every package pyproject.toml asks for is installed.

A fresh machine that installs a newer release than the suite was written against fails
here, naming the package, instead of somewhere deep in the suite.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, set[str]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    versions: dict[str, set[str]] = {}
    for package in lock["package"]:
        versions.setdefault(canonical(package["name"]), set()).add(package["version"])
    return versions


def installed_versions() -> dict[str, str]:
    return {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return canonical(match.group(0))


def test_every_installed_package_is_locked_at_its_locked_version() -> None:
    locked = locked_versions()
    strays = {
        name: version
        for name, version in installed_versions().items()
        if version not in locked.get(name, set())
    }
    assert not strays, (
        f"installed but not in uv.lock at that version: {strays}; "
        "install with `make test` (uv sync --locked), never with pip"
    )


def test_every_locked_package_has_hashes() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    for package in lock["package"]:
        if package.get("source", {}).get("editable") or package.get("source", {}).get("virtual"):
            continue  # Alliance itself
        files = [package["sdist"]] if "sdist" in package else []
        files += package.get("wheels", [])
        assert files, package["name"]
        assert all(f.get("hash", "").startswith("sha256:") for f in files), package["name"]


def test_what_pyproject_asks_for_is_installed() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = project["project"]["dependencies"] + project["dependency-groups"]["dev"]
    installed = installed_versions()
    missing = {requirement_name(r) for r in wanted} - installed.keys()
    assert not missing, f"asked for by pyproject.toml but not installed: {missing}"


def runtime_closure() -> set[str]:
    """Every package `make demo` installs: Alliance's dependencies, followed through the
    lock (extras included), without the dev group."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    by_name: dict[str, list[dict]] = {}
    for package in lock["package"]:
        by_name.setdefault(package["name"], []).append(package)
    seen: set[str] = set()
    todo = [{"name": "alliance"}]
    while todo:
        edge = todo.pop()
        for package in by_name[edge["name"]]:
            key = f"{edge['name']}[{','.join(edge.get('extra', []))}]"
            if key in seen:
                continue
            seen.add(key)
            todo += package.get("dependencies", [])
            for extra in edge.get("extra", []):
                todo += package.get("optional-dependencies", {}).get(extra, [])
    return {key.split("[")[0] for key in seen}


def test_the_runtime_group_serves_and_reaches_postgresql_without_the_test_tools() -> None:
    # `make demo` and a deployment install only the runtime group: the production server
    # and the PostgreSQL driver are in it; the test, lint and benchmark tools are not.
    runtime = runtime_closure()
    assert {"django", "gunicorn", "psycopg", "psycopg-binary", "fido2"} <= runtime
    dev_only = {
        "pytest",
        "playwright",
        "mypy",
        "duckdb",
        "hypothesis",
        "ruff",
        "polib",
        "import-linter",
    }
    assert not runtime & dev_only
