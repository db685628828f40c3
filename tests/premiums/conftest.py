"""Local helpers for bill tests: employees with chosen dates, pay and nationality."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from portal.models import Employee, Workplace
from tests.factories import EmployeeFactory, WorkplaceFactory


@pytest.fixture
def small_workplace(db: None) -> Workplace:
    """Five workers, construction (IACI rate known to the schedule): eligible for 두루누리."""
    return WorkplaceFactory(headcount=5, industry_code="4")


@pytest.fixture
def hire(small_workplace: Workplace) -> Callable[..., Employee]:
    def make(hire_date: date, *, workplace: Workplace | None = None, **kwargs: Any) -> Employee:
        kwargs.setdefault("monthly_wage", 2_000_000)
        # An explicit age: the factory cycles birth years up to 2004 and 60+ leaves NPS.
        kwargs.setdefault("birth", date(1990, 1, 15))
        kwargs.setdefault("insured", True)
        return EmployeeFactory(
            workplace=workplace or small_workplace, hire_date=hire_date, **kwargs
        )

    return make


from tests.pipeline import sandbox, sandbox_server  # noqa: E402, F401
