"""Ed25519 signatures over certificate facts, verification codes and serial numbers.

The signature covers the canonical JSON of the (masked) facts together with the PDF's
SHA-256, so the verify page can prove both what was certified and which file was issued.

Stored signatures read "ed25519:<key id>:<base64>", the key id being the first 16 hex digits of
the SHA-256 of the raw public key. Rotating CERT_SIGNING_KEY therefore does not orphan what was
issued before: put the retired key's public half in CERT_VERIFY_KEYS and old certificates keep
verifying. Signatures from before key ids (plain base64) are tried against every known key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import secrets
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# No 0/O or 1/I, which people misread when typing a code from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 16  # 16 symbols of 32 = 80 bits
CODE_GROUP = 4
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def canonical_content(facts: dict[str, Any]) -> bytes:
    """Byte-stable JSON: the same facts always sign to the same bytes."""
    return json.dumps(
        facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def generate_private_key_b64() -> str:
    """A new raw 32-byte Ed25519 private key, base64-encoded, for CERT_SIGNING_KEY."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


@functools.lru_cache(maxsize=4)
def _private_key(encoded: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("CERT_SIGNING_KEY is not valid base64.") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured("CERT_SIGNING_KEY must encode exactly 32 bytes.")
    return Ed25519PrivateKey.from_private_bytes(raw)


def signing_key() -> Ed25519PrivateKey:
    encoded = getattr(settings, "CERT_SIGNING_KEY", "")
    if not encoded:
        raise ImproperlyConfigured(
            "CERT_SIGNING_KEY is not set (base64 of a raw 32-byte Ed25519 private key)."
        )
    return _private_key(encoded)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@functools.lru_cache(maxsize=4)
def _retired_keys(spec: str) -> tuple[Ed25519PublicKey, ...]:
    keys = []
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        try:
            raw = base64.b64decode(item, validate=True)
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(
                "CERT_VERIFY_KEYS must be base64 raw 32-byte Ed25519 public keys, comma-separated."
            ) from exc
    return tuple(keys)


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a certificate may have been signed with, by key id; the active one first."""
    ring = {key_id(public_key()): public_key()}
    for key in _retired_keys(getattr(settings, "CERT_VERIFY_KEYS", "") or ""):
        ring.setdefault(key_id(key), key)
    return ring


def public_key_b64(key: Ed25519PublicKey) -> str:
    """The form CERT_VERIFY_KEYS takes, for when this key is retired."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_pem(kid: str | None = None) -> str:
    """The active key, or the known key with id `kid` (KeyError if there is none)."""
    key = verify_keys()[kid] if kid else public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _signed_bytes(facts: dict[str, Any], pdf_sha256: str) -> bytes:
    return canonical_content({"facts": facts, "pdf_sha256": pdf_sha256})


def certificate_sign(*, facts: dict[str, Any], pdf_sha256: str) -> str:
    """ "ed25519:<key id>:<base64 signature>" over the facts and the PDF hash."""
    signature = signing_key().sign(_signed_bytes(facts, pdf_sha256))
    encoded = base64.b64encode(signature).decode("ascii")
    return f"ed25519:{key_id(public_key())}:{encoded}"


def signature_verify(
    *,
    facts: dict[str, Any],
    pdf_sha256: str,
    signature: str,
    key: Ed25519PublicKey | None = None,
) -> bool:
    """True only if `signature` was made by one of our keys (or `key`) over exactly these facts
    and hash."""
    scheme, _, rest = signature.rpartition(":") if signature.count(":") == 2 else ("", "", "")
    if scheme:
        _, kid = scheme.split(":")
        encoded = rest
    else:
        kid, encoded = "", signature
    if key is not None:
        candidates = [key]
    elif kid:
        found = verify_keys().get(kid)
        candidates = [found] if found is not None else []
    else:
        candidates = list(verify_keys().values())
    message = _signed_bytes(facts, pdf_sha256)
    for candidate in candidates:
        try:
            candidate.verify(base64.b64decode(encoded, validate=True), message)
        except (InvalidSignature, binascii.Error, ValueError, TypeError):
            continue
        return True
    return False


def verification_code_new() -> str:
    """XXXX-XXXX-XXXX-XXXX from a CSPRNG; unguessable, so it can be the verify URL."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def verification_code_normalize(value: str) -> str | None:
    """Canonical form of a code typed by a person (any case, spaces or hyphens), or None."""
    compact = re.sub(r"[\s\-]", "", value or "").upper()
    if not _CODE_RE.match(compact):
        return None
    return "-".join(compact[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def certificate_serial_format(*, number: int, year: int, prefix: str = "C") -> str:
    """'C-2026-000123': issue year plus the certificate's database id, zero-padded."""
    if number < 1:
        raise ValueError("serial number must be positive")
    return f"{prefix}-{year:04d}-{number:06d}"
