"""Insured periods follow what the agencies accepted, and only that (the sandbox over HTTP)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filings import delivery
from filings.models import InsuredPeriod, Report, Submission, SubmissionStatus
from tests.factories import valid_rrn
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db
AGENCIES = {"pension", "health", "employment", "industrial_accident"}


def _post(api_client, workplace, body):  # type: ignore[no-untyped-def]
    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _send(report_id: int) -> dict[int, str]:
    """What the worker does with a report's task (no worker here: the test's transaction never
    commits, so nothing was published)."""
    ids = list(Submission.objects.filter(report_id=report_id).values_list("pk", flat=True))
    return delivery.submissions_send(submission_ids=ids)


def _periods(api_client, employee_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    response = api_client.get(f"/api/v1/employees/{employee_id}/periods/")
    assert response.status_code == 200, response.content
    return response.json()


def _exit_body(employee_id: int, last_day: date) -> dict:
    return {
        "kind": "exit",
        "employee_id": employee_id,
        "last_working_day": last_day.isoformat(),
        "reason_code": "11",
        "reason_detail": "개인 사정",
    }


def test_filing_alone_opens_no_period_and_an_accepted_hire_opens_one_per_agency(
    api_client, workplace, sandbox
):
    hire = _post(api_client, workplace, hire_body())
    assert _periods(api_client, hire["employee_id"]) == []
    assert set(_send(hire["id"]).values()) == {"accepted"}
    periods = _periods(api_client, hire["employee_id"])
    assert {p["agency"] for p in periods} == AGENCIES
    for period in periods:
        assert period["acquired_on"] == hire_body()["hire_date"]
        assert period["lost_on"] is None
        assert period["source"] == "filed"
        assert period["report_id"] == hire["id"]


def test_an_accepted_exit_closes_every_period_on_the_loss_date(api_client, workplace, sandbox):
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    assert set(_send(exit_report["id"]).values()) == {"accepted"}
    loss_date = Report.objects.get(pk=exit_report["id"]).event_date
    assert loss_date == last_day + timedelta(days=1)
    assert {p["lost_on"] for p in _periods(api_client, hire["employee_id"])} == {
        loss_date.isoformat()
    }


def test_a_rejected_exit_leaves_the_person_insured(api_client, workplace, sandbox):
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    sandbox.reset()  # the agencies forget the person: they will refuse the loss
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    assert set(_send(exit_report["id"]).values()) == {"rejected"}
    periods = _periods(api_client, hire["employee_id"])
    assert len(periods) == 4
    assert all(p["lost_on"] is None for p in periods)


def test_an_accepted_cancellation_of_a_hire_removes_its_periods(api_client, workplace, sandbox):
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    response = api_client.post(f"/api/v1/reports/{hire['id']}/cancel/")
    assert response.status_code == 200, response.content
    cancels = Submission.objects.filter(report_id=hire["id"], action=Submission.Action.CANCEL)
    assert cancels.count() == 4
    results = delivery.submissions_send(submission_ids=[c.pk for c in cancels])
    assert set(results.values()) == {"accepted"}
    assert _periods(api_client, hire["employee_id"]) == []


def test_a_hire_rejected_at_one_agency_opens_periods_only_at_the_others(
    api_client, workplace, sandbox
):
    sandbox.fault(
        mode="reject",
        agency="pension",
        form="acquisition",
        code="E201",
        message="취득일을 확인하세요.",
        count=1,
    )
    hire = _post(api_client, workplace, hire_body())
    results = _send(hire["id"])
    pension = Submission.objects.get(report_id=hire["id"], agency="pension")
    assert results[pension.pk] == "rejected"
    assert pension.status == SubmissionStatus.REJECTED
    assert pension.result_code == "E201"
    assert "취득일을 확인하세요." in pension.result_message
    agencies = {p["agency"] for p in _periods(api_client, hire["employee_id"])}
    assert agencies == AGENCIES - {"pension"}
    assert not InsuredPeriod.objects.filter(agency="pension").exists()


def test_another_users_employee_periods_are_not_found(api_client, sandbox):
    from tests.factories import EmployeeFactory

    stranger = EmployeeFactory()
    response = api_client.get(f"/api/v1/employees/{stranger.pk}/periods/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


AGENCY_LIST = sorted(AGENCIES)
_steps = st.lists(
    st.tuples(
        st.sampled_from(["exit", "cancel_exit", "cancel"]), st.sets(st.sampled_from(AGENCY_LIST))
    ),
    max_size=3,
    unique_by=lambda step: step[0],
)


def _model_periods(employee_id: int) -> set[tuple[str, str, str | None]]:
    """The periods computed from the accepted answers alone, in the order they were decided."""
    periods: dict[tuple[str, date], date | None] = {}
    closed_by: dict[tuple[str, date], int] = {}  # period -> the exit report that closed it
    accepted = (
        Submission.objects.filter(report__employee_id=employee_id, status=SubmissionStatus.ACCEPTED)
        .select_related("report")
        .order_by("decided_at", "id")
    )
    for sub in accepted:
        report = sub.report
        if sub.action == Submission.Action.CANCEL and report.kind == "exit":
            for key, by in list(closed_by.items()):
                if key[0] == sub.agency and by == report.pk:
                    periods[key] = None
                    del closed_by[key]
        elif sub.action == Submission.Action.CANCEL:
            periods.pop((sub.agency, report.event_date), None)
        elif report.kind == "hire":
            periods.setdefault((sub.agency, report.event_date), None)
        elif report.kind == "exit":
            open_ones = [k for k, lost in periods.items() if k[0] == sub.agency and lost is None]
            for key in open_ones:
                if key[1] <= report.event_date:
                    periods[key] = report.event_date
                    closed_by[key] = report.pk
    return {
        (agency, acquired.isoformat(), lost.isoformat() if lost else None)
        for (agency, acquired), lost in periods.items()
    }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hire_rejected=st.sets(st.sampled_from(AGENCY_LIST)), steps=_steps)
def test_periods_always_equal_what_the_accepted_answers_alone_imply(
    api_client, workplace, sandbox, hire_rejected, steps
):
    sandbox.reset()
    for agency in hire_rejected:
        sandbox.fault(mode="reject", agency=agency, form="acquisition", count=1)
    hire = _post(api_client, workplace, hire_body(rrn=valid_rrn(date(1985, 5, 5))))
    _send(hire["id"])
    employee_id = hire["employee_id"]
    exit_id = None
    for kind, rejected in steps:
        sandbox.control("DELETE", "/_faults")
        form = {"exit": "loss", "cancel_exit": "loss_cancel"}.get(kind, "acquisition_cancel")
        for agency in rejected:
            sandbox.fault(mode="reject", agency=agency, form=form, count=1)
        if kind == "cancel_exit":
            if exit_id is None:
                continue
            response = api_client.post(f"/api/v1/reports/{exit_id}/cancel/")
            if response.status_code != 200:
                continue
            cancels = Submission.objects.filter(
                report_id=exit_id, action=Submission.Action.CANCEL
            ).values_list("pk", flat=True)
            delivery.submissions_send(submission_ids=list(cancels))
        elif kind == "exit":
            last_day = timezone.localdate() - timedelta(days=1)
            response = api_client.post(
                f"/api/v1/workplaces/{workplace.pk}/reports/",
                _exit_body(employee_id, last_day),
                format="json",
            )
            if response.status_code != 201:
                continue  # the portal refused to file it: nothing reached an agency
            exit_id = response.json()["id"]
            _send(exit_id)
        else:
            response = api_client.post(f"/api/v1/reports/{hire['id']}/cancel/")
            if response.status_code != 200:
                continue
            cancels = Submission.objects.filter(
                report_id=hire["id"], action=Submission.Action.CANCEL
            ).values_list("pk", flat=True)
            delivery.submissions_send(submission_ids=list(cancels))
        stored = {
            (p.agency, p.acquired_on.isoformat(), p.lost_on.isoformat() if p.lost_on else None)
            for p in InsuredPeriod.objects.filter(employee_id=employee_id)
        }
        assert stored == _model_periods(employee_id)
    stored = {
        (p.agency, p.acquired_on.isoformat(), p.lost_on.isoformat() if p.lost_on else None)
        for p in InsuredPeriod.objects.filter(employee_id=employee_id)
    }
    assert stored == _model_periods(employee_id)
    assert {p[0] for p in stored} <= AGENCIES - hire_rejected


def test_an_exit_carries_this_and_last_years_pay_totals_to_health_and_comwel(
    api_client, workplace, sandbox
):
    from filings.models import SubmissionAttempt

    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    last_day = timezone.localdate() - timedelta(days=1)
    body = {
        **_exit_body(hire["employee_id"], last_day),
        "annual_wage_this_year": 33_000_000,
        "months_worked_this_year": min(last_day.month, 11),
        "annual_wage_last_year": 36_000_000,
        "months_worked_last_year": 12,
    }
    exit_report = _post(api_client, workplace, body)
    assert Report.objects.get(pk=exit_report["id"]).data["annual_wage_last_year"] == 36_000_000
    assert set(_send(exit_report["id"]).values()) == {"accepted"}
    sent = {
        a.submission.agency: a.request_body
        for a in SubmissionAttempt.objects.filter(
            submission__report_id=exit_report["id"], kind="send"
        ).select_related("submission")
    }
    assert '"annual_pay_this_year": 33000000' in sent["health"]
    assert '"annual_pay_last_year": 36000000' in sent["health"]
    assert '"total_pay_last_year": 36000000' in sent["employment"]
    assert "33000000" not in sent["pension"]


def test_months_worked_this_year_beyond_the_exit_month_is_refused_naming_the_field(
    api_client, workplace
):
    hire = _post(api_client, workplace, hire_body())
    last_day = date(timezone.localdate().year, 1, 31)
    if last_day > timezone.localdate() or last_day < date.fromisoformat(hire_body()["hire_date"]):
        last_day = timezone.localdate()
    body = {**_exit_body(hire["employee_id"], last_day), "months_worked_this_year": 13}
    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json")
    assert response.status_code == 400
    assert "months_worked_this_year" in response.json()["error"]["fields"]


def test_a_row_whose_claim_another_worker_took_over_is_not_overwritten(api_client, workplace):
    # A slow worker records its answers after its lease ran out and another worker claimed
    # one of its rows: only the rows still under its own claim take its answers.
    from filings.delivery import Outcome, _update_fenced

    hire = _post(api_client, workplace, hire_body())
    first, second = Submission.objects.filter(report_id=hire["id"]).order_by("pk")[:2]
    ours = timezone.now() - timedelta(minutes=5)
    theirs = timezone.now()
    Submission.objects.filter(pk=first.pk).update(status=SubmissionStatus.SENDING, claimed_at=ours)
    Submission.objects.filter(pk=second.pk).update(
        status=SubmissionStatus.SENDING, claimed_at=theirs
    )
    fields = {"status": SubmissionStatus.ACCEPTED, "receipt_number": "R-1", "uncertain": False}
    outcomes = [Outcome(first, "accepted", fields, []), Outcome(second, "accepted", fields, [])]
    assert _update_fenced(outcomes, claimed_at=ours) == {first.pk}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.receipt_number) == (SubmissionStatus.ACCEPTED, "R-1")
    assert (second.status, second.receipt_number) == (SubmissionStatus.SENDING, "")


def test_the_person_counts_as_lost_only_once_the_agencies_accept_the_loss(
    api_client, workplace, sandbox
):
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    employee_url = f"/api/v1/employees/{hire['employee_id']}/"
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    assert api_client.get(employee_url).json()["active"] is True
    again = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        _exit_body(hire["employee_id"], last_day),
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["employee_id"][0]["rule"] == "exit_in_progress"
    _send(exit_report["id"])
    employee = api_client.get(employee_url).json()
    assert employee["active"] is False
    assert employee["loss_date"] == (last_day + timedelta(days=1)).isoformat()


def test_a_rejected_exit_keeps_the_person_active_and_a_new_exit_can_be_filed(
    api_client, workplace, sandbox
):
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    sandbox.reset()  # the agencies forget the person: they will refuse the loss
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    _send(exit_report["id"])
    assert api_client.get(f"/api/v1/employees/{hire['employee_id']}/").json()["active"] is True
    _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
