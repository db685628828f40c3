from datetime import date

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from notifications.context_processors import unread_count
from notifications.models import DraftEvent, Notification, NotificationPreference
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in_verified(client, user)
    return client


def test_registering_a_planned_hire_shows_its_deadlines_at_once(workplace, owner, on_day) -> None:
    with on_day(date(2026, 2, 16)):
        response = _client(owner).post(
            f"/notifications/workplaces/{workplace.pk}/deadlines/",
            {"kind": "hire", "employee_name": "한설날", "event_date": "2026-01-10"},
        )
    assert response.status_code == 200
    new_rows = response.context["new_rows"]
    assert {(r.agency, r.due_date, r.days_left) for r in new_rows} >= {
        ("pension", date(2026, 2, 19), 3)
    }
    assert "3일 남음" in response.content.decode()
    assert DraftEvent.objects.get().created_by == owner


def test_nobody_registers_drafts_for_a_workplace_they_cannot_reach(other_workplace, owner) -> None:
    response = _client(owner).post(
        f"/notifications/workplaces/{other_workplace.pk}/deadlines/",
        {"kind": "hire", "employee_name": "남의직원", "event_date": "2026-01-10"},
    )
    assert response.status_code == 404
    assert not DraftEvent.objects.exists()


def test_opening_a_notification_marks_it_read_and_follows_its_link(workplace, owner) -> None:
    n = Notification.objects.create(
        user=owner, title="반려", url=f"/notifications/workplaces/{workplace.pk}/deadlines/"
    )
    response = _client(owner).post(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302 and response.url == n.url
    n.refresh_from_db()
    assert n.read_at is not None


def test_someone_elses_notification_cannot_be_opened(owner, hr) -> None:
    n = Notification.objects.create(user=hr, title="남의 알림")
    assert _client(owner).post(f"/notifications/{n.pk}/open/").status_code == 404


def test_bell_shows_the_unread_count(owner) -> None:
    Notification.objects.create(user=owner, title="하나")
    Notification.objects.create(user=owner, title="둘")
    request = RequestFactory().get("/")
    request.user = owner
    context = unread_count(request)
    assert context == {"notifications_unread": 2}
    html = render_to_string("notifications/_bell.html", {**context, "user": owner})
    assert ">2</span>" in html


def test_preferences_form_saves_the_chosen_channels(owner) -> None:
    response = _client(owner).post("/notifications/preferences/", {"in_portal": "on"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=owner)
    assert (pref.email, pref.in_portal, pref.digest) == (False, True, False)


def test_centre_lists_notifications_with_the_unread_ones_marked(owner) -> None:
    Notification.objects.create(user=owner, title="기한 3일 남음", body="국민연금 자격취득")
    response = _client(owner).get("/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "기한 3일 남음" in html and "새 알림" in html


def test_deadline_board_shows_the_rule_and_the_holiday_shift(workplace, owner, on_day) -> None:
    with on_day(date(2026, 2, 2)):
        DraftEvent.objects.create(
            workplace=workplace, kind="hire", event_date=date(2026, 1, 10), employee_name="한설날"
        )
        html = _client(owner).get(f"/notifications/workplaces/{workplace.pk}/deadlines/")
    text = html.content.decode()
    assert "2026-02-15(일)이 휴일이라 다음 영업일로 미뤄짐" in text
    assert "17일 남음" in text
