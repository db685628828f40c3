"""One error shape for the whole API:

{"error": {"code": "validation_error", "message": "<Korean summary>",
           "fields": {"employee.rrn": [{"rule": "rrn.check_digit", "message": "..."}]}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.errors import FieldErrors


class DomainValidationError(exceptions.APIException):
    """Raised by services with field -> [(rule, message)] so the API and forms say the same thing."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "validation_error"

    def __init__(self, fields: dict[str, list[tuple[str, str]]]) -> None:
        self.fields = fields
        super().__init__(detail="입력값을 확인해 주세요.")


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        for i, item in enumerate(detail):
            name = prefix
            if isinstance(item, dict):
                name = f"{prefix}.{i}" if prefix else str(i)
            for k, v in _flatten(item, name).items():
                out.setdefault(k, []).extend(v)
    else:
        code = getattr(detail, "code", "invalid")
        out.setdefault(prefix or "non_field_errors", []).append(
            {"rule": str(code), "message": str(detail)}
        )
    return out


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, FieldErrors):
        exc = DomainValidationError(exc.fields)
    if isinstance(exc, DomainValidationError):
        fields = {
            name: [{"rule": rule, "message": msg} for rule, msg in errors]
            for name, errors in exc.fields.items()
        }
        body = {"error": {"code": "validation_error", "message": str(exc.detail), "fields": fields}}
        return Response(body, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("찾을 수 없습니다.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied("권한이 없습니다.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "error": {
                "code": "validation_error",
                "message": "입력값을 확인해 주세요.",
                "fields": _flatten(exc.detail),
            }
        }
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", str(exc))
        body = {"error": {"code": str(getattr(detail, "code", code)), "message": str(detail)}}
    response.data = body
    return response
