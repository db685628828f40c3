"""The one fingerprint of a request: what "the same request again" means for idempotency."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def fingerprint_of(value: Any) -> str:
    """SHA-256 of the value as canonical JSON (sorted keys; dates and the like as text)."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
