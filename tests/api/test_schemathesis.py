"""Schemathesis against /api/schema/ in-process (WSGI): no 5xx, no undocumented status code.

Data is generated in both modes: positive (fits the schema) and negative (breaks it: wrong
types, out-of-range numbers, malformed dates, missing required fields), so refusing hostile input
is exercised on every operation too. Path ids are pointed at real rows most of the time so that
requests get past 404 into validation. The hypothesis budget keeps the run well under three
minutes.
"""

from __future__ import annotations

import random

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from filings.services import report_file
from portal.services import api_key_issue
from tests.factories import EmployeeFactory
from tests.filings.helpers import hire_body

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 15
GENERATION_MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def _load_schema():  # type: ignore[no-untyped-def]
    """The schema /api/schema/ serves, with the postprocessing hook applied either way."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from filings.api_schema import schema_postprocess
    from portal.wsgi import application

    generator = SchemaGenerator()
    raw = generator.get_schema(request=None, public=True)
    raw = schema_postprocess(raw, generator, request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = application
    # Explicit, whatever schemathesis's default: hostile (schema-breaking) data on every operation.
    loaded.config.generation.update(modes=GENERATION_MODES)
    return loaded


schema = _load_schema()


def test_every_operation_is_fuzzed_with_positive_and_negative_data() -> None:
    for result in schema.get_all_operations():
        operation = result.ok()
        generation = schema.config.generation_for(operation=operation, phase="fuzzing")
        assert set(generation.modes) == set(GENERATION_MODES), operation.label


@pytest.fixture
def known(db, settings, monkeypatch, owner, workplace):  # type: ignore[no-untyped-def]
    import portal.urls

    settings.SECURE_SSL_REDIRECT = False
    # What portal/urls.py declares (handler404): unmatched /api/ URLs answer JSON, not HTML.
    monkeypatch.setattr(portal.urls, "handler404", "filings.api.not_found", raising=False)
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    employee = EmployeeFactory(workplace=workplace)
    _, raw = api_key_issue(user=owner, name="schemathesis")
    ids = {"workplace_id": workplace.pk, "report_id": report.pk, "employee_id": employee.pk}
    # As django.test.Client does: a request must not close the test's transaction connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield ids, raw
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_without_server_errors_or_undocumented_codes(case, known):  # type: ignore[no-untyped-def]
    ids, token = known
    rng = random.Random(repr(case.path_parameters))
    for name, value in ids.items():
        if case.path_parameters and name in case.path_parameters and rng.random() < 0.8:
            case.path_parameters[name] = value
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
