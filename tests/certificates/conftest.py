import datetime as dt
from typing import Any

import pytest

from portal.models import Employee, Workplace
from tests.factories import EmployeeFactory


@pytest.fixture
def employee(workplace: Workplace) -> Employee:
    """Insured nowhere yet: each test says what the agencies accepted (accepted_report)."""
    return EmployeeFactory(workplace=workplace, insured=False)


@pytest.fixture
def coverage_context() -> dict[str, Any]:
    def row(index: int, lost: bool) -> dict[str, Any]:
        return {
            "workplace_name": f"(주)한빛소프트 {index}지점",
            "workplace_number": "12345678900",
            "acquired_on": dt.date(2019, 3, 1),
            "lost_on": dt.date(2021, 6, 30) if lost else None,
            "status": "상실" if lost else "취득",
        }

    return {
        "serial": "C-2026-000123",
        "issued_at": dt.datetime(2026, 3, 5, 5, 30, tzinfo=dt.UTC),
        "purpose": "금융기관 제출용",
        "requester": {"name": "김민준", "relation": "본인"},
        "verification_code": "ABCD-EFGH-JKMN-PQRS",
        "base_url": "https://portal.example.kr/",
        "full_rrn": False,
        "as_of": dt.date(2026, 3, 5),
        "person": {"name": "김민준", "rrn": "900101-1******"},
        "insurances": [
            {"code": "pension", "rows": [row(1, False), row(2, True)]},
            {"code": "health", "rows": [row(1, False)]},
            {"code": "employment", "rows": [row(1, False)]},
            {"code": "industrial_accident", "rows": []},
        ],
    }


from tests.pipeline import sandbox, sandbox_server  # noqa: E402, F401
