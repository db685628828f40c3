"""Domain errors: exception classes that carry their API code and HTTP status.

Services raise them; the API's exception handler (portal.api.errors) maps every one of them to
the one error shape, and the browser views show their message. No view builds an error body.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal a user can act on: a stable code, an HTTP status and a Korean sentence."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, fields: dict[str, list[tuple[str, str]]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[tuple[str, str]]] = fields or {}


class FieldErrors(DomainError):
    """fields: {"employee.rrn": [("rrn.check_digit", "<Korean sentence>")], ...}"""

    code = "validation_error"
    status = 400

    def __init__(self, fields: dict[str, list[tuple[str, str]]] | None = None) -> None:
        super().__init__("입력값을 확인해 주세요.", fields=fields)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {m}" for k, v in self.fields.items() for _, m in v)

    def add(self, field: str, rule: str, message: str) -> None:
        self.fields.setdefault(field, []).append((rule, message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise self

    def messages(self) -> dict[str, list[str]]:
        return {k: [m for _, m in v] for k, v in self.fields.items()}


class NotFound(DomainError):
    code = "not_found"
    status = 404

    def __init__(self, message: str = "찾을 수 없습니다.") -> None:
        super().__init__(message)


class InvalidState(DomainError):
    """The object cannot take this action in its current state."""

    code = "invalid_state"
    status = 409


class IdempotencyKeyMismatch(DomainError):
    """The same Idempotency-Key was used with a different request."""

    code = "idempotency_key_mismatch"
    status = 422

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class IdempotencyKeyInUse(DomainError):
    code = "idempotency_key_in_use"
    status = 409


class Gone(DomainError):
    """The thing existed and is no more (a revoked certificate's PDF)."""

    code = "revoked"
    status = 410
