"""A key scoped to one workplace cannot read or write another, even one its user may access."""

from __future__ import annotations

import pytest

from filings.models import Report
from filings.services import report_file
from portal.models import Membership
from tests.factories import EmployeeFactory, MembershipFactory
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped(api_client_for, owner, workplace, other_workplace):
    # The same person owns both workplaces; the key is limited to the first.
    MembershipFactory(user=owner, workplace=other_workplace, role=Membership.Role.OWNER)
    return api_client_for(owner, workplaces=[workplace])


def test_a_scoped_key_sees_only_its_workplace(scoped, workplace):
    ids = [w["id"] for w in scoped.get("/api/v1/workplaces/").json()]
    assert ids == [workplace.pk]


def test_a_scoped_key_cannot_file_read_or_upload_for_another_workplace(
    scoped, owner, other_workplace
):
    base = f"/api/v1/workplaces/{other_workplace.pk}"
    assert scoped.post(f"{base}/reports/", hire_body(), format="json").status_code == 404
    assert scoped.get(f"{base}/reports/").status_code == 404
    assert scoped.get(f"{base}/employees/").status_code == 404
    assert scoped.get(f"{base}/deadlines/").status_code == 404
    upload = {"file": ("a.csv", b"x"), "dry_run": "true"}
    assert scoped.post(f"{base}/bulk-reports/", upload, format="multipart").status_code == 404
    assert not Report.objects.filter(workplace=other_workplace).exists()


def test_a_scoped_key_cannot_touch_another_workplaces_report_or_employee(
    scoped, owner, other_workplace
):
    report, _ = report_file(actor=owner, workplace=other_workplace, data=hire_body())
    employee = EmployeeFactory(workplace=other_workplace)
    for path in (
        f"/api/v1/reports/{report.pk}/",
        f"/api/v1/reports/{report.pk}/submissions/",
        f"/api/v1/employees/{employee.pk}/",
    ):
        assert scoped.get(path).status_code == 404, path
    assert scoped.post(f"/api/v1/reports/{report.pk}/cancel/").status_code == 404
    assert (
        scoped.post(f"/api/v1/reports/{report.pk}/correct/", hire_body(), format="json").status_code
        == 404
    )
    assert (
        scoped.patch(f"/api/v1/employees/{employee.pk}/", {"name": "x"}, format="json").status_code
        == 404
    )
    report.refresh_from_db()
    assert report.status != "cancelled"


def test_another_users_key_cannot_reach_the_workplace_at_all(
    api_client_for, workplace, other_workplace
):
    stranger = MembershipFactory(workplace=other_workplace).user
    client = api_client_for(stranger)
    assert client.get(f"/api/v1/workplaces/{workplace.pk}/reports/").status_code == 404
    assert (
        client.post(
            f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(), format="json"
        ).status_code
        == 404
    )


def test_a_revoked_key_is_refused(api_client_for, owner):
    from portal.models import ApiKey
    from portal.services import api_key_revoke

    client = api_client_for(owner)
    api_key_revoke(user=owner, key=ApiKey.objects.get(user=owner))
    response = client.get("/api/v1/workplaces/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_an_agents_key_files_for_a_delegated_workplace_until_the_delegation_is_revoked(
    api_client_for, workplace
):
    from django.utils import timezone

    from tests.factories import DelegationFactory, PayrollFirmFactory, UserFactory

    agent = UserFactory()
    delegation = DelegationFactory(workplace=workplace, firm=PayrollFirmFactory(members=[agent]))
    client = api_client_for(agent)
    path = f"/api/v1/workplaces/{workplace.pk}/reports/"
    assert client.post(path, hire_body(name="대행입사"), format="json").status_code == 201
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])
    # The same key, the same path: the role is read afresh with every request.
    assert client.post(path, hire_body(name="철회뒤"), format="json").status_code == 404
    assert client.get(path).status_code == 404


def test_hr_staff_key_reads_its_workplace_and_no_other(api_client_for, workplace):
    hr = MembershipFactory(workplace=workplace, role=Membership.Role.HR).user
    client = api_client_for(hr)
    assert client.get(f"/api/v1/workplaces/{workplace.pk}/reports/").status_code == 200
    assert client.get(f"/api/v1/workplaces/{workplace.pk + 10_000}/reports/").status_code == 404
