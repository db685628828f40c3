"""OpenAPI additions: the `Token` scheme, and answers every operation can give.

Imported from filings.api so drf-spectacular finds the authentication extension.
`schema_postprocess` is a POSTPROCESSING_HOOKS entry: it adds 401 and 429 (rate limit) to every
authenticated operation, so the schema documents every status code the API can return, and OpenAPI
response `links` that tell clients (and stateful API testers) which id in one answer feeds which call.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.hooks import postprocess_schema_enums

SIGNATURE_DOC = """
## 인증

`Authorization: Token <API 키>` 헤더. 키는 포털의 "API 키" 화면에서 발급하며(한 번만 표시),
사업장 범위를 정할 수 있습니다. 키마다 요청 수 제한이 있으며 넘으면 429와 Retry-After를 돌려줍니다.

## 멱등성

모든 POST는 `Idempotency-Key` 헤더를 받습니다. 24시간 동안 같은 키와 같은 본문이면 처음 응답을
그대로 돌려주고(`Idempotent-Replayed: true`), 다른 본문이면 422 `idempotency_key_mismatch`,
처음 요청이 처리 중이면 409 `idempotency_key_in_use`입니다.

## 오류 형식

모든 오류는 `{"error": {"code", "message", "fields": {"필드": [{"rule", "message"}]}}}`입니다.

## 웹훅

기관별 신고(submission)의 상태가 바뀔 때마다 등록한 URL로 JSON을 POST합니다.
헤더 `X-Portal-Signature: t=<유닉스 시각>,v1=<서명>`의 서명은
HMAC-SHA256(비밀키, `<t>.<본문 바이트>`)의 16진수입니다. 수신 측은 같은 값을 계산해
상수 시간 비교로 확인하고, t가 5분보다 오래되었으면 버리세요. `X-Portal-Event`는 이벤트 종류,
`X-Portal-Delivery`는 이벤트 ID(중복 수신 제거용)입니다. 2xx가 아니면 24시간 동안 지수
백오프로 다시 보냅니다. 본문에는 ID, 상태, 접수번호만 있고 주민등록번호는 없습니다.
"""


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.auth.ApiTokenAuthentication"
    name = "TokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <API 키>` (포털의 API 키 화면에서 발급)",
        }


MAX_ID = 2**63 - 1


FIRST_WORKPLACE = "$response.body#/0/id"
CREATED_ID = "$response.body#/id"
FIRST_RESULT = "$response.body#/results/0/id"
SAME_WORKPLACE = "$request.path.workplace_id"

_WORKPLACE_OPERATIONS = (
    "v1_workplaces_reports_list",
    "v1_workplaces_reports_create",
    "v1_workplaces_employees_list",
    "v1_workplaces_employees_create",
    "v1_workplaces_deadlines_list",
    "v1_workplaces_bills_retrieve",
    "v1_workplaces_bulk_reports_create",
    "v1_workplaces_discrepancies_list",
    "v1_workplaces_insured_history_create",
)
_REPORT_OPERATIONS = (
    "v1_reports_retrieve",
    "v1_reports_submissions_list",
    "v1_reports_cancel_create",
    "v1_reports_correct_create",
)
_EMPLOYEE_OPERATIONS = (
    "v1_employees_retrieve",
    "v1_employees_partial_update",
    "v1_employees_periods_list",
)

# (source operationId, status code, target operationId, {target parameter: runtime expression})
LINKS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    *(
        ("v1_workplaces_list", "200", t, {"workplace_id": FIRST_WORKPLACE})
        for t in _WORKPLACE_OPERATIONS
    ),
    *(
        ("v1_workplaces_reports_create", "201", t, {"report_id": CREATED_ID})
        for t in _REPORT_OPERATIONS
    ),
    *(
        ("v1_reports_correct_create", "201", t, {"report_id": CREATED_ID})
        for t in _REPORT_OPERATIONS
    ),
    *(
        ("v1_workplaces_reports_list", "200", t, {"report_id": FIRST_RESULT})
        for t in _REPORT_OPERATIONS
    ),
    *(
        ("v1_workplaces_employees_create", "201", t, {"employee_id": CREATED_ID})
        for t in _EMPLOYEE_OPERATIONS
    ),
    *(
        ("v1_workplaces_employees_list", "200", t, {"employee_id": FIRST_RESULT})
        for t in _EMPLOYEE_OPERATIONS
    ),
    *(
        (
            "v1_workplaces_bulk_reports_create",
            code,
            "v1_workplaces_bulk_reports_retrieve",
            {"workplace_id": SAME_WORKPLACE, "upload_id": CREATED_ID},
        )
        for code in ("200", "201")
    ),
    (
        "v1_certificates_create",
        "201",
        "v1_certificates_pdf_retrieve",
        {"certificate_id": CREATED_ID},
    ),
)


def _add_links(result: dict[str, Any]) -> None:
    """Attach LINKS whose source answer and target operation both exist in this schema."""
    operations = {
        operation["operationId"]: operation
        for path in result.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for source, code, target, parameters in LINKS:
        response = operations.get(source, {}).get("responses", {}).get(code)
        if response is None or target not in operations:
            continue
        name = target.removeprefix("v1_")
        response.setdefault("links", {})[name] = {
            "operationId": target,
            "parameters": dict(parameters),
        }


def _error_ref() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def schema_postprocess(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    result = postprocess_schema_enums(result, generator, request=request, public=public)
    has_error = "Error" in result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    # Ids are what the URL pattern accepts (digits) and what the database holds.
                    schema.setdefault("minimum", 1)
                    schema.setdefault("maximum", MAX_ID)
            paginated = any(
                p.get("in") == "query" and p.get("name") == "page"
                for p in operation.get("parameters", [])
            )
            authenticated = any(s for s in operation.get("security", [{}]) if s)
            extra = {}
            if paginated:
                extra["404"] = "없는 페이지 번호(또는 접근할 수 없는 대상)"
            if authenticated:
                extra["401"] = "인증 필요(키 없음, 잘못된 키, 폐기된 키)"
                extra["429"] = "요청 수 제한 초과(Retry-After 헤더)"
            for code, description in extra.items():
                if code not in responses:
                    responses[code] = {"description": description}
                    if has_error:
                        responses[code]["content"] = _error_ref()
    _add_links(result)
    info = result.setdefault("info", {})
    if SIGNATURE_DOC.strip() not in info.get("description", ""):
        info["description"] = (info.get("description", "") + "\n" + SIGNATURE_DOC).strip()
    return result
