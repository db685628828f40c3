from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError

from filings.deadlines import deadline_for
from filings.models import Report, SubmissionStatus
from notifications import services
from notifications.models import AlertDelivery, Channel, Notification, Threshold
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, WorkplaceFactory

pytestmark = pytest.mark.django_db


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_one_hire_alerts_seven_three_and_one_day_before_and_once_overdue_across_lunar_new_year(
    workplace, owner, make_submission, on_day
) -> None:
    due = deadline_for(agency="pension", kind="hire", event_date=date(2026, 1, 10)).due_date
    assert due == date(2026, 2, 19)  # 15 Feb is a Sunday, 16-18 Feb 설날
    make_submission(workplace, deadline=due)
    seen: dict[date, list[str]] = defaultdict(list)
    for day in _days(date(2026, 2, 1), date(2026, 2, 28)):
        with on_day(day):
            before = set(Notification.objects.values_list("pk", flat=True))
            services.deadlines_scan()
            for n in Notification.objects.exclude(pk__in=before).filter(user=owner):
                seen[day].append(n.title)
    assert sorted(seen) == [
        date(2026, 2, 12),
        date(2026, 2, 16),
        date(2026, 2, 18),
        date(2026, 2, 20),
    ]
    assert all(len(titles) == 1 for titles in seen.values())
    assert "7일 남았습니다" in seen[date(2026, 2, 12)][0]
    assert "3일 남았습니다" in seen[date(2026, 2, 16)][0]
    assert "1일 남았습니다" in seen[date(2026, 2, 18)][0]
    assert "기한이 1일 지났습니다" in seen[date(2026, 2, 20)][0]


def test_a_scan_missed_on_the_seventh_day_still_warns_at_the_next_run(
    workplace, owner, make_submission, on_day
) -> None:
    make_submission(workplace, deadline=date(2026, 2, 19))
    with on_day(date(2026, 2, 14)):  # five days left, no scan ran on the 12th
        services.deadlines_scan()
    assert list(Notification.objects.filter(user=owner).values_list("title", flat=True)) == [
        f"[{workplace.name}] 김신입 국민연금 자격취득 신고 기한 2026-02-19: 5일 남았습니다"
    ]


def test_two_scans_on_the_same_day_send_one_mail_per_person(
    workplace, owner, hr, make_submission, on_day, run_mail_tasks
) -> None:
    make_submission(workplace, deadline=date(2026, 3, 19))
    with on_day(date(2026, 3, 16)):
        services.deadlines_scan()
        services.deadlines_scan()
        run_mail_tasks()
        run_mail_tasks()  # a duplicate publish of the same task sends nothing more
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, hr.email])
    assert "3일 남았습니다" in mail.outbox[0].subject
    assert Notification.objects.filter(user=owner).count() == 1


def test_the_database_refuses_a_second_delivery_of_the_same_alert(workplace, owner) -> None:
    fields = {
        "deadline_key": "submission:1",
        "threshold": Threshold.D3,
        "recipient": owner,
        "channel": Channel.EMAIL,
        "title": "t",
    }
    AlertDelivery.objects.create(**fields)
    with pytest.raises(IntegrityError):
        AlertDelivery.objects.create(**fields)


def test_overdue_alert_states_the_fine_as_a_maximum_and_marks_unverified_amounts(
    workplace, owner, make_submission, on_day
) -> None:
    make_submission(workplace, deadline=date(2026, 3, 16), agency="pension")
    make_submission(workplace, deadline=date(2026, 3, 16), agency="health", name="이건강")
    with on_day(date(2026, 3, 18)):
        services.deadlines_scan()
    pension = Notification.objects.get(user=owner, title__contains="국민연금")
    health = Notification.objects.get(user=owner, title__contains="건강보험")
    assert "부과될 수 있는 과태료: 최대 500,000원." in pension.body
    assert "기준 확인 필요" not in pension.body
    assert "최대 5,000,000원 (기준 확인 필요)" in health.body


def test_accepted_and_received_submissions_raise_no_deadline_alert(
    workplace, owner, make_submission, on_day
) -> None:
    make_submission(workplace, deadline=date(2026, 3, 17), status=SubmissionStatus.ACCEPTED)
    make_submission(workplace, deadline=date(2026, 3, 17), status=SubmissionStatus.RECEIVED)
    with on_day(date(2026, 3, 16)):
        services.deadlines_scan()
    assert not Notification.objects.exists()


def test_draft_hire_alerts_until_its_report_is_filed(workplace, owner, on_day) -> None:
    with on_day(date(2026, 1, 12)):
        services.draft_event_create(
            actor=owner,
            workplace=workplace,
            kind="hire",
            event_date=date(2026, 1, 12),
            employee_name="박예정",
        )
    with on_day(date(2026, 1, 19)):  # health: 26 Jan is 7 days away
        services.deadlines_scan()
    assert [n.title for n in Notification.objects.filter(user=owner)] == [
        f"[{workplace.name}] 박예정 건강보험 자격취득 신고 기한 2026-01-26: 7일 남았습니다"
    ]
    employee = EmployeeFactory(workplace=workplace, name="박예정")
    Report.objects.create(
        workplace=workplace, employee=employee, kind="hire", event_date=date(2026, 1, 12)
    )
    with on_day(date(2026, 1, 23)):
        services.deadlines_scan()
    assert Notification.objects.filter(user=owner).count() == 1


