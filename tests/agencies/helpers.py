"""Builders for filings and a handle on the sandbox's control endpoints."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from agencies.base import Filing

WORKPLACE = {
    "management_number": "11682002760",
    "business_registration_number": "1168200276",
    "name": "주식회사 한빛",
    "address": "서울특별시 중구 세종대로 110",
    "representative": "김대표",
    "industry_code": "72101",
    "headcount": 12,
}


def rrn_with_check_digit(first12: str) -> str:
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    total = sum(int(d) * w for d, w in zip(first12, weights, strict=True))
    return first12 + str((11 - total % 11) % 10)


def new_person(first12: str = "900101123456", name: str = "홍길동") -> dict[str, Any]:
    rrn = rrn_with_check_digit(first12)
    century = "19" if rrn[6] in "1256" else "20"
    return {
        "name": name,
        "rrn": rrn,
        "nationality": "KR",
        "visa": "",
        "birth_date": f"{century}{rrn[:2]}-{rrn[2:4]}-{rrn[4:6]}",
    }


def hire_filing(person: dict[str, Any] | None = None, **data: Any) -> Filing:
    values = {
        "hire_date": "2025-03-01",
        "monthly_wage": 3_000_000,
        "employment_type": "regular",
        "weekly_hours": 40,
        "monthly_days": 22,
        "job_code": "024",
        "is_representative": False,
        "contract_end": None,
    }
    values.update(data)
    return Filing(
        reference=str(uuid.uuid4()),
        kind="hire",
        workplace=WORKPLACE,
        person=person or new_person(),
        data=values,
    )


def exit_filing(person: dict[str, Any], reason_code: str = "23", **data: Any) -> Filing:
    values = {
        "last_working_day": "2025-06-30",
        "loss_date": "2025-07-01",
        "reason_code": reason_code,
        "reason_detail": "경영 악화로 인한 인원 감축",
    }
    values.update(data)
    return Filing(
        reference=str(uuid.uuid4()), kind="exit", workplace=WORKPLACE, person=person, data=values
    )


class Sandbox:
    """Test-side handle on the sandbox's control endpoints (over HTTP, like the bench)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=5.0)

    def configure(self, **values: float) -> None:
        self.http.post("/_config", json=values).raise_for_status()

    def fault(self, **spec: Any) -> None:
        self.http.post("/_faults", json=spec).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return self.http.get("/_stats").json()

    def reset(self) -> None:
        self.http.post("/_reset").raise_for_status()
        self.http.delete("/_faults").raise_for_status()
        self.configure(result_delay=0)
