"""The only list of agencies: codes, order, labels and choices everywhere come from here.

A new agency is one adapter module plus one line in ADAPTERS (or `agency_register`, e.g. in a
test); filing, coverage, deadlines, forms, certificates and the API pick it up from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


def agency_codes() -> tuple[str, ...]:
    """Every agency, in the order people see them (NPS, NHIS, EI, IACI, then any added)."""
    return tuple(ADAPTERS)


def agency_choices() -> list[tuple[str, str]]:
    """(code, agency name) for model and form choices; a callable, so choices follow the
    registry instead of being frozen into a migration."""
    return [(code, cls.label) for code, cls in ADAPTERS.items()]


def insurance_labels() -> dict[str, str]:
    """code -> the insurance's name as people say it (국민연금, 건강보험, ...)."""
    return {code: cls.insurance_label for code, cls in ADAPTERS.items()}


def adapter_for(code: str) -> AgencyAdapter:
    """A fresh adapter for an agency code; KeyError names the unknown code."""
    try:
        return ADAPTERS[code]()
    except KeyError:
        raise KeyError(f"unknown agency code: {code!r}") from None


@contextmanager
def agency_register(adapter: type[AgencyAdapter]) -> Iterator[None]:
    """Add an agency for the duration of the block (tests, and a gateway being tried out)."""
    if adapter.code in ADAPTERS:
        raise ValueError(f"agency {adapter.code!r} is already registered")
    ADAPTERS[adapter.code] = adapter
    try:
        yield
    finally:
        del ADAPTERS[adapter.code]


# Kept for callers that want the list as a value at import time (the four shipped agencies).
AGENCY_CHOICES: list[tuple[str, str]] = agency_choices()
