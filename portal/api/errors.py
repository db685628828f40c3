"""One error shape for the whole API:

{"error": {"code": "validation_error", "message": "<Korean summary>",
           "fields": {"employee.rrn": [{"rule": "rrn.check_digit", "message": "..."}]}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.errors import DomainError


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


def domain_error_body(exc: DomainError) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.fields:
        error["fields"] = {
            name: [{"rule": rule, "message": msg} for rule, msg in errors]
            for name, errors in exc.fields.items()
        }
    return {"error": error}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status)
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
