"""Idempotency-Key for every API POST: the first answer is stored and replayed for 24 hours.

Contract (Stripe's): the same key with the same request replays the stored status and body; the
same key with another request is 422 `idempotency_key_mismatch`; a retry while the first request
is still running is 409 `idempotency_key_in_use`. Keys are scoped per API key (or per user for a
browser session). Answers that a retry should be allowed to change (5xx, 401, 403, 409, 429)
are not stored: the key is released instead.

Usage: put `@idempotent` ABOVE `@extend_schema` on a DRF view's `post`; it also documents the
header and the 409/422 answers in the OpenAPI schema.

The claim (an in-flight row, unique per owner and key) is normally its own autocommitted INSERT
before the view runs. Filing a report writes all its rows in one statement text
(portal.rows), so there `@idempotent(claim_with_rows=True)` puts the claim first in that text:
if the key is taken, the unique constraint undoes the whole filing and the request is answered
as above (replay, 422, 409, or, for a dead request's key, a fresh claim and a second run). An
answer that filed nothing (a validation error) is claimed and stored after the fact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from filings.models import IdempotencyRecord
from portal.models import ApiKey
from portal.prepared import prepared_execute, prepared_fetchone, prepared_write_behind
from portal.rows import row_new, rows_riding

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


def _error(code: str, message: str, status: int, field_rule: str | None = None) -> Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if field_rule:
        body["error"]["fields"] = {HEADER: [{"rule": field_rule, "message": message}]}
    return Response(body, status=status)


def idempotency_owner(request: Request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"apikey:{request.auth.pk}"
    return f"user:{request.user.pk}"


def request_fingerprint(request: Request) -> str:
    """Method, path and body; uploaded files count by their content hash."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # QueryDict (form or multipart)
        fields = {k: v for k, v in data.lists() if k not in request.FILES}
        digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode())
    return digest.hexdigest()


# ON CONFLICT DO NOTHING instead of catching IntegrityError: no transaction or savepoint around
# it (two round trips fewer), and it behaves the same inside a caller's transaction.
_CLAIM_SQL = (
    'INSERT INTO "filings_idempotencyrecord" '
    '("owner", "key", "method", "path", "fingerprint", "created_at") '
    "VALUES (%(owner)s, %(key)s, %(method)s, %(path)s, %(fingerprint)s, %(now)s) "
    'ON CONFLICT ("owner", "key") DO NOTHING RETURNING "id"'
)


# The JSON text goes in as is: the column parses it, as the ORM's JSONField would have.
_FINISH_SQL = (
    'UPDATE "filings_idempotencyrecord" SET "status_code" = %(status)s, '
    '"response_body" = %(body)s, "completed_at" = %(now)s WHERE "id" = %(id)s'
)

# Outside a caller's transaction both statements commit without waiting for their WAL flush
# (portal.prepared, wait_for_flush=False). Two fsync waits fewer per POST, and nothing is lost
# that matters:
# - a claim lost in a database crash goes with everything the request wrote after it (any later
#   durable commit flushes the WAL up to and including the claim);
# - a lost finish (a crash within ~200 ms, before any other commit) leaves the key in flight, so
#   a retry after IN_FLIGHT_LEASE_SECONDS runs the request again; a filing then answers from the
#   report's own (filed_by, idempotency_key) row.


def _insert_claim(
    owner: str, key: str, request: Request, fingerprint: str, now: datetime
) -> int | None:
    """One autocommitted statement: the new in-flight row's id, or None if the key is taken."""
    params = {
        "owner": owner,
        "key": key,
        "method": request.method or "",
        "path": request.path[:500],
        "fingerprint": fingerprint,
        "now": now,
    }
    row = prepared_fetchone(
        name="idempotency_claim", sql=_CLAIM_SQL, params=params, wait_for_flush=False
    )
    return row[0] if row else None


def _claim(owner: str, key: str, request: Request, fingerprint: str) -> int | Response:
    """Insert the in-flight row (committed at once) and return its id, or answer from the existing one."""
    now = timezone.now()
    for _ in range(2):
        claimed = _insert_claim(owner, key, request, fingerprint, now)
        if claimed is not None:
            return claimed
        existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing is None:
            continue  # released by its first request in the meantime
        expired = existing.created_at < now - timedelta(hours=KEEP_HOURS)
        stale = existing.status_code is None and existing.created_at < now - timedelta(
            seconds=IN_FLIGHT_LEASE_SECONDS
        )
        if expired or stale:
            IdempotencyRecord.objects.filter(
                pk=existing.pk, created_at=existing.created_at
            ).delete()
            continue
        if existing.fingerprint != fingerprint:
            return _error(
                "idempotency_key_mismatch",
                "이 Idempotency-Key는 다른 요청에 이미 쓰였습니다. 새 요청에는 새 키를 쓰세요.",
                422,
            )
        if existing.status_code is None:
            return _error(
                "idempotency_key_in_use",
                "같은 Idempotency-Key의 요청이 아직 처리 중입니다. 잠시 뒤 다시 보내 주세요.",
                409,
            )
        response = Response(existing.response_body, status=existing.status_code)
        response["Idempotent-Replayed"] = "true"
        return response
    return _error(
        "idempotency_key_in_use", "같은 Idempotency-Key의 요청이 동시에 처리 중입니다.", 409
    )


