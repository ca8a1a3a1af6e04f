"""Strict parsing of configuration from environment variables.

An ambiguous value is an error, never a silent default: a deployment that sets
``ALLIANCE_DEBUG=ture`` should fail to start rather than run with debug off by
accident (or on).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ConfigError(Exception):
    """A configuration value that cannot be understood."""


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, default)


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(
        f"{name}={raw!r} is not a boolean: use one of "
        f"{', '.join(sorted(TRUE_WORDS))} or {', '.join(sorted(FALSE_WORDS))}."
    )


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    items = [part.strip() for part in raw.split(",")]
    if any(not item for item in items):
        raise ConfigError(f"{name}={raw!r} has an empty entry in its comma-separated list.")
    return items


def parse_field_keys(raw: str) -> list[bytes]:
    """Parse ``ALLIANCE_FIELD_KEYS``."""
    return parse_keys(raw, "ALLIANCE_FIELD_KEYS")


def parse_keys(raw: str, name: str) -> list[bytes]:
    """Parse a key list: comma-separated, URL-safe base64, 32 bytes each.

    The first key encrypts; every key decrypts (so keys can be rotated).
    """
    if not raw.strip():
        return []
    keys: list[bytes] = []
    for position, part in enumerate(raw.split(","), start=1):
        text = part.strip()
        try:
            key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{name}: key {position} is not valid base64.") from None
        if len(key) != 32:
            raise ConfigError(
                f"{name}: key {position} is {len(key)} bytes; each key must be "
                "32 bytes (generate one with `alliance generate-key`)."
            )
        keys.append(key)
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{name} lists the same key twice.")
    return keys
