"""Local fixtures: reports with submissions at a chosen deadline, a travelling clock, mail runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AbstractBaseUser

from filings.models import Report, Submission, SubmissionStatus
from notifications import services
from portal.models import Delegation, OutboxMessage, PayrollFirm, Workplace
from tests.factories import DelegationFactory, EmployeeFactory, UserFactory

SEOUL = ZoneInfo("Asia/Seoul")


@contextmanager
def _on_day(day: date) -> Iterator[None]:
    with time_machine.travel(datetime.combine(day, time(9), tzinfo=SEOUL), tick=False):
        yield


@pytest.fixture
def on_day() -> Callable[[date], AbstractContextManager[None]]:
    """Freeze the clock at 09:00 Seoul time on a day (beat runs during office hours)."""
    return _on_day


@pytest.fixture
def make_submission(db: None) -> Callable[..., Submission]:
    def make(
        workplace: Workplace,
        *,
        deadline: date,
        agency: str = "pension",
        kind: str = "hire",
        event_date: date = date(2026, 1, 10),
        status: str = SubmissionStatus.QUEUED,
        name: str = "김신입",
        result_message: str = "",
    ) -> Submission:
        employee = EmployeeFactory(workplace=workplace, name=name)
        report = Report.objects.create(
            workplace=workplace, employee=employee, kind=kind, event_date=event_date, data={}
        )
        return Submission.objects.create(
            report=report,
            agency=agency,
            deadline=deadline,
            deadline_rule="테스트 규칙",
            status=status,
            result_message=result_message,
        )

    return make


@pytest.fixture
def delegate(db: None) -> Callable[..., Delegation]:
    """A live delegation of `workplace` to `firm`, started long before any test day."""

    def make(workplace: Workplace, firm: PayrollFirm, *, ends_on: date | None = None) -> Delegation:
        return DelegationFactory(
            firm=firm, workplace=workplace, starts_on=date(2025, 1, 1), ends_on=ends_on
        )

    return make


@pytest.fixture
def firm_agent(firm: PayrollFirm) -> AbstractBaseUser:
    user = UserFactory()
    firm.members.add(user)
    return user


def _run_mail_tasks() -> None:
    for message in OutboxMessage.objects.order_by("pk"):
        if message.task == services.ALERT_EMAIL_TASK:
            services.alert_email_send(delivery_id=message.args[0])
        elif message.task == services.DIGEST_EMAIL_TASK:
            services.digest_email_send(digest_id=message.args[0])


@pytest.fixture
def run_mail_tasks(db: None) -> Callable[[], None]:
    """What the Celery worker would do with the outbox: call the services the tasks wrap."""
    return _run_mail_tasks
