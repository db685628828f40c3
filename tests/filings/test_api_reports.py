"""The public report API without a worker: validation, idempotency, access, shapes."""

from __future__ import annotations

import json
import re

import pytest

from filings.models import Report, Submission
from tests.factories import MembershipFactory, WorkplaceFactory
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db


def post_report(client, workplace, body, key=None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json", **headers
    )


def test_a_hire_answers_201_with_one_submission_per_covered_agency(api_client, workplace):
    response = post_report(api_client, workplace, hire_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "hire"
    assert [s["agency"] for s in body["submissions"]] == [
        "pension",
        "health",
        "employment",
        "industrial_accident",
    ]
    assert all(s["status"] == "queued" and s["deadline"] for s in body["submissions"])
    assert body["coverage"]["employment"]["unemployment_benefit"] is True


def test_the_response_and_the_stored_rows_never_contain_the_resident_number(api_client, workplace):
    body = hire_body()
    rrn = body["employee"]["rrn"]
    response = post_report(api_client, workplace, body)
    assert rrn not in response.content.decode()
    report = Report.objects.get(pk=response.json()["id"])
    assert rrn not in json.dumps(report.data)
    assert report.employee.rrn_masked == f"{rrn[:6]}-{rrn[6]}******"


def test_a_bad_resident_number_is_refused_naming_the_field_and_rule(api_client, workplace):
    body = hire_body(rrn="9001011234567")  # wrong check digit for a 1990 number
    response = post_report(api_client, workplace, body)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["employee.rrn"][0]["rule"] == "rrn.check_digit"
    assert "검증 숫자" in fields["employee.rrn"][0]["message"]
    assert not Report.objects.exists()


def test_every_broken_field_is_reported_at_once(api_client, workplace):
    body = hire_body(
        monthly_wage=-5, employment_type="freelance", job_code="A1", hire_date="2026-13-01"
    )
    response = post_report(api_client, workplace, body)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"monthly_wage", "employment_type", "job_code", "hire_date"} <= set(fields)
    assert fields["hire_date"][0]["rule"] == "date_format"


