"""Sealing secrets at rest (marketplace credentials) with a key derived from COMMERCE_SECRET_KEY."""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretsUnreadable(Exception):
    """Sealed data that this deployment's key cannot open (the secret key changed?)."""


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"cluster-commerce:{purpose}".encode()).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, value: dict[str, Any], *, purpose: str = "channel-credentials") -> str:
    """Encrypt and authenticate a JSON object (Fernet: AES-128-CBC with HMAC-SHA256)."""
    return _fernet(secret_key, purpose).encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def unseal(secret_key: str, sealed: str, *, purpose: str = "channel-credentials") -> dict[str, Any]:
    """The JSON object sealed with the same key and purpose."""
    try:
        return json.loads(_fernet(secret_key, purpose).decrypt(sealed.encode()))
    except (InvalidToken, ValueError) as error:
        raise SecretsUnreadable("sealed data cannot be opened with this secret key") from error
