"""One error shape for the whole API:

{"error": {"code": "validation_error", "message": "<Korean summary>",
           "fields": {"employee.rrn": [{"rule": "rrn.check_digit", "message": "..."}]}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.errors import DomainError, FieldErrors


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


def _refused_request(exc: SuspiciousOperation) -> FieldErrors:
    """What Django refuses while reading a body (before any field is seen), on `body`."""
    if isinstance(exc, TooManyFieldsSent):
        return FieldErrors({"body": [("too_many_fields", _("필드가 너무 많습니다."))]})
    if isinstance(exc, TooManyFilesSent):
        return FieldErrors({"body": [("too_many_files", _("파일이 너무 많습니다."))]})
    if isinstance(exc, RequestDataTooBig):
        return FieldErrors({"body": [("too_large", _("본문이 너무 큽니다."))]})
    return FieldErrors({"body": [("bad_request", _("요청을 읽을 수 없습니다."))]})


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, SuspiciousOperation):
        exc = _refused_request(exc)
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


# Django's error views (portal.urls' handler400, handler403, handler500): what an /api/ URL
# answers when an error escapes the API's exception handler (an unexpected exception, or one
# raised while Django reads the request) is the one error shape in JSON, never an HTML page.


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, SuspiciousOperation):
        return _json(domain_error_body(_refused_request(exception)), 400)
    return _json({"error": {"code": "bad_request", "message": _("요청을 읽을 수 없습니다.")}}, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _json({"error": {"code": "permission_denied", "message": _("권한이 없습니다.")}}, 403)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    message = _("서버에서 오류가 났습니다. 잠시 뒤 다시 시도해 주세요.")
    return _json({"error": {"code": "server_error", "message": message}}, 500)
