"""The OpenAPI document as payroll vendors use it: valid, JSON-only bodies, a usable title."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

# Operations that take a file: they declare multipart themselves; every other body is JSON.
UPLOADS = {
    ("post", "/api/v1/workplaces/{workplace_id}/bulk-reports/"),
    ("post", "/api/v1/workplaces/{workplace_id}/insured-history/"),
}
# Operations that take either a JSON body or the same answer as a file.
JSON_OR_UPLOAD = {("post", "/api/v1/agency-files/{agency_file_id}/result/")}


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/?format=json", secure=True)
    assert response.status_code == 200
    return response.json()


def _request_bodies(document: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    return {
        (method, path): list(operation["requestBody"]["content"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }


def test_document_passes_openapi_spec_validator(document: dict[str, Any]) -> None:
    validate(document)  # raises with the first error (e.g. a default its own pattern refuses)


def test_json_operations_advertise_only_application_json(document: dict[str, Any]) -> None:
    bodies = _request_bodies(document)

    assert ("post", "/api/v1/workplaces/{workplace_id}/reports/") in bodies
    for operation, content_types in bodies.items():
        expected = ["multipart/form-data"] if operation in UPLOADS else ["application/json"]
        if operation in JSON_OR_UPLOAD:
            expected = ["application/json", "multipart/form-data"]
        assert content_types == expected, operation


def test_title_gives_generated_clients_an_importable_package_name(
    document: dict[str, Any],
) -> None:
    title = document["info"]["title"]
    # openapi-python-client names the package after the title: "Sabo Portal API" ->
    # sabo_portal_api_client. A leading digit or Hangul gives no importable name.
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9 _-]*", title)
    package = re.sub(r"[ -]+", "_", title.lower()) + "_client"
    assert package.isidentifier() and package.isascii()
    assert "4대보험" in document["info"]["description"]


def test_a_form_encoded_body_is_refused_with_415(api_client: Any, workplace: Any) -> None:
    response = api_client.post(
        "/api/v1/premiums/quote/", {"monthly_wage": "3000000", "month": "2026-03"}
    )  # APIClient's default encoding: multipart

    assert response.status_code == 415
