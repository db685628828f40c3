"""Idempotency-Key for every API POST: the first answer is stored and replayed for 24 hours.

Contract (Stripe's): the same key with the same request replays the stored status and body; the
same key with another request is 422 `idempotency_key_mismatch`; a retry while the first request
is still running is 409 `idempotency_key_in_use`. Keys are scoped per API key (or per user for a
browser session). Answers that a retry should be allowed to change (5xx, 401, 403, 409, 429)
are not stored: the key is released instead.

Usage: put `@idempotent` ABOVE `@extend_schema` on a DRF view's `post`; it also documents the
header and the 409/422 answers in the OpenAPI schema.

The key's row (unique per owner and key) holds the answer; it is inserted in the request's one
transaction together with everything the view writes. This is the API's one idempotency mechanism; a report's
own (filed_by, idempotency_key) unique constraint backs it up for filings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from filings.models import IdempotencyRecord
from portal.api.errors import domain_error_body
from portal.errors import DomainError, FieldErrors, IdempotencyKeyInUse, IdempotencyKeyMismatch
from portal.fingerprint import fingerprint_of
from portal.models import ApiKey
from portal.services import constraint_violated

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP_HOURS = 24
# A first request that has not finished after this long died; its key may be taken over.
IN_FLIGHT_LEASE_SECONDS = 120
NOT_STORED = frozenset({401, 403, 409, 429})
CLAIM_CONSTRAINT = "idempotency_owner_key"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "재시도해도 한 번만 처리되게 하는 키(255자 이하, 24시간 보관). 같은 키와 같은 본문이면 "
        "처음 응답을 그대로 돌려주고(Idempotent-Replayed: true), 다른 본문이면 422, "
        "처음 요청이 아직 처리 중이면 409입니다."
    ),
)


def _error_response(exc: DomainError) -> Response:
    return Response(domain_error_body(exc), status=exc.status)


def idempotency_owner(request: Request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"apikey:{request.auth.pk}"
    return f"user:{request.user.pk}"


def request_fingerprint(request: Request) -> str:
    """Method, path and body; uploaded files count by their content hash."""
    data = request.data
    body: Any = data
    if hasattr(data, "lists"):  # QueryDict (form or multipart)
        files: dict[str, list[str]] = {}
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest = hashlib.sha256()
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
                files.setdefault(name, []).append(digest.hexdigest())
        fields = {k: v for k, v in data.lists() if k not in request.FILES}
        body = {"fields": fields, "files": files}
    return fingerprint_of([request.method, request.path, body])


def _stored(owner: str, key: str, fingerprint: str) -> Response | None:
    """The answer a request with this key gets from an earlier one (a replay, a mismatch, or
    "still running"), or None if the key is free."""
    existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if existing is None:
        return None
    now = timezone.now()
    expired = existing.created_at < now - timedelta(hours=KEEP_HOURS)
    stale = existing.status_code is None and existing.created_at < now - timedelta(
        seconds=IN_FLIGHT_LEASE_SECONDS
    )
    if expired or stale:
        IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
        return None
    if existing.fingerprint != fingerprint:
        return _error_response(
            IdempotencyKeyMismatch(
                "이 Idempotency-Key는 다른 요청에 이미 쓰였습니다. 새 요청에는 새 키를 쓰세요."
            )
        )
    if existing.status_code is None:
        return _error_response(
            IdempotencyKeyInUse(
                "같은 Idempotency-Key의 요청이 아직 처리 중입니다. 잠시 뒤 다시 보내 주세요."
            )
        )
    response = Response(existing.response_body, status=existing.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _store(owner: str, key: str, request: Request, fingerprint: str, response: Response) -> None:
    # Stored as the client saw it: dates, decimals and UUIDs as text.
    body = json.loads(json.dumps(getattr(response, "data", None), cls=DjangoJSONEncoder))
    now = timezone.now()
    IdempotencyRecord.objects.create(
        owner=owner,
        key=key,
        method=request.method or "",
        path=request.path[:500],
        fingerprint=fingerprint,
        created_at=now,
        status_code=response.status_code,
        response_body=body,
        completed_at=now,
    )


def _documented(view_method: Callable[..., Any], wrapper: Callable[..., Any]) -> None:
    """Add the header and the 409/422 answers to whatever @extend_schema declared."""
    base = getattr(view_method, "kwargs", {}).get("schema") or api_settings.DEFAULT_SCHEMA_CLASS

    # The base is the view's own schema class, known only at run time.
    class IdempotentSchema(base):  # type: ignore[misc, valid-type]
        def get_override_parameters(self) -> list[Any]:
            return [*super().get_override_parameters(), IDEMPOTENCY_PARAMETER]

        def get_response_serializers(self) -> Any:
            from filings.serializers import ErrorSerializer

            responses = super().get_response_serializers()
            if not isinstance(responses, dict):
                return responses
            extra = {
                409: OpenApiResponse(
                    ErrorSerializer, description="같은 Idempotency-Key의 요청이 처리 중"
                ),
                422: OpenApiResponse(
                    ErrorSerializer, description="Idempotency-Key를 다른 요청에 재사용"
                ),
            }
            return {**extra, **responses}

    # Where @extend_schema keeps its arguments, and drf-spectacular looks for the schema class.
    wrapper.kwargs = {**getattr(view_method, "kwargs", {}), "schema": IdempotentSchema}  # type: ignore[attr-defined]


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """`@idempotent` above a DRF view's `post` (and above its `@extend_schema`)."""

    @wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return _answer(_Call(view_method, self, request, args, kwargs))

    _documented(view_method, wrapper)
    return wrapper


@dataclass(frozen=True)
class _Call:
    """The view call an @idempotent wrapper guards."""

    view_method: Callable[..., Response]
    view: Any
    request: Request
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def run(self) -> Response:
        """The view's answer; an exception DRF turns into an answer becomes that answer."""
        try:
            return self.view_method(self.view, self.request, *self.args, **self.kwargs)
        except Exception as exc:
            return self.view.handle_exception(exc)


def _answer(call: _Call) -> Response:
    request = call.request
    key = request.headers.get(HEADER)
    if not key:
        return call.view_method(call.view, request, *call.args, **call.kwargs)
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        message = f"{HEADER}는 {MAX_KEY_LENGTH}자 이하의 인쇄 가능한 문자여야 합니다."
        return _error_response(FieldErrors({HEADER: [("max_length", message)]}))
    owner, fingerprint = idempotency_owner(request), request_fingerprint(request)
    for _ in range(2):
        earlier = _stored(owner, key, fingerprint)
        if earlier is not None:
            return earlier
        try:
            # The view's writes and the key's row with its answer commit together: one durable
            # commit per request, and no row for a key whose request did not finish. Two
            # requests racing with one key both run; the later one's row hits the unique
            # constraint, which undoes all it wrote, and it answers as the earlier one did.
            with transaction.atomic():
                response = call.run()
                if response.status_code >= 500 or response.status_code in NOT_STORED:
                    transaction.set_rollback(True)  # not kept: a retry may do better
                    return response
                _store(owner, key, request, fingerprint, response)
            return response
        except IntegrityError as exc:
            if constraint_violated(exc) != CLAIM_CONSTRAINT:
                raise
    return _error_response(
        IdempotencyKeyInUse("같은 Idempotency-Key의 요청이 동시에 처리 중입니다.")
    )
