from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tests.factories import valid_rrn


def hire_body(**overrides: Any) -> dict[str, Any]:
    birth = overrides.pop("birth", date(1990, 1, 1))
    body: dict[str, Any] = {
        "kind": "hire",
        "employee": {
            "name": overrides.pop("name", "김민준"),
            "rrn": overrides.pop("rrn", None) or valid_rrn(birth),
            "nationality": overrides.pop("nationality", "KR"),
            "visa": overrides.pop("visa", ""),
        },
        "hire_date": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "monthly_wage": 3_000_000,
        "employment_type": "regular",
        "weekly_hours": 40,
        "monthly_days": None,
        "job_code": "024",
        "is_representative": False,
    }
    body.update(overrides)
    return body
