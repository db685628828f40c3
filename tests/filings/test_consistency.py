"""Cross-agency consistency: the agencies' accepted answers compared per person, with the fix.

Through a real Celery worker and the agency sandbox over HTTP: the check runs after every accepted
(or refused) answer as a task, and nightly from beat.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from filings.consistency import discrepancies_check, discrepancies_open
from filings.models import Discrepancy, InsuredPeriod, Report, Submission
from filings.services import report_correct
from notifications.models import AlertDelivery, Notification
from portal.outbox import task_publish
from tests.factories import EmployeeFactory, WorkplaceFactory
from tests.filings.helpers import hire_body
from tests.pipeline import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
API_KEYS = {"id", "employee_id", "kind", "agencies", "detail", "suggested_report"}
OTHERS = ["pension", "employment", "industrial_accident"]


def _file(client: Any, workplace: Any, body: dict) -> dict:
    response = client.post(f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _final(report_id: int) -> bool:
    subs = Submission.objects.filter(report_id=report_id)
    return subs.exists() and all(s.is_final for s in subs)


def _open(employee_id: int) -> list[Discrepancy]:
    return list(Discrepancy.objects.filter(employee_id=employee_id, resolved_at__isnull=True))


def _api(client: Any, workplace: Any) -> list[dict]:
    response = client.get(f"/api/v1/workplaces/{workplace.pk}/discrepancies/")
    assert response.status_code == 200, response.content
    return response.json()


def _reject_health_hire(sandbox: Any) -> None:
    sandbox.fault(
        mode="reject",
        agency="health",
        form="acquisition",
        code="E999",
        message="피부양자 자격 확인이 필요합니다.",
        count=1,
    )


def test_a_hire_rejected_at_one_agency_is_a_discrepancy_until_the_hire_is_filed_again(
    api_client, owner, workplace, sandbox, celery_worker_process, verified_client
):
    _reject_health_hire(sandbox)
    body = hire_body()
    hire = _file(api_client, workplace, body)
    employee_id = hire["employee_id"]
    wait_until(lambda: _final(hire["id"]) and len(_open(employee_id)) == 1)

    (found,) = _api(api_client, workplace)
    assert set(found) == API_KEYS
    assert found["employee_id"] == employee_id
    assert found["kind"] == "missing_acquisition"
    assert found["agencies"] == ["health"]
    assert "건강보험에는 취득 기록이 없습니다" in found["detail"]
    assert found["suggested_report"] == {
        "kind": "hire",
        "employee_id": employee_id,
        "agencies": ["health"],
        "hire_date": body["hire_date"],
        "report_id": hire["id"],
    }

    # One click from the dashboard into the prefilled correction of the hire.
    browser = verified_client(owner)
    page = browser.get("/dashboard/").content.decode()
    fix = f"/reports/{hire['id']}/correct/?hire_date={body['hire_date']}"
    assert "기관 간 불일치" in page and fix in page
    form = browser.get(fix)
    assert form.status_code == 200
    assert f'value="{body["hire_date"]}"' in form.content.decode()

    # The product files a hire again only as a correction: it cancels the acquisition where it
    # was accepted and files the revision at every agency, health included.
    new = report_correct(actor=owner, report=Report.objects.get(pk=hire["id"]), data=body)
    wait_until(lambda: _final(new.pk) and not _open(employee_id), timeout=40)
    assert set(
        InsuredPeriod.objects.filter(employee_id=employee_id).values_list("agency", flat=True)
    ) == {"health", *OTHERS}
    assert _api(api_client, workplace) == []
    resolved = Discrepancy.objects.get(employee_id=employee_id)
    assert resolved.resolved_at is not None
    assert "기관 간 불일치" not in browser.get("/dashboard/").content.decode()


def test_a_new_discrepancy_alerts_the_owner_and_the_agent_once(
    api_client, owner, agent, workplace, sandbox, celery_worker_process, verified_client
):
    _reject_health_hire(sandbox)
    hire = _file(api_client, workplace, hire_body())
    wait_until(lambda: _final(hire["id"]) and bool(_open(hire["employee_id"])))
    (discrepancy,) = _open(hire["employee_id"])
    wait_until(lambda: discrepancy_notified(owner) == 1 and discrepancy_notified(agent) == 1)
    discrepancy.refresh_from_db()
    assert discrepancy.alerted_at is not None

    # The nightly run and later answers find it again: nobody hears about it twice.
    discrepancies_check()
    discrepancies_check(employee_ids=[hire["employee_id"]])
    assert (discrepancy_notified(owner), discrepancy_notified(agent)) == (1, 1)
    deliveries = AlertDelivery.objects.filter(deadline_key=f"discrepancy:{discrepancy.pk}")
    assert {d.recipient_id for d in deliveries} == {owner.pk, agent.pk}
    note = Notification.objects.get(user=owner, title__contains="기관 간 불일치")
    assert "건강보험" in note.body and "자격취득" in note.body

    # The agent's board lists it; its fix opens the prefilled form on that workplace.
    board = verified_client(agent)
    page = board.get(note.url).content.decode()
    fix = f"/reports/{hire['id']}/correct/?hire_date={hire_body()['hire_date']}"
    assert "기관 간 불일치" in page and f'value="{fix}"' in page
    opened = board.post(f"/board/{workplace.pk}/open/", {"next": fix})
    assert opened.status_code == 302 and opened["Location"] == fix
    assert board.get(fix).status_code == 200


def discrepancy_notified(user: Any) -> int:
    return Notification.objects.filter(user=user, title__contains="기관 간 불일치").count()


def test_a_correction_whose_cancellation_one_agency_refuses_leaves_different_acquisition_dates(
    api_client, owner, workplace, sandbox, celery_worker_process
):
    body = hire_body()
    hire = _file(api_client, workplace, body)
    wait_until(lambda: _final(hire["id"]))
    sandbox.fault(mode="reject", agency="pension", form="acquisition_cancel", count=1)
    later = (date.fromisoformat(body["hire_date"]) + timedelta(days=1)).isoformat()
    new = report_correct(
        actor=owner, report=Report.objects.get(pk=hire["id"]), data={**body, "hire_date": later}
    )
    employee_id = hire["employee_id"]
    wait_until(lambda: _final(new.pk) and bool(_open(employee_id)), timeout=40)

    (found,) = _api(api_client, workplace)
    assert found["kind"] == "acquisition_date_mismatch"
    assert found["agencies"] == ["pension"]
    assert f"국민연금 {body['hire_date']}" in found["detail"]
    assert f"건강보험 {later}" in found["detail"]
    # Three agencies hold the corrected date: the fix files it at the fourth.
    assert found["suggested_report"]["hire_date"] == later
    assert found["suggested_report"]["report_id"] == new.pk


def test_a_loss_accepted_at_some_agencies_only_suggests_the_exit_for_the_others(
    api_client, owner, workplace, sandbox, celery_worker_process, verified_client
):
    hire = _file(api_client, workplace, hire_body())
    wait_until(lambda: _final(hire["id"]))
    sandbox.fault(mode="reject", agency="employment", form="loss", count=1)
    sandbox.fault(mode="reject", agency="industrial_accident", form="loss", count=1)
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _file(
        api_client,
        workplace,
        {
            "kind": "exit",
            "employee_id": hire["employee_id"],
            "last_working_day": last_day.isoformat(),
            "reason_code": "11",
            "reason_detail": "개인 사정",
        },
    )
    wait_until(lambda: _final(exit_report["id"]) and bool(_open(hire["employee_id"])))
    (found,) = _api(api_client, workplace)
    assert found["kind"] == "loss_partial"
    assert found["agencies"] == ["employment", "industrial_accident"]
    assert found["suggested_report"] == {
        "kind": "exit",
        "employee_id": hire["employee_id"],
        "agencies": ["employment", "industrial_accident"],
        "loss_date": (last_day + timedelta(days=1)).isoformat(),
        "last_working_day": last_day.isoformat(),
        "report_id": exit_report["id"],
    }
    page = verified_client(owner).get("/dashboard/").content.decode()
    assert f"/reports/{exit_report['id']}/correct/?last_working_day={last_day}" in page


def test_a_pay_change_applied_at_some_agencies_only_suggests_filing_it_again(
    api_client, owner, workplace, sandbox, celery_worker_process, verified_client
):
    hire = _file(api_client, workplace, hire_body())
    wait_until(lambda: _final(hire["id"]))
    sandbox.fault(mode="reject", agency="health", form="pay_change", count=1)
    effective = timezone.localdate().isoformat()
    change = _file(
        api_client,
        workplace,
        {
            "kind": "pay_change",
            "employee_id": hire["employee_id"],
            "effective_date": effective,
            "monthly_wage": 3_300_000,
        },
    )
    wait_until(lambda: _final(change["id"]) and bool(_open(hire["employee_id"])))
    (found,) = _api(api_client, workplace)
    assert found["kind"] == "pay_change_partial"
    assert found["agencies"] == ["health"]
    assert found["suggested_report"] == {
        "kind": "pay_change",
        "employee_id": hire["employee_id"],
        "agencies": ["health"],
        "effective_date": effective,
        "monthly_wage": 3_300_000,
        "report_id": change["id"],
    }
    browser = verified_client(owner)
    fix = (
        f"/file/pay-change/?employee_id={hire['employee_id']}&effective_date={effective}"
        "&monthly_wage=3300000"
    )
    assert fix.replace("&", "&amp;") in browser.get("/dashboard/").content.decode()
    assert 'value="3300000"' in browser.get(fix).content.decode()

    # Filed again and accepted everywhere: the latest pay change is in force at every agency.
    suggested = found["suggested_report"]
    again = _file(
        api_client,
        workplace,
        {k: suggested[k] for k in ("kind", "employee_id", "effective_date", "monthly_wage")},
    )
    wait_until(lambda: _final(again["id"]) and not _open(hire["employee_id"]))


def test_an_agency_still_answering_is_not_a_discrepancy_yet(
    api_client, workplace, sandbox, celery_worker_process
):
    sandbox.fault(mode="outage", agency="health")  # health never answers during this test
    hire = _file(api_client, workplace, hire_body())
    wait_until(
        lambda: (
            InsuredPeriod.objects.filter(employee_id=hire["employee_id"]).count() == 3
            and Submission.objects.get(report_id=hire["id"], agency="health").attempts_count >= 1
        )
    )
    discrepancies_check(employee_ids=[hire["employee_id"]])
    assert _api(api_client, workplace) == []


def test_the_nightly_run_checks_every_workplace_from_beat(
    owner, workplace, sandbox, celery_worker_process
):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if "discrepancies" in e["task"]]
    assert sorted(e["task"] for e in entries) == [
        "filings.tasks.discrepancies_check_all",  # nightly, everyone
        "filings.tasks.discrepancies_check_due",  # every few seconds, those an answer marked
    ]
    # History that no answer of ours checked (as an import would leave it): NPS only, and a
    # person whose health loss date differs from the others'.
    other = WorkplaceFactory()
    hired = date(2026, 3, 2)
    only_nps = EmployeeFactory(workplace=workplace, birth=date(1990, 1, 1), insured=False)
    dates_differ = EmployeeFactory(workplace=other, birth=date(1991, 1, 1), insured=False)
    InsuredPeriod.objects.bulk_create(
        [
            InsuredPeriod(
                employee=only_nps, workplace=workplace, agency="pension", acquired_on=hired
            ),
            *(
                InsuredPeriod(
                    employee=dates_differ,
                    workplace=other,
                    agency=agency,
                    acquired_on=hired,
                    lost_on=date(2026, 5, 1) if agency == "health" else date(2026, 4, 1),
                    source=InsuredPeriod.Source.IMPORTED,
                )
                for agency in ("health", *OTHERS)
            ),
        ]
    )
    assert task_publish(task="filings.tasks.discrepancies_check_all", args=[])
    wait_until(lambda: Discrepancy.objects.count() == 2)
    kinds = {(d.employee_id, d.kind, tuple(d.agencies)) for d in Discrepancy.objects.all()}
    assert kinds == {
        (only_nps.pk, "missing_acquisition", ("health", "employment", "industrial_accident")),
        (dates_differ.pk, "loss_date_mismatch", ("health",)),
    }
    imported = Discrepancy.objects.get(employee=dates_differ).suggested_report
    assert imported["report_id"] is None  # no report to correct: the fix is a new exit
    assert imported["loss_date"] == "2026-04-01"


def test_the_open_list_is_one_query(django_assert_num_queries, workplace):
    with django_assert_num_queries(1):
        assert discrepancies_open(workplaces=[workplace]) == []


def test_another_workplaces_discrepancies_are_not_found(api_client, sandbox):
    stranger = WorkplaceFactory()
    response = api_client.get(f"/api/v1/workplaces/{stranger.pk}/discrepancies/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
