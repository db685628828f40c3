"""The monthly bill reads what the agencies accepted, and is never stale (sandbox over HTTP)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from premiums.billing import month_start
from premiums.models import Bill
from tests.filings.helpers import hire_body
from tests.filings.test_periods import _exit_body, _post, _send

pytestmark = pytest.mark.django_db


def _bill(api_client, workplace, month: date) -> dict:  # type: ignore[no-untyped-def]
    response = api_client.get(f"/api/v1/workplaces/{workplace.pk}/bills/{month:%Y-%m}/")
    assert response.status_code == 200, response.content
    return response.json()


def _first_of_this_month() -> date:
    return month_start(timezone.localdate())


def test_a_new_hire_appears_in_an_already_computed_bill_once_the_agencies_accept_it(
    api_client, workplace, sandbox
):
    month = _first_of_this_month()
    assert _bill(api_client, workplace, month)["lines"] == []
    hire = _post(api_client, workplace, hire_body(hire_date=month.isoformat()))
    # Filed, not yet accepted: nobody is insured, so nobody is billed.
    assert _bill(api_client, workplace, month)["lines"] == []
    _send(hire["id"])
    assert Bill.objects.get(workplace=workplace, month=month).stale
    lines = _bill(api_client, workplace, month)["lines"]
    assert [line["employee_id"] for line in lines] == [hire["employee_id"]]
    assert lines[0]["pension"]["employee"] > 0  # acquired on the 1st: charged that month


def test_a_hire_rejected_by_the_health_agency_is_billed_for_the_other_insurances_only(
    api_client, workplace, sandbox
):
    sandbox.fault(mode="reject", agency="health", form="acquisition", count=1)
    month = _first_of_this_month()
    hire = _post(api_client, workplace, hire_body(hire_date=month.isoformat()))
    _send(hire["id"])
    (line,) = _bill(api_client, workplace, month)["lines"]
    assert line["health"] == {"employee": 0, "employer": 0}
    assert line["pension"]["employee"] > 0 and line["employment"]["employee"] > 0


def test_a_rejected_exit_leaves_the_person_billed(api_client, workplace, sandbox):
    month = _first_of_this_month()
    hire = _post(api_client, workplace, hire_body(hire_date=month.isoformat()))
    _send(hire["id"])
    sandbox.reset()  # the agencies forget the person and refuse the loss
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    assert set(_send(exit_report["id"]).values()) == {"rejected"}
    next_month = month_start(month + timedelta(days=32))
    lines = _bill(api_client, workplace, next_month)["lines"]
    assert [line["employee_id"] for line in lines] == [hire["employee_id"]]
