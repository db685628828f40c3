"""Hostile input: every API input is checked by type and shape before it reaches a model.

A client that sends an object for a name, a resident number in Arabic-Indic digits, Infinity for
a wage, 20261204 for a date, a body nested 100,000 deep, a lone surrogate or a NUL gets a 400 in
the one error shape, in Korean, naming the field and the rule, and nothing is written. Whatever
it sends, the answer is JSON and never a server error (the property test at the end sends random
and hostile bodies to every POST and PATCH operation of the OpenAPI schema).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from certificates.models import Certificate
from filings.models import Report, Submission
from filings.services import report_file
from portal.api.parsers import MAX_DEPTH, StrictJSONParser
from portal.models import AuditEvent, Employee, Membership, Workplace
from portal.serializer_fields import StrictModelSerializer
from tests.factories import MembershipFactory, WorkplaceFactory, valid_rrn
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db

HANGUL = re.compile(r"[가-힣]")


# -- helpers ---------------------------------------------------------------------------------


def _raw(body: Any) -> bytes:
    """JSON bytes as a hostile client writes them: lone surrogates as \\ud800 escapes (they have
    no UTF-8 form), NaN and Infinity as the bare constants Python's json writes."""
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()


def _send(client: APIClient, url: str, body: Any, method: str = "post") -> Any:
    raw = body if isinstance(body, bytes) else _raw(body)
    return client.generic(method.upper(), url, raw, content_type="application/json")


def _written() -> tuple[int, ...]:
    return (
        Employee.objects.count(),
        Report.objects.count(),
        Submission.objects.count(),
        Certificate.objects.count(),
        AuditEvent.objects.count(),
    )


