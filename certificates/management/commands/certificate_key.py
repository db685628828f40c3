"""Print the active certificate signing key's id and public half (for CERT_VERIFY_KEYS)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from certificates.signing import key_id, public_key, public_key_b64, verify_keys


class Command(BaseCommand):
    help = (
        "Show the certificate signing key id and its public half. Before replacing "
        "CERT_SIGNING_KEY, add the printed public key to CERT_VERIFY_KEYS so that certificates "
        "issued so far keep verifying."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        active = public_key()
        self.stdout.write(f"active key id: {key_id(active)}")
        self.stdout.write(f"public key for CERT_VERIFY_KEYS: {public_key_b64(active)}")
        retired = [kid for kid in verify_keys() if kid != key_id(active)]
        self.stdout.write(f"retired keys still verifying: {', '.join(retired) or 'none'}")
