"""New random keys for the configuration (``alliance generate-key``).

Framework-free on purpose: the keys are made on a new server before the settings can
load, since with debug off the settings refuse to load without them.
"""

from __future__ import annotations

import argparse
import base64
import secrets
from collections.abc import Sequence

FIELD_KEY_HELP = (
    "Print a new key for ALLIANCE_FIELD_KEYS, ALLIANCE_AUDIT_KEYS or ALLIANCE_BACKUP_KEYS "
    "(or, with --secret, for ALLIANCE_SECRET_KEY); give each its own."
)
OPTION_HELP = "a Django secret key (ALLIANCE_SECRET_KEY) instead"


def new_field_key() -> str:
    """32 random bytes, URL-safe base64: one entry of a key list such as ALLIANCE_FIELD_KEYS."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def new_secret_key() -> str:
    """86 random URL-safe characters (64 bytes) for ALLIANCE_SECRET_KEY."""
    return secrets.token_urlsafe(64)


def generate_key_main(argv: Sequence[str], prog: str = "alliance generate-key") -> None:
    """``alliance generate-key [--secret]`` without Django: print one new key."""
    parser = argparse.ArgumentParser(prog=prog, description=FIELD_KEY_HELP)
    parser.add_argument("--secret", action="store_true", help=OPTION_HELP)
    options = parser.parse_args(list(argv))
    print(new_secret_key() if options.secret else new_field_key())
