"""Benchmark: the nightly cross-agency check and the monthly bills, both from the insured periods.

Usage: DATABASE_URL=postgres://user@host:5432/name python bench/periods.py
(`make bench` runs it after the premium bench, on a throwaway durable PostgreSQL.)

100 workplaces x 200 people (20,000 people, 80,000 periods), created with bulk_create, each
workplace with an owner (so new discrepancies are alerted as in production). A few people are
out of step on purpose: a missing NHIS acquisition, an NHIS acquisition date three days off, a
loss accepted at NPS and NHIS only, a pay change NHIS refused; some have an NHIS hire still
under way (not a discrepancy yet). A throwaway database named after DATABASE_URL's (plus a
random suffix) is created on the same server, migrated, used and dropped.

Timed: (a) `filings.consistency.discrepancies_check()` over everyone, as the nightly beat task
runs it; the first run opens (and alerts) every discrepancy, the later ones find the same and
write nothing; (b) `premiums.services.bills_compute` for the 100 workplaces for one month.
Targets: check < 3 s, bills < 2 s.
"""

from __future__ import annotations

import os
import random
import time
from datetime import date, timedelta
from typing import Any

from throwaway_db import database_create_from_env, database_drop, django_setup, verdict

WORKPLACES = 100
PEOPLE_PER_WORKPLACE = 200
RUNS = 3
MONTH = date(2026, 3, 1)
CHECK_TARGET_S = 3.0
BILL_TARGET_S = 2.0
# Every n-th person is out of step in one way (n prime, so the groups barely overlap).
MISSING_HEALTH = 101
HEALTH_DATE_OFF = 97
LOSS_PARTIAL = 89
PAY_CHANGE_EVERY = 10
PAY_CHANGE_REFUSED = 7  # of the pay changes
HIRE_UNDER_WAY = 211


def _period(person: Any, agency: str, acquired: date, lost: date | None) -> Any:
    from filings.models import InsuredPeriod

    return InsuredPeriod(
        employee=person,
        workplace_id=person.workplace_id,
        agency=agency,
        acquired_on=acquired,
        lost_on=lost,
        source=InsuredPeriod.Source.IMPORTED,
    )


