"""Print a development .env with fresh random secrets (never commit the result)."""

import base64
import os
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64(n: int) -> str:
    return base64.b64encode(os.urandom(n)).decode()


signing = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
)
print("DEBUG=true")
print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"FIELD_ENCRYPTION_KEYS=k1:{b64(32)}")
print(f"BLIND_INDEX_KEY={b64(32)}")
print(f"CERT_SIGNING_KEY={base64.b64encode(signing).decode()}")
