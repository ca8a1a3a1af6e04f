"""Authenticated encryption of free text at rest (AES-256-GCM), framework-free.

A stored value reads ``v1:<key id>:<base64 of nonce + ciphertext + tag>``. The key id
(the first 8 hex digits of the key's SHA-256) says which key encrypted it, so keys
can be rotated: the first key encrypts, every listed key decrypts. The associated
data names the column, so a ciphertext moved to another column fails to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def encrypt(plaintext: str, keys: Sequence[bytes], context: str) -> str:
    key = keys[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    body = base64.b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{key_id(key)}:{body}"


def decrypt(stored: str, keys: Sequence[bytes], context: str) -> str:
    try:
        prefix, kid, body = stored.split(":", 2)
    except ValueError:
        raise DecryptionError("not an encrypted value") from None
    if prefix != PREFIX:
        raise DecryptionError(f"unknown format {prefix!r}")
    for key in keys:
        if key_id(key) != kid:
            continue
        raw = base64.b64decode(body)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            raise DecryptionError("the value was altered or belongs elsewhere") from None
    raise DecryptionError(f"no configured key has id {kid}")


def needs_rotation(stored: str, keys: Sequence[bytes]) -> bool:
    return not stored.startswith(f"{PREFIX}:{key_id(keys[0])}:")


def reencrypt(stored: str, keys: Sequence[bytes], context: str) -> str:
    """The same plaintext, encrypted under the first key."""
    return encrypt(decrypt(stored, keys, context), keys, context)
