"""Schemathesis stateful phase in-process (WSGI): chained calls follow the schema's OpenAPI links.

GET /workplaces/ hands a real workplace id to the per-workplace operations, a created report or
employee hands its id to the detail, cancel and correct operations, and so on. Every answer must
be free of server errors and documented (status code, content type, body schema), like the
per-operation test. The hypothesis budget keeps the run well under a minute and a half.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import AbstractBaseUser
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from pytest_django.fixtures import Settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.generation.stateful.state_machine import (
    APIStateMachine,
    StepInput,
    StepOutput,
)
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from filings.api_schema import LINKS
from filings.services import report_file
from portal.models import Workplace
from portal.services import api_key_issue
from tests.factories import EmployeeFactory
from tests.filings.helpers import hire_body

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# 100 sequences: with 50, whether any linked call got a 2xx hung on a handful of draws, which
# any change to the schema's constraints reshuffles (strict input refuses more random bodies).
STATEFUL_SETTINGS = hypothesis_settings(
    max_examples=100,
    derandomize=True,
    # Derandomized runs draw the same cases every time; an example saved by an earlier run (the
    # local .hypothesis folder) would replay against a database that no longer matches it.
    database=None,
    stateful_step_count=6,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _load_schema() -> OpenApiSchema:
    """The schema /api/schema/ serves, with the postprocessing hook (and so its links) applied."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from filings.api_schema import schema_postprocess
    from portal.wsgi import application

    generator = SchemaGenerator()
    raw = generator.get_schema(request=None, public=True)
    raw = schema_postprocess(raw, generator, request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = application
    return loaded


def _workflow(token: str, followed: list[tuple[str, int]]) -> type[APIStateMachine]:
    """The schema's state machine, calling with the API key and validating with CHECKS only.

    Appends (link, status code) to `followed` for every schema link it follows with extracted data.
    """

    class Workflow(_load_schema().as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Token {token}"}}

        def step(self, input: StepInput) -> StepOutput:
            output = super().step(input)
            link = input.transition
            if link is not None and not link.is_inferred and input.is_applied:
                followed.append((link.id, output.response.status_code))
            return output

        def validate_response(
            self,
            response: Response,
            case: Case,
            additional_checks: list[Any] | None = None,
            **kwargs: Any,
        ) -> None:
            __tracebackhide__ = True
            case.validate_response(
                response,
                checks=CHECKS,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return Workflow


@pytest.fixture
def api_token(
    db: None,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    owner: AbstractBaseUser,
    workplace: Workplace,
) -> Iterator[str]:
    import portal.urls

    settings.SECURE_SSL_REDIRECT = False
    # What portal/urls.py declares (handler404): unmatched /api/ URLs answer JSON, not HTML.
    monkeypatch.setattr(portal.urls, "handler404", "filings.api.not_found", raising=False)
    # Rows the links can lead to: a filed report (its submissions, cancel, correct) and an employee.
    report_file(actor=owner, workplace=workplace, data=hire_body())
    EmployeeFactory(workplace=workplace)
    _, raw = api_key_issue(user=owner, name="schemathesis-stateful")
    # As django.test.Client does: a request must not close the test's transaction connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield raw
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schema_carries_every_declared_link() -> None:
    operations = {
        operation.definition.raw["operationId"]: operation
        for operation in (result.ok() for result in _load_schema().get_all_operations())
    }
    for source, code, target, _ in LINKS:
        links = operations[source].definition.raw["responses"][code].get("links", {})
        assert target in {link["operationId"] for link in links.values()}, (source, code, target)


def test_linked_call_sequences_answer_without_server_errors_or_undocumented_codes(
    api_token: str,
) -> None:
    followed: list[tuple[str, int]] = []
    run_state_machine_as_test(_workflow(api_token, followed), settings=STATEFUL_SETTINGS)
    # The run is only stateful if ids from one answer reached another call and got past 404.
    assert any(200 <= code < 300 for _, code in followed), followed
