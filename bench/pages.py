"""Page timings for a payroll agent with 10,000 reports across 50 workplaces.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_pages python bench/pages.py
Times the agent board, the report list (all workplaces and one) and a report detail through
Django's test client (p50/p95 over 200 requests) next to a trivial view, and counts queries.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_pages")

REPORTS = 10_000
WORKPLACES = 50
REQUESTS = 200
TARGET_P95_MS = 150.0
TARGET_QUERIES = 12


def database_ensure() -> None:
    import psycopg2

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    conn = psycopg2.connect(
        host=url.hostname, port=url.port or 5432, user=url.username, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


database_ensure()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from filings.models import Report, ReportEvent, Submission  # noqa: E402
from portal.models import Delegation, Employee, PayrollFirm, Workplace  # noqa: E402


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("trivial/", trivial), path("", include("portal.urls"))]

AGENCIES = ("pension", "health", "employment", "industrial_accident")
REPORT_STATUSES = ["completed"] * 80 + ["in_progress"] * 12 + ["rejected"] * 5 + ["failed"] * 3


def data_build() -> tuple[object, int]:
    User = get_user_model()
    agent = User.objects.filter(username="bench-agent").first()
    if agent is not None and Report.objects.count() >= REPORTS:
        report_id = Report.objects.filter(workplace__delegations__firm__members=agent).latest("id")
        return agent, report_id.pk
    print("building data ...", flush=True)
    owner = User.objects.create_user("bench-owner", password="x" * 12)
    agent = User.objects.create_user("bench-agent", password="x" * 12)
    firm = PayrollFirm.objects.create(
        name="벤치노무법인", business_registration_number="1018100001"
    )
    firm.members.add(agent)
    workplaces = Workplace.objects.bulk_create(
        Workplace(
            name=f"벤치상사 {i:03d}",
            business_registration_number=f"{i:010d}",
            management_number=f"{i:010d}9",
        )
        for i in range(WORKPLACES)
    )
    today = timezone.localdate()
    Delegation.objects.bulk_create(
        Delegation(firm=firm, workplace=w, starts_on=today - timedelta(days=90), granted_by=owner)
        for w in workplaces
    )
    employees = Employee.objects.bulk_create(
        Employee(
            workplace=w,
            name=f"근로자{n}",
            rrn_encrypted=b"x",
            rrn_index=f"{w.pk}-{n}",
            rrn_masked="900101-1******",
            birth_date=date(1990, 1, 1),
            sex="M",
            hire_date=date(2026, 1, 2),
        )
        for w in workplaces
        for n in range(20)
    )
    by_workplace: dict[int, list[Employee]] = {}
    for e in employees:
        by_workplace.setdefault(e.workplace_id, []).append(e)
    rng = random.Random(7)
    now = timezone.now()
    reports = Report.objects.bulk_create(
        Report(
            workplace=(w := workplaces[i % WORKPLACES]),
            employee=rng.choice(by_workplace[w.pk]),
            kind=rng.choice(["hire", "exit", "pay_change"]),
            status=rng.choice(REPORT_STATUSES),
            event_date=today - timedelta(days=rng.randint(0, 300)),
            filed_at=now - timedelta(minutes=i),
            data={},
        )
        for i in range(REPORTS)
    )
    subs = []
    for r in reports:
        for agency in AGENCIES:
            status = {
                "completed": "accepted",
                "in_progress": rng.choice(["queued", "received"]),
                "rejected": rng.choice(["accepted", "rejected"]),
                "failed": "failed",
            }[r.status]
            subs.append(
                Submission(
                    report=r,
                    agency=agency,
                    status=status,
                    receipt_number=f"R-{r.pk}-{agency}",
                    deadline=today + timedelta(days=rng.randint(-5, 30)),
                )
            )
    Submission.objects.bulk_create(subs, batch_size=5000)
    detail = reports[-1]
    ReportEvent.objects.bulk_create(
        ReportEvent(report=detail, agency=a, status=s, message="벤치")
        for a in AGENCIES
        for s in ("queued", "sending", "received", "accepted")
    )
    return agent, detail.pk


def client_for(user: object) -> Client:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["otp_verified_at"] = int(time.time())
    session.save()
    return client


def measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url, secure=True)  # warm-up
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    count = len(queries)  # read now: later requests reset the connection's query log
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url, secure=True)
        times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return statistics.median(times), cuts[94], count


def main() -> int:
    setup_test_environment(debug=False)
    call_command("migrate", verbosity=0)
    agent, report_id = data_build()
    client = client_for(agent)
    pages = [
        ("trivial view", "/trivial/"),
        ("agent board (50 workplaces)", "/board/"),
        ("report list, all workplaces", "/reports/?scope=all"),
        ("report list, one workplace", "/reports/"),
        ("report list, filtered", "/reports/?scope=all&status=rejected&agency=health"),
        ("report detail", f"/reports/{report_id}/"),
        ("report timeline (htmx poll)", f"/reports/{report_id}/timeline/"),
        ("dashboard", "/dashboard/"),
    ]
    ok = True
    print(f"{Report.objects.count():,} reports, {Submission.objects.count():,} submissions")
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    with override_settings(ROOT_URLCONF=__name__, SECURE_SSL_REDIRECT=False):
        for label, url in pages:
            p50, p95, queries = measure(client, url)
            flag = ""
            if label != "trivial view" and (p95 >= TARGET_P95_MS or queries > TARGET_QUERIES):
                flag, ok = "  <-- over target", False
            print(f"{label:34} {p50:8.1f} {p95:8.1f} {queries:8d}{flag}")
    print(f"targets: p95 < {TARGET_P95_MS:.0f} ms, <= {TARGET_QUERIES} queries per page")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.modules.setdefault("bench_pages", sys.modules[__name__])
    raise SystemExit(main())