def data_create() -> tuple[list, int]:
    """The workplaces, and the number of periods created."""
    from django.contrib.auth import get_user_model

    from agencies.registry import agency_codes
    from filings.models import InsuredPeriod, Report, ReportKind, Submission, SubmissionStatus
    from portal.models import Employee, Membership, Workplace

    rng = random.Random(2026)
    codes = agency_codes()
    coverage = {code: {"covered": True, "reason": "벤치"} for code in codes}
    workplaces = Workplace.objects.bulk_create(
        Workplace(
            name=f"벤치상사 {n}",
            business_registration_number=f"{1000000000 + n}",
            management_number=f"{10000000000 + n}",
            industry_code=rng.choice(["4", "2-1", "9-4", "10", "72901"]),
            headcount=8 if n % 4 == 0 else PEOPLE_PER_WORKPLACE,
        )
        for n in range(WORKPLACES)
    )
    owners = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-owner-{n}", email=f"owner{n}@bench.test")
        for n in range(WORKPLACES)
    )
    Membership.objects.bulk_create(
        Membership(user=u, workplace=w, role=Membership.Role.OWNER)
        for u, w in zip(owners, workplaces, strict=True)
    )
    people = []
    for w, workplace in enumerate(workplaces):
        for e in range(PEOPLE_PER_WORKPLACE):
            serial = w * PEOPLE_PER_WORKPLACE + e
            hired = date(
                rng.choice([2023, 2024, 2025, 2026]), rng.randint(1, 3), rng.choice([1, 2, 15])
            )
            people.append(
                Employee(
                    workplace=workplace,
                    name=f"근로자{serial}",
                    rrn_encrypted=b"bench",
                    rrn_index=f"bench-{serial:08d}",
                    rrn_masked="900101-1******",
                    birth_date=date(rng.randint(1966, 2004), rng.randint(1, 12), 1),
                    sex="M",
                    hire_date=hired,
                    loss_date=date(2026, 3, 20) if e % 25 == 0 else None,
                    last_working_day=date(2026, 3, 19) if e % 25 == 0 else None,
                    monthly_wage=rng.randrange(1_500_000, 8_000_000, 10_000),
                    nationality="VN" if e % 10 == 0 else "KR",
                    is_foreigner=e % 10 == 0,
                    coverage=coverage,
                )
            )
    Employee.objects.bulk_create(people, batch_size=2000)
    # Their NHIS acquisition is the one still under way (a queued submission below).
    under_way = [p for n, p in enumerate(people) if n % HIRE_UNDER_WAY == 6 and p.loss_date is None]
    waiting = {p.pk for p in under_way}
    periods = []
    skipped = 0
    for n, person in enumerate(people):
        for agency in codes:
            acquired, lost = person.hire_date, person.loss_date
            if agency == "health" and (n % MISSING_HEALTH == 1 or person.pk in waiting):
                skipped += 1
                continue
            if agency == "health" and n % HEALTH_DATE_OFF == 2:
                acquired += timedelta(days=3)
            if agency in ("pension", "health") and n % LOSS_PARTIAL == 3 and lost is None:
                lost = date(2026, 3, 20)
            periods.append(_period(person, agency, acquired, lost))
    # As many earlier, closed stretches (a break in coverage) as periods left out above, so that
    # the table holds exactly four periods per person.
    for person in people[5::40][:skipped]:
        periods.append(_period(person, "pension", date(2021, 1, 4), date(2021, 7, 1)))
    InsuredPeriod.objects.bulk_create(periods, batch_size=5000)

    reports, submissions = [], []
    changed = [p for n, p in enumerate(people) if n % PAY_CHANGE_EVERY == 4 and p.loss_date is None]
    for p in changed:
        reports.append(
            Report(
                workplace_id=p.workplace_id,
                employee=p,
                kind=ReportKind.PAY_CHANGE,
                status="completed",
                event_date=date(2026, 3, 1),
                data={
                    "employee_id": p.pk,
                    "effective_date": "2026-03-01",
                    "monthly_wage": 4_000_000,
                },
            )
        )
    for p in under_way:
        reports.append(
            Report(
                workplace_id=p.workplace_id,
                employee=p,
                kind=ReportKind.HIRE,
                event_date=p.hire_date,
                data={},
            )
        )
    Report.objects.bulk_create(reports, batch_size=2000)
    for i, report in enumerate(reports[: len(changed)]):
        for agency in codes:
            refused = agency == "health" and i % PAY_CHANGE_REFUSED == 0
            status = SubmissionStatus.REJECTED if refused else SubmissionStatus.ACCEPTED
            submissions.append(Submission(report=report, agency=agency, status=status))
    for report in reports[len(changed) :]:
        submissions.append(Submission(report=report, agency="health"))  # queued
    Submission.objects.bulk_create(submissions, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return workplaces, InsuredPeriod.objects.count()


def check_run() -> tuple[float, Any]:
    from filings.consistency import discrepancies_check

    started = time.perf_counter()
    result = discrepancies_check()
    return time.perf_counter() - started, result


def alerts_run() -> float:
    """What the worker does with the first check's outbox rows: the owners' alerts."""
    from notifications.services import DISCREPANCY_ALERTS_TASK, discrepancy_alerts_deliver
    from portal.models import OutboxMessage

    started = time.perf_counter()
    for message in OutboxMessage.objects.filter(task=DISCREPANCY_ALERTS_TASK).order_by("pk"):
        discrepancy_alerts_deliver(discrepancy_ids=message.args[0])
    return time.perf_counter() - started


def bill_run(workplaces: list) -> tuple[float, int]:
    from premiums.models import BillLine
    from premiums.services import bills_compute

    started = time.perf_counter()
    bills_compute(workplaces=workplaces, month=MONTH)
    elapsed = time.perf_counter() - started
    return elapsed, BillLine.objects.count()


def main() -> None:
    url = database_create_from_env()
    try:
        django_setup(url)
        workplaces, period_count = data_create()
        # Repeated because other load on the machine makes single runs noisy: every figure is
        # printed, then the best. The first check opens and alerts; the others change nothing.
        checks = [check_run() for _ in range(RUNS)]
        from filings.models import Discrepancy
        from notifications.models import Notification
        from portal.models import Employee

        open_count = Discrepancy.objects.filter(resolved_at__isnull=True).count()
        alert_seconds = alerts_run()
        alerts = Notification.objects.count()
        people = Employee.objects.count()
        bills = [bill_run(workplaces) for _ in range(RUNS)]
        from django.db import connections

        connections.close_all()
    finally:
        database_drop(url)
    seconds = [elapsed for elapsed, _ in checks]
    first = checks[0][1]
    print(
        f"consistency check: {WORKPLACES} workplaces, {people:,} people, {period_count:,} "
        f"periods, {open_count} open discrepancies, {os.cpu_count()} CPUs"
    )
    print(
        f"  runs: {seconds[0]:.3f} s (opened {first.opened}), "
        + ", ".join(f"{t:.3f} s" for t in seconds[1:])
    )
    print(f"  then, in the worker: {alerts} owner alerts in {alert_seconds:.3f} s")
    best, worst = min(seconds), max(seconds)
    print(
        f"  best {best:.3f} s, worst {worst:.3f} s; target < {CHECK_TARGET_S:.1f} s: "
        f"{verdict(worst < CHECK_TARGET_S)}"
    )
    bill_seconds = [elapsed for elapsed, _ in bills]
    print(f"bill run: {WORKPLACES} workplaces, {bills[0][1]:,} lines, month {MONTH:%Y-%m}")
    print("  runs: " + ", ".join(f"{t:.3f} s" for t in bill_seconds))
    best = min(bill_seconds)
    print(f"  best {best:.3f} s; target < {BILL_TARGET_S:.1f} s: {verdict(best < BILL_TARGET_S)}")


if __name__ == "__main__":
    main()
