"""Field errors shared by services, forms and the API: every error names the field and the rule."""

from __future__ import annotations


class FieldErrors(Exception):
    """fields: {"employee.rrn": [("rrn.check_digit", "<Korean sentence>")], ...}"""

    def __init__(self, fields: dict[str, list[tuple[str, str]]] | None = None) -> None:
        self.fields: dict[str, list[tuple[str, str]]] = fields or {}
        super().__init__("; ".join(f"{k}: {m}" for k, v in self.fields.items() for _, m in v))

    def add(self, field: str, rule: str, message: str) -> None:
        self.fields.setdefault(field, []).append((rule, message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise self

    def messages(self) -> dict[str, list[str]]:
        return {k: [m for _, m in v] for k, v in self.fields.items()}