def _finish(record_id: int, response: Response) -> None:
    if response.status_code >= 500 or response.status_code in NOT_STORED:
        IdempotencyRecord.objects.filter(pk=record_id).delete()
        return
    body = json.dumps(getattr(response, "data", None), cls=DjangoJSONEncoder)
    params = {"status": response.status_code, "body": body, "now": timezone.now(), "id": record_id}
    prepared_execute(
        name="idempotency_finish", sql=_FINISH_SQL, params=params, wait_for_flush=False
    )


def idempotency_purge(*, older_than_hours: float = KEEP_HOURS) -> int:
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _documented(view_method: Callable[..., Any], wrapper: Callable[..., Any]) -> None:
    """Add the header and the 409/422 answers to whatever @extend_schema declared."""
    base = getattr(view_method, "kwargs", {}).get("schema") or api_settings.DEFAULT_SCHEMA_CLASS

    class IdempotentSchema(base):  # type: ignore[misc, valid-type]
        def get_override_parameters(self):  # type: ignore[no-untyped-def]
            return [*super().get_override_parameters(), IDEMPOTENCY_PARAMETER]

        def get_response_serializers(self):  # type: ignore[no-untyped-def]
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

    wrapper.kwargs = {**getattr(view_method, "kwargs", {}), "schema": IdempotentSchema}  # type: ignore[attr-defined]


def idempotent(
    view_method: Callable[..., Response] | None = None, *, claim_with_rows: bool = False
) -> Any:
    """`@idempotent`, or `@idempotent(claim_with_rows=True)` for a view whose every write goes
    through one `portal.rows.rows_insert` (filing a report): there the claim is inserted with
    those rows, in their statement, instead of in a round trip of its own before the view runs.
    """

    def decorate(view_method: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view_method)
        def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            # Marks made on the way (the outbox's "published") go out with the finish.
            with prepared_write_behind():
                return _answer(_Call(view_method, self, request, args, kwargs), claim_with_rows)

        _documented(view_method, wrapper)
        return wrapper

    return decorate(view_method) if view_method is not None else decorate


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


def _answer(call: _Call, claim_with_rows: bool) -> Response:
    request = call.request
    key = request.headers.get(HEADER)
    if not key:
        return call.view_method(call.view, request, *call.args, **call.kwargs)
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return _error(
            "validation_error",
            f"{HEADER}는 {MAX_KEY_LENGTH}자 이하의 인쇄 가능한 문자여야 합니다.",
            400,
            field_rule="max_length",
        )
    owner, fingerprint = idempotency_owner(request), request_fingerprint(request)
    if claim_with_rows and connection.vendor == "postgresql":
        answered = _answer_claiming_with_rows(call, owner, key, fingerprint)
        if answered is not None:
            return answered
        # The key was taken before us (nothing of ours was written): answer as below.
    claimed = _claim(owner, key, request, fingerprint)
    if isinstance(claimed, Response):
        return claimed
    try:
        response = call.run()
    except Exception:
        IdempotencyRecord.objects.filter(pk=claimed).delete()
        raise
    _finish(claimed, response)
    return response


def _answer_claiming_with_rows(
    call: _Call, owner: str, key: str, fingerprint: str
) -> Response | None:
    """Run the view with the claim riding on its rows; None if the key turned out taken."""
    record = row_new(
        IdempotencyRecord,
        owner=owner,
        key=key,
        method=call.request.method or "",
        path=call.request.path[:500],
        fingerprint=fingerprint,
        created_at=timezone.now(),
    )
    with rows_riding([record]) as riding:
        try:
            response = call.run()
        except Exception:
            if riding.failed_on == CLAIM_CONSTRAINT:
                return None
            if riding.inserted:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
    if riding.failed_on == CLAIM_CONSTRAINT:
        return None
    if riding.inserted:
        _finish(record.pk, response)
        return response
    # Nothing was filed (an error answer, or a report answered from its own key): claim now,
    # as the classic path would have before, to store this answer or to defer to an earlier one.
    if response.status_code >= 500 or response.status_code in NOT_STORED:
        return response
    claimed = _claim(owner, key, call.request, fingerprint)
    if isinstance(claimed, Response):
        return claimed
    _finish(claimed, response)
    return response
