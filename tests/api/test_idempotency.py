"""Every POST takes an Idempotency-Key: first answer replayed, other body refused, in-flight 409."""

from __future__ import annotations

import pytest

from filings.models import IdempotencyRecord, Report
from portal.models import Employee
from tests.factories import valid_rrn
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db


def _employee_body(**extra):  # type: ignore[no-untyped-def]
    from datetime import date

    return {"name": "이서연", "rrn": valid_rrn(date(1991, 5, 5), sex="F"), **extra}


def test_the_same_key_and_body_replays_the_first_answer_without_a_second_employee(
    api_client, workplace
):
    url = f"/api/v1/workplaces/{workplace.pk}/employees/"
    body = _employee_body()
    first = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="emp-1")
    again = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="emp-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Employee.objects.filter(workplace=workplace).count() == 1


def test_the_same_key_with_another_body_is_refused_with_422(api_client, workplace):
    url = f"/api/v1/workplaces/{workplace.pk}/employees/"
    api_client.post(url, _employee_body(), format="json", HTTP_IDEMPOTENCY_KEY="emp-2")
    other = api_client.post(url, _employee_body(), format="json", HTTP_IDEMPOTENCY_KEY="emp-2")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_mismatch"


def test_a_retry_while_the_first_request_runs_gets_409(api_client, workplace):
    from portal.models import ApiKey

    key = ApiKey.objects.get()
    IdempotencyRecord.objects.create(
        owner=f"apikey:{key.pk}", key="busy", method="POST", path="/x", fingerprint="0" * 64
    )
    response = api_client.post("/api/v1/coverage/", {}, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code in (409, 422)
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        hire_body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY="busy",
    )
    assert response.status_code in (409, 422)
    assert not Report.objects.exists()


def test_a_retry_while_the_first_request_runs_with_the_same_body_gets_409(api_client, workplace):
    from portal.api.idempotency import idempotency_owner  # noqa: F401
    from portal.models import ApiKey

    key = ApiKey.objects.get()
    url = f"/api/v1/workplaces/{workplace.pk}/reports/"
    body = hire_body()
    # Run once to learn the fingerprint, then pretend the first request is still running.
    api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-409")
    IdempotencyRecord.objects.filter(owner=f"apikey:{key.pk}", key="k-409").update(
        status_code=None, response_body=None
    )
    response = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-409")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"


def test_validation_errors_are_replayed_too_and_do_not_consume_a_new_key(api_client, workplace):
    url = f"/api/v1/workplaces/{workplace.pk}/reports/"
    bad = hire_body(job_code="A1")
    first = api_client.post(url, bad, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    again = api_client.post(url, bad, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


def test_keys_of_two_api_keys_never_collide(api_client_for, owner, workplace):
    one, two = api_client_for(owner), api_client_for(owner)
    url = f"/api/v1/workplaces/{workplace.pk}/employees/"
    a = one.post(url, _employee_body(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = two.post(url, _employee_body(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_expired_keys_are_purged_after_24_hours(api_client, workplace):
    from datetime import timedelta

    from django.utils import timezone

    from filings.services import idempotency_records_purge as idempotency_purge

    api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/employees/",
        _employee_body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY="old",
    )
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge() == 1


def test_a_hire_whose_key_was_left_in_flight_by_a_dead_request_is_filed_once(api_client, workplace):
    from datetime import timedelta

    from django.utils import timezone

    from portal.api.idempotency import IN_FLIGHT_LEASE_SECONDS
    from portal.models import ApiKey

    key = ApiKey.objects.get()
    IdempotencyRecord.objects.create(
        owner=f"apikey:{key.pk}",
        key="orphan",
        method="POST",
        path="/x",
        fingerprint="0" * 64,
        created_at=timezone.now() - timedelta(seconds=IN_FLIGHT_LEASE_SECONDS + 5),
    )
    url, body = f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body()
    first = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="orphan")
    assert first.status_code == 201
    again = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="orphan")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Report.objects.count() == 1
    record = IdempotencyRecord.objects.get(key="orphan")
    assert record.status_code == 201
