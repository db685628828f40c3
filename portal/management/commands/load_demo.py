"""Idempotent demo data: logins for each role, three workplaces, a payroll firm, employees.

Running it again changes nothing: every object is looked up by its natural key first, and
passwords are set only when a user is created. No TOTP devices are made (2FA comes later).
The staff were insured before the portal: their history is imported per workplace through the
employer's own path (filings.history), so their periods read "imported" and, in development,
the agency sandbox is told about them and accepts their exits. The same file again is not
imported twice.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from filings.coverage import CoverageInput, coverage_decide
from filings.history import history_columns, history_import, history_validate
from filings.models import BulkUpload
from portal.identifiers import brn_check_digit, rrn_check_digit
from portal.models import Delegation, EmploymentType, Membership, PayrollFirm, Workplace
from portal.services import delegation_grant, employee_create, employee_find_by_rrn

DEMO_PASSWORD = "demo-pass-2026!"  # noqa: S105 - printed to the developer on purpose
DELEGATION_START = date(2025, 1, 1)
FIRM_NAME = "한빛노무법인"

_GENDER = {("M", 1900): "1", ("F", 1900): "2", ("M", 2000): "3", ("F", 2000): "4"}
_FOREIGN_GENDER = {("M", 1900): "5", ("F", 1900): "6", ("M", 2000): "7", ("F", 2000): "8"}


@dataclass(frozen=True)
class DemoWorker:
    name: str
    birth: date
    sex: str
    serial: int
    monthly_wage: int
    hire_date: date
    nationality: str = "KR"
    visa: str = ""

    @property
    def rrn(self) -> str:
        table = _GENDER if self.nationality == "KR" else _FOREIGN_GENDER
        century = self.birth.year // 100 * 100
        head = f"{self.birth:%y%m%d}{table[(self.sex, century)]}{self.serial:05d}"
        return head + str(rrn_check_digit(head))


@dataclass(frozen=True)
class DemoWorkplace:
    name: str
    brn_head: str  # first 9 digits; the check digit is computed
    owner: str
    address: str
    representative_name: str
    workers: tuple[DemoWorker, ...]

    @property
    def brn(self) -> str:
        return self.brn_head + str(brn_check_digit(self.brn_head))


W = DemoWorker
WORKPLACES = (
    DemoWorkplace(
        name="(주)한결식품",
        brn_head="220812345",
        owner="employer",
        address="서울특별시 강남구 테헤란로 123",
        representative_name="김한결",
        workers=(
            W("이서준", date(1988, 4, 12), "M", 10231, 3_200_000, date(2024, 3, 4)),
            W("박지민", date(1995, 11, 3), "F", 20412, 2_800_000, date(2025, 1, 2)),
            W("최도윤", date(1979, 7, 21), "M", 11873, 4_500_000, date(2019, 6, 1)),
            W("정하은", date(2001, 2, 28), "F", 23094, 2_400_000, date(2025, 9, 1)),
        ),
    ),
    DemoWorkplace(
        name="바른길물류(주)",
        brn_head="134865678",
        owner="employer",
        address="경기도 성남시 분당구 판교로 45",
        representative_name="김한결",
        workers=(
            W("강민호", date(1983, 9, 9), "M", 14402, 3_600_000, date(2022, 5, 2)),
            W("윤서연", date(1992, 1, 17), "F", 25510, 3_000_000, date(2023, 8, 16)),
            W("장우진", date(1999, 12, 5), "M", 16628, 2_600_000, date(2025, 4, 1)),
            W(
                "응우옌반안",
                date(1996, 6, 30),
                "M",
                37715,
                2_500_000,
                date(2025, 2, 3),
                "VN",
                "E-9",
            ),
        ),
    ),
    DemoWorkplace(
        name="새봄디자인",
        brn_head="105123456",
        owner="employer2",
        address="부산광역시 해운대구 센텀중앙로 78",
        representative_name="오새봄",
        workers=(
            W("한지우", date(1990, 3, 8), "F", 21199, 3_100_000, date(2021, 11, 1)),
            W("송민준", date(1986, 10, 25), "M", 13356, 3_900_000, date(2020, 2, 17)),
            W("임수아", date(2003, 5, 14), "F", 24447, 2_300_000, date(2025, 7, 1)),
            W("오준서", date(1975, 8, 2), "M", 15530, 5_200_000, date(2018, 1, 2)),
        ),
    ),
)

USERS: tuple[tuple[str, str, dict[str, bool]], ...] = (
    ("employer", "사업주: (주)한결식품, 바른길물류(주)", {}),
    ("employer2", "사업주: 새봄디자인", {}),
    ("hr", "인사 담당자: (주)한결식품", {}),
    ("agent", f"{FIRM_NAME} 직원: 위임받은 3개 사업장", {}),
    ("operator", "운영자(관리 화면 /admin/)", {"is_staff": True, "is_superuser": True}),
)


class Command(BaseCommand):
    help = "데모용 사용자·사업장·위임·근로자를 만듭니다. 여러 번 실행해도 결과는 같습니다."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = {name: _user(name, flags) for name, _, flags in USERS}
            firm, _ = PayrollFirm.objects.get_or_create(
                name=FIRM_NAME, defaults={"business_registration_number": _brn("214860011")}
            )
            firm.members.add(users["agent"])
            for spec in WORKPLACES:
                workplace = _workplace(spec)
                owner = users[spec.owner]
                Membership.objects.get_or_create(
                    user=owner, workplace=workplace, defaults={"role": Membership.Role.OWNER}
                )
                _delegate(firm=firm, workplace=workplace, owner=owner)
                for worker in spec.workers:
                    _employee(workplace=workplace, owner=owner, worker=worker)
                _history(workplace=workplace, owner=owner, spec=spec)
            Membership.objects.get_or_create(
                user=users["hr"],
                workplace=Workplace.objects.get(management_number=WORKPLACES[0].brn + "0"),
                defaults={"role": Membership.Role.HR},
            )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write("데모 계정 (첫 로그인 때 인증 앱(TOTP)을 등록합니다)")
        rows = [("아이디", "비밀번호", "역할")] + [(n, DEMO_PASSWORD, r) for n, r, _ in USERS]
        for name, password, role in rows:
            self.stdout.write(f"{_pad(name, 12)}{_pad(password, 18)}{role}")


def _pad(text: str, width: int) -> str:
    # Hangul takes two terminal columns, so str.ljust would misalign the table.
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 1)


def _brn(head: str) -> str:
    return head + str(brn_check_digit(head))


def _user(username: str, flags: dict[str, bool]) -> User:
    user, created = get_user_model().objects.get_or_create(username=username, defaults=flags)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _workplace(spec: DemoWorkplace) -> Workplace:
    workplace, _ = Workplace.objects.get_or_create(
        management_number=spec.brn + "0",
        defaults={
            "name": spec.name,
            "business_registration_number": spec.brn,
            "headcount": len(spec.workers),
            "address": spec.address,
            "representative_name": spec.representative_name,
            "pension_joined_on": date(2018, 1, 1),
            "health_joined_on": date(2018, 1, 1),
            "employment_joined_on": date(2018, 1, 1),
            "industrial_accident_joined_on": date(2018, 1, 1),
        },
    )
    return workplace


def _delegate(*, firm: PayrollFirm, workplace: Workplace, owner: User) -> None:
    if not Delegation.objects.filter(
        firm=firm, workplace=workplace, revoked_at__isnull=True
    ).exists():
        delegation_grant(
            actor=owner, workplace=workplace, firm=firm, starts_on=DELEGATION_START, ends_on=None
        )


def _employee(*, workplace: Workplace, owner: User, worker: DemoWorker) -> None:
    if employee_find_by_rrn(workplace=workplace, rrn=worker.rrn) is not None:
        return
    coverage = coverage_decide(
        data=CoverageInput(
            birth_date=worker.birth,
            hire_date=worker.hire_date,
            employment_type=EmploymentType.REGULAR,
            weekly_hours=Decimal(40),
            monthly_days=None,
            monthly_wage=worker.monthly_wage,
            nationality=worker.nationality,
            visa=worker.visa,
            is_representative=False,
        )
    )
    employee_create(
        actor=owner,
        workplace=workplace,
        name=worker.name,
        rrn=worker.rrn,
        nationality=worker.nationality,
        visa=worker.visa,
        hire_date=worker.hire_date,
        monthly_wage=worker.monthly_wage,
        employment_type=EmploymentType.REGULAR,
        weekly_hours=Decimal(40),
        coverage=coverage.as_dict(),
    )


def _history(*, workplace: Workplace, owner: User, spec: DemoWorkplace) -> None:
    """Import the staff's insured periods (from the hire date, where coverage applies)."""
    columns = history_columns()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    for worker in spec.workers:
        employee = employee_find_by_rrn(workplace=workplace, rrn=worker.rrn)
        assert employee is not None  # just made by _employee
        values = {
            "rrn": worker.rrn,
            "name": worker.name,
            "monthly_wage": str(worker.monthly_wage),
            "nationality": worker.nationality,
            "visa": worker.visa,
        }
        for code, decision in employee.coverage.items():
            if decision.get("covered"):
                values[f"{code}.acquired_on"] = worker.hire_date.isoformat()
        writer.writerow([values.get(c.field, "") for c in columns])
    upload, _ = history_validate(
        actor=owner,
        workplace=workplace,
        content=out.getvalue().encode(),
        filename="demo-history.csv",
    )
    if upload.status == BulkUpload.Status.VALIDATED and not upload.error_rows:
        history_import(actor=owner, upload=upload)
