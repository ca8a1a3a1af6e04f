"""Settings for the test suite: Alliance's own, in test mode, with a fast password hasher."""

import os

os.environ["ALLIANCE_TESTING"] = "1"

from alliance.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests that check hashing use it explicitly.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
