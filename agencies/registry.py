"""The only lookup path from an agency code to its adapter; model choices come from here."""

from __future__ import annotations

from agencies.base import AgencyAdapter
from agencies.employment import EmploymentAdapter
from agencies.health import HealthAdapter
from agencies.industrial_accident import IndustrialAccidentAdapter
from agencies.pension import PensionAdapter

ADAPTERS: dict[str, type[AgencyAdapter]] = {
    "pension": PensionAdapter,
    "health": HealthAdapter,
    "employment": EmploymentAdapter,
    "industrial_accident": IndustrialAccidentAdapter,
}

AGENCY_CHOICES: list[tuple[str, str]] = [(code, cls.label) for code, cls in ADAPTERS.items()]


def adapter_for(code: str) -> AgencyAdapter:
    """A fresh adapter for an agency code; KeyError names the unknown code."""
    try:
        return ADAPTERS[code]()
    except KeyError:
        raise KeyError(f"unknown agency code: {code!r}") from None