def _refused(response: Any, field: str, *rules: str) -> list[dict[str, str]]:
    """Assert a 400 in the one error shape, in Korean, naming `field` with one of `rules`."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "validation_error" and HANGUL.search(error["message"])
    assert field in error["fields"], error
    problems = error["fields"][field]
    assert all(HANGUL.search(p["message"]) for p in problems), problems
    if rules:
        assert {p["rule"] for p in problems} & set(rules), problems
    return problems


@pytest.fixture
def reports_url(workplace: Workplace) -> str:
    return f"/api/v1/workplaces/{workplace.pk}/reports/"


@pytest.fixture
def employees_url(workplace: Workplace) -> str:
    return f"/api/v1/workplaces/{workplace.pk}/employees/"


def _employee_body(**overrides: Any) -> dict[str, Any]:
    return {"name": "박서준", "rrn": valid_rrn(date(1991, 4, 4)), **overrides}


def _foreigner_hire(**employee: Any) -> dict[str, Any]:
    body = hire_body(rrn=valid_rrn(date(1990, 1, 1), foreigner=True), nationality="VN")
    body["employee"].update({"visa": "E-9", **employee})
    return body


def _coverage_body(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "birth_date": "1990-01-01",
        "hire_date": (today - timedelta(days=3)).isoformat(),
        "employment_type": "regular",
        "weekly_hours": 40,
        "monthly_wage": 3_000_000,
        **overrides,
    }


# -- text is text ----------------------------------------------------------------------------

NOT_TEXT = [{"$ne": 1}, ["김민준"], 12345, 12.5, True]


@pytest.mark.parametrize("name", NOT_TEXT, ids=["object", "list", "integer", "float", "bool"])
def test_a_hire_whose_name_is_not_text_is_refused_not_stored_as_its_text(
    api_client: APIClient, reports_url: str, name: Any
) -> None:
    before = _written()

    response = _send(api_client, reports_url, hire_body(name=name))

    _refused(response, "employee.name", "string")
    assert _written() == before
    assert not Employee.objects.filter(name__contains="$ne").exists()


@pytest.mark.parametrize("name", NOT_TEXT, ids=["object", "list", "integer", "float", "bool"])
def test_an_employee_whose_name_is_not_text_is_refused(
    api_client: APIClient, employees_url: str, name: Any
) -> None:
    before = _written()

    response = _send(api_client, employees_url, _employee_body(name=name))

    _refused(response, "name", "string")
    assert _written() == before


def test_renaming_an_employee_to_an_object_is_refused_and_the_name_stays(
    api_client: APIClient, employee: Employee
) -> None:
    response = _send(api_client, f"/api/v1/employees/{employee.pk}/", {"name": {"$ne": 1}}, "patch")

    _refused(response, "name", "string")
    employee.refresh_from_db()
    assert "$ne" not in employee.name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("김\x07민준", "control_character"),
        ("김민준\n", "control_character"),
        ("김\t민준", "control_character"),
        ("\x1b[31m김민준", "control_character"),
        ("김\x00민준", "control_character"),
        ("김\x85민준", "control_character"),
        ("\u202e준민김", "unprintable"),
        ("김\u200b민준", "unprintable"),
    ],
    ids=["bell", "newline", "tab", "escape", "nul", "c1-control", "bidi-override", "zero-width"],
)
def test_a_name_with_a_control_or_invisible_character_is_refused(
    api_client: APIClient, reports_url: str, employees_url: str, name: str, rule: str
) -> None:
    before = _written()

    hire = _send(api_client, reports_url, hire_body(name=name))
    employee = _send(api_client, employees_url, _employee_body(name=name))

    _refused(hire, "employee.name", rule)
    _refused(employee, "name", rule)
    assert _written() == before


def test_a_lone_surrogate_in_a_name_is_refused(
    api_client: APIClient, reports_url: str, employees_url: str
) -> None:
    before = _written()

    hire = _send(api_client, reports_url, hire_body(name="김\ud800"))
    employee = _send(api_client, employees_url, _employee_body(name="\udfff"))

    assert b"\\ud800" in _raw(hire_body(name="\ud800"))  # sent as an escape: UTF-8 has no form
    _refused(hire, "employee.name", "surrogate")
    _refused(employee, "name", "surrogate")
    assert _written() == before


def test_a_lone_surrogate_anywhere_in_the_body_is_refused_naming_where(
    api_client: APIClient, reports_url: str
) -> None:
    before = _written()

    in_unknown_field = _send(api_client, reports_url, {**hire_body(), "note": ["ok", "\ud83d"]})
    in_a_key = _send(api_client, reports_url, {**hire_body(), "x\udc00": 1})

    _refused(in_unknown_field, "note[1]", "surrogate")
    _refused(in_a_key, "x\\udc00", "surrogate")
    assert _written() == before


# -- digits are ASCII ------------------------------------------------------------------------

FOREIGN_DIGITS = {
    "arabic-indic": "٩٠٠١٠١١٢٣٤٥٦٧",
    "full-width": "９００１０１１２３４５６７",
    "mixed": "900101-１234567",
}


@pytest.mark.parametrize("rrn", FOREIGN_DIGITS.values(), ids=FOREIGN_DIGITS.keys())
def test_a_resident_number_in_other_digits_is_refused_not_a_server_error(
    api_client: APIClient, reports_url: str, employees_url: str, rrn: str
) -> None:
    before = _written()

    hire = _send(api_client, reports_url, hire_body(rrn=rrn))
    employee = _send(api_client, employees_url, _employee_body(rrn=rrn))

    _refused(hire, "employee.rrn", "rrn.ascii_digits")
    _refused(employee, "rrn", "rrn.ascii_digits")
    assert _written() == before


def test_a_resident_number_sent_as_a_number_is_refused(
    api_client: APIClient, reports_url: str
) -> None:
    response = _send(api_client, reports_url, hire_body(rrn=int(valid_rrn(date(1990, 1, 1)))))

    _refused(response, "employee.rrn", "string")


def test_codes_and_amounts_in_other_digits_are_refused(
    api_client: APIClient, reports_url: str, employees_url: str, workplace: Workplace
) -> None:
    before = _written()

    job_code = _send(api_client, reports_url, hire_body(job_code="٠٢٤"))
    wage = _send(api_client, reports_url, hire_body(monthly_wage="３０００٠٠٠"))
    hours = _send(api_client, reports_url, hire_body(weekly_hours="٤٠"))
    created = _send(api_client, employees_url, _employee_body(job_code="０２４"))
    changed = _send(
        api_client,
        reports_url,
        {
            "kind": "workplace_change",
            "effective_date": timezone.localdate().isoformat(),
            "changes": {"phone": "０２-１２３-４５６７", "postcode": "٠٤٠٠١"},
        },
    )
    quote = _send(api_client, "/api/v1/premiums/quote/", {"monthly_wage": 1, "month": "٢٠٢٦-٠٣"})

    _refused(job_code, "job_code", "format")
    _refused(wage, "monthly_wage", "ascii_digits")
    _refused(hours, "weekly_hours", "ascii_digits")
    _refused(created, "job_code", "invalid")
    _refused(changed, "changes.phone", "phone.format")
    _refused(changed, "changes.postcode", "postcode.format")
    _refused(quote, "month", "month.format")
    assert _written() == before
    assert Workplace.objects.get(pk=workplace.pk).phone == ""


# -- numbers are finite and in range ---------------------------------------------------------

BAD_WAGES = {
    "infinity-text": ("Infinity", ("finite",)),
    "nan-text": ("NaN", ("finite",)),
    "huge-exponent-text": ("1e999999999", ("range", "max_value")),
    "negative": (-1, ("range", "min_value")),
    "over-the-maximum": (10**11, ("range", "max_value")),
    "40-digit-integer": (10**45, ("range", "max_value")),
    "bool": (True, ("integer", "invalid")),
    "object": ({"$gt": 0}, ("integer", "invalid")),
}


@pytest.mark.parametrize(("wage", "rules"), BAD_WAGES.values(), ids=BAD_WAGES.keys())
def test_a_monthly_wage_that_is_not_a_finite_sane_number_is_refused(
    api_client: APIClient, reports_url: str, employees_url: str, wage: Any, rules: tuple[str, ...]
) -> None:
    before = _written()

    answers = {
        "hire": _send(api_client, reports_url, hire_body(monthly_wage=wage)),
        "employee": _send(api_client, employees_url, _employee_body(monthly_wage=wage)),
        "coverage": _send(api_client, "/api/v1/coverage/", _coverage_body(monthly_wage=wage)),
    }

    for answer in answers.values():
        _refused(answer, "monthly_wage", *rules)
    quote = _send(api_client, "/api/v1/premiums/quote/", {"monthly_wage": wage, "month": "2026-03"})
    assert quote.status_code == 400 and "monthly_wage" in quote.json()["error"]["fields"]
    assert _written() == before


@pytest.mark.parametrize(
    "raw",
    [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"],
    ids=["NaN", "Infinity", "-Infinity", "1e400", "-1e400"],
)
def test_json_constants_nan_and_infinity_in_the_body_are_refused_naming_the_field(
    api_client: APIClient, reports_url: str, raw: bytes
) -> None:
    before = _written()
    body = _raw(hire_body(monthly_wage=0)).replace(b'"monthly_wage": 0', b'"monthly_wage": ' + raw)

    response = _send(api_client, reports_url, body)
    coverage = _send(
        api_client,
        "/api/v1/coverage/",
        _raw(_coverage_body(weekly_hours=0)).replace(
            b'"weekly_hours": 0', b'"weekly_hours": ' + raw
        ),
    )

    _refused(response, "monthly_wage", "finite")
    _refused(coverage, "weekly_hours", "finite")
    assert _written() == before


# -- dates are exactly YYYY-MM-DD ------------------------------------------------------------

BAD_DATES = {
    "compact": "20261204",
    "iso-week": "2026-W49-1",
    "unpadded": "2026-1-4",
    "arabic-indic": "٢٠٢٦-٠١-٠٤",
    "full-width": "２０２６-０１-０４",
    "no-such-day": "2026-02-30",
    "with-time": "2026-01-04T00:00:00",
    "trailing-newline": "2026-01-04\n",
    "number": 20261204,
}


@pytest.mark.parametrize("day", BAD_DATES.values(), ids=BAD_DATES.keys())
def test_a_date_not_written_exactly_yyyy_mm_dd_is_refused(
    api_client: APIClient,
    reports_url: str,
    employees_url: str,
    employee: Employee,
    day: Any,
) -> None:
    before = _written()

    hire = _send(api_client, reports_url, hire_body(hire_date=day))
    created = _send(api_client, employees_url, _employee_body(hire_date=day))
    coverage = _send(api_client, "/api/v1/coverage/", _coverage_body(birth_date=day))
    quote = _send(
        api_client,
        "/api/v1/premiums/quote/",
        {"monthly_wage": 1, "month": "2026-03", "hire_date": day},
    )
    prefill = api_client.get(
        f"/api/v1/employees/{employee.pk}/separation-prefill/", {"last_working_day": day}
    )

    _refused(hire, "hire_date", "date_format")
    _refused(created, "hire_date", "date_format")
    _refused(coverage, "birth_date", "date_format")
    assert quote.status_code == 400 and "hire_date" in quote.json()["error"]["fields"]
    _refused(prefill, "last_working_day", "date_format")
    assert _written() == before


# -- shape: depth ----------------------------------------------------------------------------


def test_a_body_nested_100000_deep_is_refused_not_a_recursion_error(
    api_client: APIClient, reports_url: str
) -> None:
    response = _send(api_client, reports_url, b"[" * 100_000 + b"]" * 100_000)

    _refused(response, "body", "json.depth")


def test_a_field_nested_past_the_limit_is_refused_but_up_to_it_is_read(
    api_client: APIClient, reports_url: str
) -> None:
    def nested(depth: int) -> Any:
        value: Any = "끝"
        for _ in range(depth):
            value = [value]
        return value

    too_deep = _send(api_client, reports_url, {**hire_body(), "note": nested(MAX_DEPTH)})
    deep_enough = _send(api_client, reports_url, {**hire_body(), "note": nested(MAX_DEPTH - 1)})

    _refused(too_deep, "body", "json.depth")
    assert deep_enough.status_code == 201, deep_enough.content


def test_text_that_is_not_utf8_or_not_json_is_refused_on_the_body(
    api_client: APIClient, reports_url: str
) -> None:
    _refused(_send(api_client, reports_url, b'{"kind": "\xff\xfe"}'), "body", "json.encoding")
    _refused(_send(api_client, reports_url, b'{"kind": "hire",'), "body", "json.syntax")
    _refused(_send(api_client, reports_url, b"9" * 5000), "body", "range")


# -- text stored in jsonb and other columns --------------------------------------------------


@pytest.mark.parametrize(
    ("visa", "rule"),
    [("E-9-ABCDEFGHIJ", "max_length"), ("E\x00-9", "control_character"), ({"v": 1}, "string")],
    ids=["eleven-plus-characters", "nul", "object"],
)
def test_a_visa_too_long_or_with_nul_is_refused_not_a_database_error(
    api_client: APIClient,
    reports_url: str,
    employees_url: str,
    employee: Employee,
    visa: Any,
    rule: str,
) -> None:
    before = _written()
    foreigner = _employee_body(
        rrn=valid_rrn(date(1990, 1, 1), foreigner=True), nationality="VN", visa=visa
    )

    hire = _send(api_client, reports_url, _foreigner_hire(visa=visa))
    created = _send(api_client, employees_url, foreigner)
    patched = _send(api_client, f"/api/v1/employees/{employee.pk}/", {"visa": visa}, "patch")

    _refused(hire, "employee.visa", rule, "format")
    _refused(created, "visa", rule)
    _refused(patched, "visa", rule)
    assert _written() == before


def test_a_visa_in_other_digits_is_refused(api_client: APIClient, reports_url: str) -> None:
    _refused(_send(api_client, reports_url, _foreigner_hire(visa="E-٩")), "employee.visa", "format")


def _exit_body(employee_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "exit",
        "employee_id": employee_id,
        "last_working_day": hire_body()["hire_date"],
        "reason_code": "11",
        "reason_detail": "개인 사정",
        **overrides,
    }


def test_nul_in_an_exits_reason_detail_is_refused_and_no_exit_is_filed(
    api_client: APIClient, reports_url: str
) -> None:
    hire = _send(api_client, reports_url, hire_body())
    assert hire.status_code == 201, hire.content
    before = _written()

    nul = _send(
        api_client, reports_url, _exit_body(hire.json()["employee_id"], reason_detail="a\x00b")
    )
    bell = _send(
        api_client, reports_url, _exit_body(hire.json()["employee_id"], reason_detail="\x07")
    )

    _refused(nul, "reason_detail", "control_character")
    _refused(bell, "reason_detail", "control_character")
    assert _written() == before
    assert not Report.objects.filter(kind="exit").exists()


def test_an_exits_reason_detail_may_span_lines(api_client: APIClient, reports_url: str) -> None:
    hire = _send(api_client, reports_url, hire_body())
    detail = "개인 사정\n\t가족 돌봄"

    response = _send(
        api_client, reports_url, _exit_body(hire.json()["employee_id"], reason_detail=detail)
    )

    assert response.status_code == 201, response.content
    assert Report.objects.get(pk=response.json()["id"]).data["reason_detail"] == detail


def test_nul_or_an_object_in_a_closure_reason_is_refused_and_the_workplace_stays_open(
    api_client: APIClient, reports_url: str, workplace: Workplace
) -> None:
    before = _written()
    closure = {"kind": "workplace_closure", "effective_date": timezone.localdate().isoformat()}

    nul = _send(api_client, reports_url, {**closure, "reason": "폐업\x00"})
    obj = _send(api_client, reports_url, {**closure, "reason": {"$ne": ""}})
    too_long = _send(api_client, reports_url, {**closure, "reason": "폐업" * 101})

    _refused(nul, "reason", "control_character")
    _refused(obj, "reason", "string")
    _refused(too_long, "reason", "max_length")
    assert _written() == before
    assert Workplace.objects.get(pk=workplace.pk).closed_on is None


def test_a_workplace_change_refuses_control_characters_and_non_text_in_its_changes(
    api_client: APIClient, reports_url: str, workplace: Workplace
) -> None:
    change = {"kind": "workplace_change", "effective_date": timezone.localdate().isoformat()}

    value = _send(api_client, reports_url, {**change, "changes": {"name": "상호\x07"}})
    key = _send(api_client, reports_url, {**change, "changes": {"na\x00me": "상호"}})
    not_text = _send(api_client, reports_url, {**change, "changes": {"address": ["서울"]}})

    _refused(value, "changes.name", "control_character")
    _refused(key, "changes.na\\u0000me", "control_character")
    _refused(not_text, "changes.address", "string")
    assert Workplace.objects.get(pk=workplace.pk).name == workplace.name


def test_nested_text_is_named_by_its_path(api_client: APIClient, workplace: Workplace) -> None:
    year = timezone.localdate().year - 1
    body = {
        "year": year,
        "people": [{"employee_id": 1, "months": [{"month": "x\x00", "wages": 1}]}],
    }

    response = _send(api_client, f"/api/v1/workplaces/{workplace.pk}/annual-wage/", body)

    _refused(response, "people[0].months[0].month", "control_character")


def test_an_agency_outcome_with_nul_or_an_object_is_refused(
    api_client: APIClient, owner: Any, workplace: Workplace
) -> None:
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    url = f"/api/v1/reports/{report.pk}/outcome/"

    outcome = {"agency": "pension", "status": "accepted", "receipt_number": "R-1"}

    not_text = _send(api_client, url, {**outcome, "receipt_number": {"a": 1}})
    nul = _send(api_client, url, {**outcome, "message": "처리\x00완료"})

    _refused(not_text, "receipt_number", "string")
    _refused(nul, "message", "control_character")
    assert not Submission.objects.filter(receipt_number="R-1").exists()


def test_a_model_serializer_on_the_strict_base_is_strict_within_its_columns() -> None:
    class EmployeeNameSerializer(StrictModelSerializer):
        class Meta:
            model = Employee
            fields = ["name", "visa"]

    form = EmployeeNameSerializer(data={"name": {"$ne": 1}, "visa": "E-9-TOO-LONG"})

    assert not form.is_valid()
    assert [e.code for e in form.errors["name"]] == ["string"]
    assert [e.code for e in form.errors["visa"]] == ["max_length"]


# -- an error escaping the API still answers JSON --------------------------------------------


def test_an_unexpected_error_on_an_api_path_answers_the_json_error_shape_not_html(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("filings.api.coverage_decide", broken)
    api_client.raise_request_exception = False

    response = _send(api_client, "/api/v1/coverage/", _coverage_body())

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "server_error" and HANGUL.search(error["message"])
    assert "boom" not in response.content.decode()


def test_an_unexpected_error_while_parsing_the_request_answers_json_too(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch, reports_url: str
) -> None:
    def broken(self: Any, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        raise RuntimeError("parser broke")

    monkeypatch.setattr(StrictJSONParser, "parse", broken)
    api_client.raise_request_exception = False

    response = _send(api_client, reports_url, hire_body())

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_a_body_django_refuses_to_read_answers_json_400_on_the_body(
    api_client: APIClient, workplace: Workplace, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    fields = {f"f{i}": "x" for i in range(10)}

    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/bulk-reports/", fields)

    _refused(response, "body", "too_many_fields")


def test_a_page_outside_the_api_keeps_djangos_own_error_page() -> None:
    from django.test import RequestFactory

    from portal.api.errors import server_error

    page = server_error(RequestFactory().get("/workplaces/"))
    api = server_error(RequestFactory().get("/api/v1/workplaces/"))

    assert page.status_code == api.status_code == 500
    assert page["Content-Type"].startswith("text/html")
    assert api["Content-Type"].startswith("application/json")


# -- property: nothing a client sends is a server error --------------------------------------


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request body schema) of every POST and PATCH in the OpenAPI schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref", "")
        return components[ref.rsplit("/", 1)[-1]] if ref else node

    found = []
    for path, operations in schema["paths"].items():
        for method in ("post", "patch"):
            if method not in operations:
                continue
            content = operations[method].get("requestBody", {}).get("content", {})
            body = resolve(content.get("application/json", {}).get("schema", {}))
            variants = [resolve(v) for v in body.get("oneOf", [])] or [body]
            properties = sorted({p for v in variants for p in v.get("properties", {})})
            found.append((method, path, {"properties": properties}))
    return found


OPERATIONS = _operations()

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x07",
    "\x1b[2J",
    "\n",
    "\u2028",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\uffff",
    "٠١٢",
    "０１２",
    "²",
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "1e400",
    "1e999999999",
    "20261204",
    "2026-W49-1",
    "2026-1-4",
    "2026-02-30",
    "{'$ne': 1}",
    "A" * 2000,
    "김" * 300,
    "٩٠٠١٠١١٢٣٤٥٦٧",
    "9001011234567",
]
HOSTILE_NUMBERS = [
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1,
    0,
    0.5,
    2**63,
    -(2**63) - 1,
    10**40,
    10**4000,
]
RAW_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * (MAX_DEPTH + 5) + b"1" + b"}" * (MAX_DEPTH + 5),
    b"\xff\xfe",
    b'{"monthly_wage": 1e400}',
    b'{"name": NaN}',
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{",
    b"\xef\xbb\xbf{}",
    b'{"a": "\\ud800"}',
    b'{"\\u0000": 1}',
    b"9" * 5000,
]

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(HOSTILE_NUMBERS)
    | st.text(max_size=20)
    | st.sampled_from(HOSTILE_TEXT)
)
JSON_VALUES = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(HOSTILE_TEXT[:14]), children, max_size=3
        )
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value (dict keys and list indexes), outermost first."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key))


def _parent(body: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        body = body[key]
    return body


@st.composite
def _mutated(draw: Any, base: dict[str, Any], known: list[str]) -> Any:
    """A valid body with one to three places replaced, dropped or added (known or unknown keys)."""
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        places = list(_paths(body))
        how = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if how in ("replace", "drop") and places:
            path = draw(st.sampled_from(places))
            parent = _parent(body, path)
            if how == "replace":
                parent[path[-1]] = draw(JSON_VALUES)
            else:
                del parent[path[-1]]
        elif isinstance(body, dict):
            key = draw(st.sampled_from(known) if known else st.text(max_size=8))
            body[key] = draw(JSON_VALUES)
    return body


@pytest.fixture
def targets(
    api_client: APIClient, owner: Any, workplace: Workplace, employee: Employee
) -> dict[str, Any]:
    """Real objects the caller may file for, so generated requests get past 404 into validation;
    and a valid body per operation to mutate."""
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    # A workplace on the file channel, for an agency file to record outcomes on.
    batched = WorkplaceFactory()
    MembershipFactory(workplace=batched, user=owner, role=Membership.Role.OWNER)
    channel = _send(
        api_client, f"/api/v1/workplaces/{batched.pk}/", {"delivery_channel": "file"}, "patch"
    )
    assert channel.status_code == 200, channel.content
    report_file(actor=owner, workplace=batched, data=hire_body())
    gathered = api_client.post(f"/api/v1/workplaces/{batched.pk}/agency-files/")
    assert gathered.status_code == 201 and gathered.json(), gathered.content
    agency_file_id = gathered.json()[0]["id"]
    year = timezone.localdate().year - 1
    ids = {
        "workplace_id": workplace.pk,
        "report_id": report.pk,
        "employee_id": employee.pk,
        "agency_file_id": agency_file_id,
    }
    bases = {
        "/api/v1/coverage/": _coverage_body(),
        "/api/v1/premiums/quote/": {"monthly_wage": 3_000_000, "month": "2026-03"},
        "/api/v1/certificates/": {
            "kind": "workplace_roster",
            "workplace_id": workplace.pk,
            "purpose": "금융기관 제출용",
        },
        "/api/v1/employees/{employee_id}/": {"name": "김하늘", "monthly_wage": 2_500_000},
        "/api/v1/workplaces/{workplace_id}/": {"delivery_channel": "api"},
        "/api/v1/workplaces/{workplace_id}/employees/": _employee_body(),
        "/api/v1/workplaces/{workplace_id}/reports/": hire_body(),
        "/api/v1/reports/{report_id}/correct/": hire_body(),
        "/api/v1/reports/{report_id}/outcome/": {
            "agency": "pension",
            "status": "accepted",
            "receipt_number": "R-1",
            "message": "처리\n완료",
        },
        "/api/v1/workplaces/{workplace_id}/annual-wage/": {
            "year": year,
            "people": [
                {
                    "employee_id": employee.pk,
                    "months": [{"month": f"{year}-01", "wages": 3_000_000}],
                }
            ],
        },
        "/api/v1/agency-files/{agency_file_id}/result/": {
            "receipt_number": "R-1",
            "rows": [{"report_id": report.pk, "agency": "pension", "status": "accepted"}],
        },
    }
    return {"ids": ids, "bases": bases}


def _operation_id(operation: tuple[str, str, dict[str, Any]]) -> str:
    return f"{operation[0].upper()} {operation[1].removeprefix('/api/v1')}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=[_operation_id(o) for o in OPERATIONS])
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_no_body_a_client_sends_is_a_server_error_and_every_answer_is_json(
    api_client: APIClient,
    targets: dict[str, Any],
    operation: tuple[str, str, dict[str, Any]],
    data: st.DataObject,
) -> None:
    method, template, schema = operation
    path = template.format(**targets["ids"])
    base = targets["bases"].get(template, {})
    body = data.draw(
        st.one_of(
            _mutated(base, schema["properties"]).map(_raw),
            _mutated(base, schema["properties"]).map(_raw),
            JSON_VALUES.map(_raw),
            st.sampled_from(RAW_BODIES),
        ),
        label="body",
    )

    response = _send(api_client, path, body, method)
    event(f"{response.status_code}")

    assert response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    answer = response.json()
    if response.status_code >= 400:
        assert set(answer) == {"error"} and answer["error"]["code"], answer
        assert HANGUL.search(answer["error"]["message"]), answer
        for problems in answer["error"].get("fields", {}).values():
            assert all(p["rule"] and HANGUL.search(p["message"]) for p in problems), problems