def test_the_same_key_and_body_answers_with_the_first_report_and_no_new_submissions(
    api_client, workplace
):
    body = hire_body()
    first = post_report(api_client, workplace, body, key="abc-1")
    again = post_report(api_client, workplace, body, key="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1
    assert Submission.objects.count() == 4


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(api_client, workplace):
    post_report(api_client, workplace, hire_body(), key="abc-2")
    response = post_report(api_client, workplace, hire_body(monthly_wage=2_000_000), key="abc-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_mismatch"
    assert Report.objects.count() == 1


def test_hiring_someone_already_employed_here_is_refused(api_client, workplace):
    body = hire_body()
    assert post_report(api_client, workplace, body).status_code == 201
    response = post_report(api_client, workplace, body)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["employee.rrn"][0]["rule"] == "already_employed"


def test_a_user_cannot_file_for_a_workplace_they_do_not_belong_to(api_client):
    stranger = WorkplaceFactory()
    response = post_report(api_client, stranger, hire_body())
    assert response.status_code == 404
    assert not Report.objects.exists()


def test_a_key_scoped_to_one_workplace_cannot_read_another_workplaces_report(
    api_client_for, owner, workplace
):
    second = WorkplaceFactory()
    MembershipFactory(user=owner, workplace=second, role="owner")
    full = api_client_for(owner)
    report_id = post_report(full, second, hire_body()).json()["id"]
    scoped = api_client_for(owner, workplaces=[workplace])
    assert scoped.get(f"/api/v1/reports/{report_id}/").status_code == 404
    assert full.get(f"/api/v1/reports/{report_id}/").status_code == 200


def test_an_exit_derives_the_loss_date_and_each_agencys_code(api_client, workplace):
    hire = post_report(api_client, workplace, hire_body()).json()
    employee_id = hire["employee_id"]
    last_day = hire_body()["hire_date"]
    response = post_report(
        api_client,
        workplace,
        {
            "kind": "exit",
            "employee_id": employee_id,
            "last_working_day": last_day,
            "reason_code": "11",
            "reason_detail": "개인 사정",
        },
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["id"])
    assert report.data["loss_date"] > last_day
    assert len(response.json()["submissions"]) == 4


def test_an_unknown_loss_reason_is_refused(api_client, workplace, employee):
    response = post_report(
        api_client,
        workplace,
        {
            "kind": "exit",
            "employee_id": employee.pk,
            "last_working_day": "2026-11-01",
            "reason_code": "99",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reason_code"][0]["rule"] == "choice"


def test_coverage_endpoint_explains_each_insurance(api_client):
    response = api_client.post(
        "/api/v1/coverage/",
        {
            "birth_date": "1960-05-01",
            "hire_date": "2026-11-02",
            "employment_type": "regular",
            "weekly_hours": 40,
            "monthly_wage": 2_500_000,
            "nationality": "KR",
            "visa": "",
            "is_representative": False,
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["pension"]["covered"] is False
    assert re.search(r"60", body["pension"]["reason"])
    assert body["employment"]["covered"] is True
    assert body["employment"]["unemployment_benefit"] is False
    assert body["industrial_accident"]["covered"] is True


def test_coverage_endpoint_names_a_missing_field(api_client):
    response = api_client.post("/api/v1/coverage/", {"hire_date": "2026-11-02"}, format="json")
    assert response.status_code == 400
    assert "birth_date" in response.json()["error"]["fields"]


def test_requests_without_a_key_are_refused(client, workplace):
    response = client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", {}, content_type="application/json"
    )
    assert response.status_code in (401, 403)


def _tasks_run_inline() -> bool:
    from portal.celery import app

    return bool(app.conf.task_always_eager)


@pytest.mark.skipif(_tasks_run_inline(), reason="eager tasks change the rows after the answer")
def test_a_hire_answers_with_the_submissions_as_stored(api_client, workplace):
    created = post_report(api_client, workplace, hire_body(), key="fresh-1").json()
    stored = api_client.get(f"/api/v1/reports/{created['id']}/").json()
    assert created["submissions"] == stored["submissions"]
    assert {k: v for k, v in stored.items() if k != "events"} == created


def test_the_same_key_from_another_key_of_the_same_user_replays_the_report(
    api_client_for, owner, workplace
):
    one, two = api_client_for(owner), api_client_for(owner)
    body = hire_body()
    first = post_report(one, workplace, body, key="per-user")
    again = post_report(two, workplace, body, key="per-user")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    other = post_report(
        api_client_for(owner), workplace, hire_body(monthly_wage=2_000_000), key="per-user"
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_mismatch"
    assert Report.objects.count() == 1


@pytest.mark.skipif(_tasks_run_inline(), reason="eager tasks add their own statements")
def test_a_hire_costs_a_bounded_number_of_statements(
    api_client, workplace, django_assert_max_num_queries
):
    # Key+user, the key's workplace scope, membership+workplace, the Idempotency-Key lookup,
    # five inserts (employee, report, submissions, timeline, audit) and the key's row with its
    # answer: ten statements and one commit. Here, inside the test's own transaction, the
    # request and the filing each add a savepoint pair.
    post_report(api_client, workplace, hire_body(), key="warm")
    with django_assert_max_num_queries(14):
        response = post_report(api_client, workplace, hire_body(), key="count")
    assert response.status_code == 201


def test_a_cancelled_submission_shows_when_it_last_changed(api_client, workplace):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    created = post_report(api_client, workplace, hire_body()).json()
    before = {s.pk: s.updated_at for s in Submission.objects.filter(report_id=created["id"])}
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        response = api_client.post(f"/api/v1/reports/{created['id']}/cancel/")
    assert response.status_code == 200
    for sub in Submission.objects.filter(pk__in=before):
        assert sub.status == "cancelled"
        assert sub.updated_at == later != before[sub.pk]
    assert Report.objects.get(pk=created["id"]).updated_at == later


def test_a_filing_whose_send_was_never_published_is_found_by_the_sweeper(api_client, workplace):
    # In this test's transaction the after-commit publish never runs: as if the broker had been
    # down at commit. The queued submissions themselves are what the beat sweeper reads.
    from datetime import timedelta

    from django.utils import timezone

    from filings.delivery import submissions_due

    report_id = post_report(api_client, workplace, hire_body()).json()["id"]
    ids = set(Submission.objects.filter(report_id=report_id).values_list("pk", flat=True))
    assert len(ids) == 4
    assert not ids & set(submissions_due())  # not yet: the task may still be on its way
    Submission.objects.filter(pk__in=ids).update(updated_at=timezone.now() - timedelta(minutes=5))
    # A long broker queue most likely still holds their task: no copy lengthens it further.
    assert not ids & set(submissions_due(backlog=10_000))
    assert ids <= set(submissions_due())
    # Republished once per LOST_AFTER, not on every sweep of a busy minute.
    assert not ids & set(submissions_due())
