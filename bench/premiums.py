"""Benchmark: monthly bills for 100 workplaces x 100 employees, and calculator throughput.

Usage: DATABASE_URL=postgres://user@host:5432/name python bench/premiums.py

A throwaway database named after DATABASE_URL's (plus a random suffix) is created on the same
server, migrated, used and dropped, so the configured database is never touched.
Targets: the whole bill run under 1 s; the calculator above 50,000 employees per second.
"""

from __future__ import annotations

import os
import random
import time
from datetime import date

from throwaway_db import database_create_from_env, database_drop, django_setup, verdict

WORKPLACES = 100
EMPLOYEES_PER_WORKPLACE = 100
CALCULATOR_QUOTES = 200_000
RUNS = 3
MONTH = date(2026, 3, 1)
BILL_TARGET_S = 1.0
CALCULATOR_TARGET = 50_000


def data_create() -> list:
    from filings.models import InsuredPeriod
    from portal.models import Employee, Workplace

    rng = random.Random(2026)
    workplaces = Workplace.objects.bulk_create(
        Workplace(
            name=f"벤치상사 {n}",
            business_registration_number=f"{1000000000 + n}",
            management_number=f"{10000000000 + n}",
            industry_code=rng.choice(["4", "2-1", "9-4", "10", "72901"]),
            # Every fourth workplace is small so the 두루누리 checks run too.
            headcount=8 if n % 4 == 0 else EMPLOYEES_PER_WORKPLACE,
        )
        for n in range(WORKPLACES)
    )
    employees = []
    for w, workplace in enumerate(workplaces):
        for e in range(EMPLOYEES_PER_WORKPLACE):
            serial = w * EMPLOYEES_PER_WORKPLACE + e
            hired = date(
                rng.choice([2023, 2024, 2025, 2026]), rng.randint(1, 3), rng.choice([1, 2, 15])
            )
            employees.append(
                Employee(
                    workplace=workplace,
                    name=f"근로자{serial}",
                    rrn_encrypted=b"bench",
                    rrn_index=f"bench-{serial:08d}",
                    rrn_masked="900101-1******",
                    birth_date=date(rng.randint(1960, 2004), rng.randint(1, 12), 1),
                    sex="M",
                    hire_date=hired,
                    loss_date=date(2026, 3, 20) if e % 25 == 0 else None,
                    monthly_wage=rng.randrange(1_500_000, 8_000_000, 10_000),
                    nationality="VN" if e % 10 == 0 else "KR",
                    is_foreigner=e % 10 == 0,
                )
            )
    Employee.objects.bulk_create(employees, batch_size=2000)
    # Bills read what the agencies accepted: every bench employee is insured at all four.
    InsuredPeriod.objects.bulk_create(
        (
            InsuredPeriod(
                employee=e,
                workplace_id=e.workplace_id,
                agency=agency,
                acquired_on=e.hire_date,
                lost_on=e.loss_date,
                source=InsuredPeriod.Source.IMPORTED,
            )
            for e in employees
            for agency in ("pension", "health", "employment", "industrial_accident")
        ),
        batch_size=5000,
    )
    return workplaces


def bill_run(workplaces: list) -> tuple[float, int]:
    from premiums.models import BillLine
    from premiums.services import bills_compute

    started = time.perf_counter()
    bills_compute(workplaces=workplaces, month=MONTH)
    elapsed = time.perf_counter() - started
    return elapsed, BillLine.objects.count()


def calculator_run() -> float:
    from premiums.calculator import premium_quote
    from premiums.rates import rate_book_default

    rates = rate_book_default()
    rng = random.Random(7)
    wages = [rng.randrange(100_000, 12_000_000) for _ in range(CALCULATOR_QUOTES)]
    premium_quote(monthly_wage=1, month=MONTH, industry_code="4", rates=rates)  # warm the context
    started = time.perf_counter()
    for wage in wages:
        premium_quote(
            monthly_wage=wage,
            month=MONTH,
            employment_band="under_150",
            industry_code="4",
            regular_workers=30,
            rates=rates,
        )
    return CALCULATOR_QUOTES / (time.perf_counter() - started)


def main() -> None:
    url = database_create_from_env()
    try:
        django_setup(url)
        workplaces = data_create()
        # Repeated because other load on the machine makes single runs noisy: every figure is
        # printed, then the best. The first run inserts; the others replace the same lines.
        bills = [bill_run(workplaces) for _ in range(RUNS)]
        throughputs = [calculator_run() for _ in range(RUNS)]
        from django.db import connections

        connections.close_all()
    finally:
        database_drop(url)
    seconds = [elapsed for elapsed, _ in bills]
    print(f"bill run: {WORKPLACES} workplaces, {bills[0][1]:,} lines, {os.cpu_count()} CPUs")
    print("  runs: " + ", ".join(f"{t:.3f} s" for t in seconds))
    best = min(seconds)
    print(f"  best {best:.3f} s; target < {BILL_TARGET_S:.1f} s: {verdict(best < BILL_TARGET_S)}")
    print("calculator runs: " + ", ".join(f"{t:,.0f}/s" for t in throughputs))
    top = max(throughputs)
    print(
        f"  best {top:,.0f} employees/s; target > {CALCULATOR_TARGET:,}/s: "
        + verdict(top > CALCULATOR_TARGET)
    )


if __name__ == "__main__":
    main()
