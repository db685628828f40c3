"""Portal tests use the root conftest's two-factor clients (sign_in_verified, verified_client)."""
