"""Benchmark: a 4insure 자격취득 batch for 10,000 people, and reading back its result file.

Usage: DATABASE_URL=postgres://user@host:5432/name python bench/files.py
(`make bench` runs it on a throwaway durable PostgreSQL.)

One workplace on the `file` delivery channel with 10,000 hires filed (each insured at all four
agencies: 40,000 queued submissions), employees with real encrypted resident numbers. A throwaway
database named after DATABASE_URL's (plus a random suffix) is created, migrated, used, dropped.

Timed: (a) generating the batch: `agency_files_gather` (once) plus `agency_file_xlsx`, which
decrypts every number, writes the 38-column workbook and appends 10,000 접속기록 (three
downloads; the first with the gather is the figure against the target); (b) reading back the
10,000-row result file 4insure gives (every 100th person with an 오류메세지):
`agency_file_result_parse` plus `agency_file_result_record`, which confirms the 접수번호 and
records 40,000 answers through the delivery's one recording path (periods, report status,
timeline, alerts). Targets: each < 5 s.
"""

from __future__ import annotations

import io
import os
import time
from datetime import date
from typing import Any

from throwaway_db import database_create_from_env, database_drop, django_setup, verdict

PEOPLE = 10_000
RUNS = 3
TARGET_S = 5.0
REJECT_EVERY = 100


def _rrn(n: int) -> str:
    from portal.identifiers import rrn_check_digit

    birth = date(1960 + n % 40, n % 12 + 1, n % 28 + 1)
    head = f"{birth:%y%m%d}1{n:05d}"
    return head + str(rrn_check_digit(head))


def data_create() -> tuple[Any, Any]:
    """The workplace and its owner, with PEOPLE hires queued at all four agencies."""
    from django.contrib.auth import get_user_model

    from agencies.registry import agency_codes
    from filings.models import Report, ReportKind, Submission
    from portal.identifiers import person_number_parse
    from portal.models import DeliveryChannel, Employee, Membership, Workplace
    from portal.services import employee_set_rrn

    workplace = Workplace.objects.create(
        name="벤치상사",
        business_registration_number="1018100001",
        management_number="10181000010",
        industry_code="72901",
        headcount=PEOPLE,
        delivery_channel=DeliveryChannel.FILE,
    )
    owner = get_user_model().objects.create(username="bench-owner", email="o@bench.test")
    Membership.objects.create(user=owner, workplace=workplace, role=Membership.Role.OWNER)
    coverage = {code: {"covered": True, "reason": "벤치"} for code in agency_codes()}
    hired = date(2026, 3, 2)
    people = []
    for n in range(PEOPLE):
        person = Employee(
            workplace=workplace,
            name=f"근로자{n}",
            hire_date=hired,
            monthly_wage=2_500_000 + n % 50 * 10_000,
            weekly_hours=40,
            job_code="024",
            coverage=coverage,
        )
        employee_set_rrn(employee=person, number=person_number_parse(_rrn(n)))
        people.append(person)
    Employee.objects.bulk_create(people, batch_size=2000)
    reports = Report.objects.bulk_create(
        [
            Report(
                workplace=workplace,
                employee=p,
                kind=ReportKind.HIRE,
                event_date=hired,
                coverage=coverage,
                data={
                    "hire_date": hired.isoformat(),
                    "monthly_wage": p.monthly_wage,
                    "employment_type": "regular",
                    "weekly_hours": "40",
                    "monthly_days": None,
                    "job_code": "024",
                    "is_representative": False,
                    "contract_end": None,
                    "nationality": "KR",
                    "visa": "",
                    "pension_by_request": False,
                    "health_acquisition_code": "",
                },
            )
            for p in people
        ],
        batch_size=2000,
    )
    Submission.objects.bulk_create(
        [Submission(report=r, agency=a) for r in reports for a in agency_codes()],
        batch_size=5000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return workplace, owner


def generate(workplace: Any, owner: Any) -> tuple[float, float, list[float], Any, bytes]:
    from filings.agency_files import agency_file_xlsx, agency_files_gather

    started = time.perf_counter()
    (batch,) = agency_files_gather(workplace=workplace, actor=owner)
    gathered = time.perf_counter() - started
    downloads = []
    content = b""
    for _ in range(RUNS):
        started = time.perf_counter()
        content, _ = agency_file_xlsx(agency_file=batch, actor=owner)
        downloads.append(time.perf_counter() - started)
    return gathered, gathered + downloads[0], downloads, batch, content


def result_file(content: bytes) -> bytes:
    """The workbook as 4insure gives it back: every REJECT_EVERY-th person with an error. Built
    as a regular workbook, which records the sheet's size as Excel and server exporters do
    (openpyxl's write-only mode leaves it out, and a reader then scans the sheet once more)."""
    from openpyxl import Workbook, load_workbook

    source = load_workbook(io.BytesIO(content), read_only=True)
    out = Workbook()
    sheet = out.active
    sheet.title = "취득신고"
    for n, row in enumerate(source.worksheets[0].iter_rows(values_only=True)):
        values = list(row) + [None] * (38 - len(row))  # read-only rows stop at the last value
        if n and n % REJECT_EVERY == 0:
            values[36] = "건강보험: 보수월액을 확인하세요."
        sheet.append(values)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def read_back(batch: Any, owner: Any, content: bytes) -> tuple[float, float, dict[str, int]]:
    from filings.agency_files import agency_file_result_parse, agency_file_result_record

    started = time.perf_counter()
    rows = agency_file_result_parse(agency_file=batch, content=content, filename="result.xlsx")
    parsed = time.perf_counter() - started
    counts = agency_file_result_record(
        agency_file=batch, actor=owner, receipt_number="4INS-BENCH-1", rows=rows
    )
    return parsed, time.perf_counter() - started, counts


def main() -> None:
    url = database_create_from_env()
    try:
        django_setup(url)
        workplace, owner = data_create()
        gathered, generated, downloads, batch, content = generate(workplace, owner)
        answer = result_file(content)
        parsed, recorded, counts = read_back(batch, owner, answer)
        from filings.models import InsuredPeriod

        periods = InsuredPeriod.objects.count()
        from django.db import connections

        connections.close_all()
    finally:
        database_drop(url)
    print(
        f"4insure 자격취득 batch: {PEOPLE:,} people, {PEOPLE * 4:,} submissions, "
        f"{os.cpu_count()} CPUs; workbook {len(content) / 1e6:.1f} MB"
    )
    print(f"  gather {gathered:.3f} s; downloads " + ", ".join(f"{t:.3f} s" for t in downloads))
    print(
        f"  gather + first download {generated:.3f} s; target < {TARGET_S:.1f} s: "
        f"{verdict(generated < TARGET_S)}"
    )
    print(
        f"result file read back: {PEOPLE:,} rows, {counts['accepted']:,} accepted, "
        f"{counts['rejected']:,} rejected, {periods:,} periods opened"
    )
    print(f"  parse {parsed:.3f} s, parse + record {recorded:.3f} s")
    print(f"  target < {TARGET_S:.1f} s: {verdict(recorded < TARGET_S)}")


if __name__ == "__main__":
    main()
