from datetime import date

import pytest
from rest_framework.test import APIClient

from filings.models import SubmissionStatus
from notifications import services
from notifications.models import ClosureDay, Notification

pytestmark = pytest.mark.django_db


def test_deadlines_list_filed_and_drafted_deadlines_soonest_first(
    workplace, owner, api_client, make_submission, on_day
) -> None:
    sub = make_submission(workplace, deadline=date(2026, 2, 19))
    with on_day(date(2026, 2, 16)):
        services.draft_event_create(
            actor=owner,
            workplace=workplace,
            kind="exit",
            event_date=date(2026, 2, 10),
            employee_name="정퇴사",
        )
        response = api_client.get(f"/api/v1/workplaces/{workplace.pk}/deadlines/")
    assert response.status_code == 200
    rows = response.json()
    assert rows[0] == {
        "report_id": sub.report_id,
        "agency": "pension",
        "kind": "hire",
        "due_date": "2026-02-19",
        "status": "open",
        "days_left": 3,
    }
    assert rows[1] == {
        "report_id": None,
        "agency": "health",
        "kind": "exit",
        "due_date": "2026-02-24",
        "status": "open",
        "days_left": 8,
    }
    # The 15th of March is a Sunday.
    assert [(r["agency"], r["due_date"]) for r in rows[2:]] == [
        ("employment", "2026-03-16"),
        ("industrial_accident", "2026-03-16"),
        ("pension", "2026-03-16"),
    ]


def test_draft_hire_on_10_january_is_due_19_february_past_lunar_new_year(
    workplace, owner, api_client, on_day
) -> None:
    with on_day(date(2026, 2, 16)):
        services.draft_event_create(
            actor=owner,
            workplace=workplace,
            kind="hire",
            event_date=date(2026, 1, 10),
            employee_name="한설날",
        )
        rows = api_client.get(f"/api/v1/workplaces/{workplace.pk}/deadlines/").json()
    by_agency = {r["agency"]: r for r in rows}
    assert by_agency["pension"] == {
        "report_id": None,
        "agency": "pension",
        "kind": "hire",
        "due_date": "2026-02-19",
        "status": "open",
        "days_left": 3,
    }
    # NHIS: 14 days after 10 Jan is Saturday 24 Jan, so Monday 26 Jan, long past.
    assert by_agency["health"]["due_date"] == "2026-01-26"
    assert by_agency["health"]["status"] == "overdue"


def test_operator_closure_day_moves_a_deadline_to_the_next_business_day(
    workplace, api_client, make_submission, on_day
) -> None:
    make_submission(workplace, deadline=date(2026, 3, 16))
    ClosureDay.objects.create(day=date(2026, 3, 16), name="임시공휴일")
    with on_day(date(2026, 3, 10)):
        rows = api_client.get(f"/api/v1/workplaces/{workplace.pk}/deadlines/").json()
    assert [(r["due_date"], r["days_left"]) for r in rows] == [("2026-03-17", 7)]


def test_met_deadline_shows_as_done(workplace, api_client, make_submission, on_day) -> None:
    make_submission(workplace, deadline=date(2026, 3, 16), status=SubmissionStatus.ACCEPTED)
    with on_day(date(2026, 3, 20)):
        rows = api_client.get(f"/api/v1/workplaces/{workplace.pk}/deadlines/").json()
    assert [r["status"] for r in rows] == ["done"]


def test_deadlines_of_another_workplace_are_not_found(
    api_client, other_workplace, make_submission
) -> None:
    make_submission(other_workplace, deadline=date(2026, 3, 16))
    response = api_client.get(f"/api/v1/workplaces/{other_workplace.pk}/deadlines/")
    assert response.status_code == 404


def test_deadlines_need_authentication(workplace) -> None:
    response = APIClient().get(f"/api/v1/workplaces/{workplace.pk}/deadlines/")
    assert response.status_code in (401, 403)


def test_notifications_list_is_the_callers_own_newest_first_with_unread_flag(
    workplace, owner, hr, api_client
) -> None:
    Notification.objects.create(user=owner, title="먼저")
    later = Notification.objects.create(user=owner, title="나중")
    Notification.objects.create(user=hr, title="남의 알림")
    services.notification_mark_read(user=owner, notification_id=later.pk)
    body = api_client.get("/api/v1/notifications/").json()
    assert body["count"] == 2
    assert [(n["title"], n["unread"]) for n in body["results"]] == [
        ("나중", False),
        ("먼저", True),
    ]
