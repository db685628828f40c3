"""Field encryption for resident numbers: AES-256-GCM with a key ring, plus an HMAC blind index.

Ciphertext layout: b"v1:" + key id + b":" + 12-byte nonce + GCM ciphertext/tag. The row's purpose
("rrn") is bound as associated data, so a ciphertext cannot be moved into another kind of field.
Keys live only in the environment (FIELD_ENCRYPTION_KEYS="k2:<b64>,k1:<b64>", first = active);
rotation = put a new key first, run `manage.py rotate_keys`, then drop the old key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_PREFIX = b"v1:"


@dataclass(frozen=True)
class KeyRing:
    active_id: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in (part.strip() for part in spec.split(",") if part.strip()):
            key_id, _, b64 = item.partition(":")
            raw = base64.b64decode(b64)
            if not key_id or ":" in key_id or len(raw) != 32:
                raise ImproperlyConfigured(
                    "FIELD_ENCRYPTION_KEYS must be 'id:base64(32 bytes)' items separated by commas"
                )
            keys[key_id] = raw
            order.append(key_id)
        if not order:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
        return cls(active_id=order[0], keys=keys)


@lru_cache(maxsize=4)
def _ring(spec: str) -> KeyRing:
    return KeyRing.parse(spec)


def key_ring() -> KeyRing:
    return _ring(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str, *, purpose: str) -> bytes:
    ring = key_ring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.active_id]).encrypt(nonce, plaintext.encode(), purpose.encode())
    return _PREFIX + ring.active_id.encode() + b":" + nonce + sealed


def key_id_of(ciphertext: bytes) -> str:
    body = bytes(ciphertext)[len(_PREFIX) :]
    return body.split(b":", 1)[0].decode()


def decrypt(ciphertext: bytes, *, purpose: str) -> str:
    blob = bytes(ciphertext)
    if not blob.startswith(_PREFIX):
        raise ValueError("unknown ciphertext format")
    key_id, _, rest = blob[len(_PREFIX) :].partition(b":")
    key = key_ring().keys.get(key_id.decode())
    if key is None:
        raise ImproperlyConfigured(f"encryption key '{key_id.decode()}' is not in the key ring")
    return AESGCM(key).decrypt(rest[:12], rest[12:], purpose.encode()).decode()


def needs_rotation(ciphertext: bytes) -> bool:
    return key_id_of(ciphertext) != key_ring().active_id


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed HMAC-SHA256 for equality lookup; an unkeyed hash of a 13-digit number is reversible."""
    key = base64.b64decode(settings.BLIND_INDEX_KEY)
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def new_key_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()
