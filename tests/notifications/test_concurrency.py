import threading
from collections.abc import Iterator
from datetime import date

import pytest
from django.core import mail
from django.db import connection

from notifications import services
from notifications.models import AlertDelivery, Notification
from portal.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    """Run published tasks in the publishing thread, as the embedded development mode does."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_two_beat_processes_scanning_at_once_send_each_alert_once(
    workplace, owner, hr, make_submission, on_day, tasks_in_process
) -> None:
    make_submission(workplace, deadline=date(2026, 3, 19))
    make_submission(workplace, deadline=date(2026, 3, 19), agency="health", name="이건강")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            barrier.wait()
            services.deadlines_scan()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    with on_day(date(2026, 3, 16)):
        threads = [threading.Thread(target=beat) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    # Two deadlines x two people: one mail and one portal notification each.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, hr.email] * 2)
    assert Notification.objects.count() == 4
    assert AlertDelivery.objects.filter(sent_at__isnull=True).count() == 0