def test_member_who_turned_email_off_gets_only_the_portal_notification(
    workplace, owner, make_submission, on_day, run_mail_tasks
) -> None:
    services.preference_update(user=owner, email=False, in_portal=True, digest=True)
    make_submission(workplace, deadline=date(2026, 3, 17))
    with on_day(date(2026, 3, 16)):
        services.deadlines_scan()
        run_mail_tasks()
    assert mail.outbox == []
    assert Notification.objects.filter(user=owner).count() == 1


def test_people_of_another_workplace_hear_nothing(workplace, make_submission, on_day) -> None:
    stranger = MembershipFactory(workplace=WorkplaceFactory()).user
    make_submission(workplace, deadline=date(2026, 3, 17))
    with on_day(date(2026, 3, 16)):
        services.deadlines_scan()
    assert not Notification.objects.filter(user=stranger).exists()


def test_rejection_alerts_owner_and_agent_by_mail_at_once(
    workplace, owner, firm, firm_agent, delegate, make_submission, on_day, run_mail_tasks
) -> None:
    delegate(workplace, firm)
    with on_day(date(2026, 3, 2)):
        sub = make_submission(
            workplace,
            deadline=date(2026, 4, 15),
            status=SubmissionStatus.REJECTED,
            result_message="E102 취득일 오류",
        )
        assert services.submission_alerts_deliver(submission_ids=[sub.pk]) == 4
        assert services.submission_alerts_deliver(submission_ids=[sub.pk]) == 0
        run_mail_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, firm_agent.email])
    assert all("반려되었습니다" in m.subject and "E102 취득일 오류" in m.body for m in mail.outbox)


def test_scan_catches_a_failure_nobody_announced(workplace, owner, make_submission, on_day) -> None:
    with on_day(date(2026, 3, 2)):
        make_submission(workplace, deadline=date(2026, 4, 15), status=SubmissionStatus.FAILED)
        services.deadlines_scan()
        services.deadlines_scan()
    titles = list(Notification.objects.filter(user=owner).values_list("title", flat=True))
    assert len(titles) == 1 and "보내지 못했습니다" in titles[0]


def test_ending_delegation_warns_the_owner_and_the_firm_but_not_hr(
    workplace, owner, hr, firm, firm_agent, delegate, on_day
) -> None:
    delegate(workplace, firm, ends_on=date(2026, 3, 20))
    with on_day(date(2026, 3, 12)):  # eight days before: too early
        services.deadlines_scan()
    assert not Notification.objects.exists()
    with on_day(date(2026, 3, 13)):
        services.deadlines_scan()
        services.deadlines_scan()
    notified = sorted(Notification.objects.values_list("user_id", flat=True))
    assert notified == sorted([owner.pk, firm_agent.pk])
    assert "2026-03-20에 끝납니다" in Notification.objects.first().title


def test_agent_gets_one_daily_digest_grouped_by_workplace_instead_of_single_mails(
    firm, firm_agent, delegate, make_submission, on_day, run_mail_tasks
) -> None:
    alpha = WorkplaceFactory(name="가나상사")
    beta = WorkplaceFactory(name="다라상회")
    owner = MembershipFactory(workplace=alpha).user
    for wp in (alpha, beta):
        delegate(wp, firm)
    make_submission(beta, deadline=date(2026, 3, 20), name="최베타")
    make_submission(alpha, deadline=date(2026, 3, 20), name="김알파")
    make_submission(alpha, deadline=date(2026, 3, 20), agency="health", name="이알파")
    with on_day(date(2026, 3, 13)):
        services.deadlines_scan()
        assert services.digest_send() == 1
        assert services.digest_send() == 0  # one per agent per day
        run_mail_tasks()
    to_agent = [m for m in mail.outbox if m.to == [firm_agent.email]]
    assert len(to_agent) == 1
    body = to_agent[0].body
    assert "알림 요약 (3건)" in to_agent[0].subject
    assert body.index("■ 가나상사 (2건)") < body.index("김알파") < body.index("■ 다라상회 (1건)")
    assert body.index("■ 다라상회 (1건)") < body.index("최베타")
    # The owner of alpha still gets single mails, one per deadline.
    assert len([m for m in mail.outbox if m.to == [owner.email]]) == 2


def test_alert_raised_after_the_days_digest_waits_for_the_next_one(
    workplace, firm, firm_agent, delegate, make_submission, on_day, run_mail_tasks
) -> None:
    UserFactory()  # someone unrelated
    delegate(workplace, firm)
    make_submission(workplace, deadline=date(2026, 3, 20))
    with on_day(date(2026, 3, 13)):
        services.deadlines_scan()
        services.digest_send()
        make_submission(workplace, deadline=date(2026, 3, 20), name="늦은등록")
        services.deadlines_scan()
        assert services.digest_send() == 0
    with on_day(date(2026, 3, 14)):
        assert services.digest_send() == 1
        run_mail_tasks()
    bodies = [m.body for m in mail.outbox if m.to == [firm_agent.email]]
    assert len(bodies) == 2 and "늦은등록" in bodies[1] and "늦은등록" not in bodies[0]


def test_a_mail_the_server_refused_stays_unsent_and_goes_out_on_the_next_try(
    workplace, owner, make_submission, on_day, settings, run_mail_tasks
) -> None:
    make_submission(workplace, deadline=date(2026, 3, 17))
    with on_day(date(2026, 3, 16)):
        services.deadlines_scan()
        settings.EMAIL_BACKEND = "tests.notifications.broken_mail.Backend"
        run_mail_tasks()
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery = AlertDelivery.objects.get(channel=Channel.EMAIL)
    assert delivery.sent_at is None and "SMTP down" in delivery.error
    assert services.alert_email_send(delivery_id=delivery.pk) is True
    assert [m.to for m in mail.outbox] == [[owner.email]]
