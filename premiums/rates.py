"""Rate schedules as data: load the versioned values and answer "which value applies in month M".

Pure Python (no Django) so the calculator and its tests run without a database. The same
`RateBook` is built from the packaged JSON or, in the portal, from admin-edited database rows.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

RATES_JSON = Path(__file__).resolve().parent / "data" / "rates.json"

RATIO_KINDS = frozenset(
    {
        "pension_rate",  # per side
        "health_rate",  # total of both sides
        "ltc_ratio",  # long-term-care premium / health premium
        "ei_unemployment_employee",
        "ei_unemployment_employer",
        "ei_stability_employer",  # key = employment band
        "iaci_industry",  # key = industry code
        "iaci_commuting",
        "iaci_wage_claim",
        "iaci_asbestos",
    }
)
AMOUNT_KINDS = frozenset(
    {
        "pension_base_lower",
        "pension_base_upper",
        "health_premium_cap",  # total of both sides
        "health_premium_floor",  # total of both sides
    }
)
KINDS = RATIO_KINDS | AMOUNT_KINDS

EMPLOYMENT_BANDS: dict[str, str] = {
    "under_150": "150인 미만",
    "priority_150": "150인 이상 우선지원대상기업",
    "from_150_to_999": "150인 이상 1,000인 미만",
    "from_1000": "1,000인 이상 또는 국가·지방자치단체",
}


class RateNotFound(LookupError):
    """No schedule value covers the requested month (or key)."""


@lru_cache(maxsize=1024)
def ratio_percent_text(numerator: int, denominator: int) -> str:
    """Exact percentage when it terminates within 4 decimals, else the fraction too."""
    exact = Decimal(numerator * 100) / Decimal(denominator)
    shown = exact.quantize(Decimal("0.0001")).normalize()
    text = f"{shown:f}%"
    if shown != exact:
        return f"{numerator}/{denominator} (약 {text})"
    return text


@dataclass(frozen=True, slots=True)
class Ratio:
    numerator: int
    denominator: int
    source: str
    verified: bool
    valid_from: date
    valid_to: date | None
    label: str = ""

    def percent_text(self) -> str:
        return ratio_percent_text(self.numerator, self.denominator)


@dataclass(frozen=True, slots=True)
class Amount:
    value: int
    source: str
    verified: bool
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class Bounds:
    lower: Amount
    upper: Amount


@dataclass(frozen=True, slots=True)
class CapFloor:
    cap: Amount
    floor: Amount


@dataclass(frozen=True, slots=True)
class EmploymentRates:
    employee: Ratio
    employer_unemployment: Ratio
    employer_stability: Ratio


@dataclass(frozen=True, slots=True)
class IndustrialAccidentRates:
    industry: Ratio
    commuting: Ratio
    wage_claim: Ratio
    asbestos: Ratio


@dataclass(frozen=True, slots=True)
class _Row:
    kind: str
    key: str
    valid_from: date
    valid_to: date | None
    value: Ratio | Amount

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _as_int(value: Any, field: str, kind: str) -> int:
    # bool is an int subclass and float would silently lose exactness: reject both.
    if type(value) is not int:
        raise ValueError(f"{kind}: {field} must be an integer, got {value!r}")
    return value


def _field(row: Mapping[str, Any] | object, name: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def _parse_row(raw: Mapping[str, Any] | object) -> _Row:
    kind = _field(raw, "kind")
    if kind not in KINDS:
        raise ValueError(f"unknown rate kind {kind!r}")
    key = _field(raw, "key") or ""
    valid_from = _as_date(_field(raw, "valid_from"))
    valid_to = _as_date(_field(raw, "valid_to"))
    if valid_from is None:
        raise ValueError(f"{kind} {key}: valid_from is required")
    if valid_to is not None and valid_to < valid_from:
        raise ValueError(f"{kind} {key}: valid_to before valid_from")
    source = str(_field(raw, "source") or "")
    verified = bool(_field(raw, "verified", False))
    value: Ratio | Amount
    if kind in RATIO_KINDS:
        numerator = _as_int(_field(raw, "numerator"), "numerator", kind)
        denominator = _as_int(_field(raw, "denominator"), "denominator", kind)
        if numerator < 0 or denominator <= 0:
            raise ValueError(
                f"{kind} {key}: ratio must be non-negative with a positive denominator"
            )
        label = str(_field(raw, "label") or "")
        value = Ratio(numerator, denominator, source, verified, valid_from, valid_to, label)
    else:
        amount = _as_int(_field(raw, "amount"), "amount", kind)
        if amount < 0:
            raise ValueError(f"{kind}: amount must be non-negative")
        value = Amount(amount, source, verified, valid_from, valid_to)
    return _Row(kind, key, valid_from, valid_to, value)


class RateBook:
    """Immutable set of schedule values, queried by month.

    `cache` is for values callers derive from the book (e.g. the calculator's per-month
    context); the book never changes after construction, so entries never go stale.
    """

    def __init__(self, rows: Iterable[Mapping[str, Any] | object], *, version: str = "") -> None:
        self.version = version
        self.cache: dict[Hashable, Any] = {}
        index: dict[tuple[str, str], list[_Row]] = {}
        for raw in rows:
            row = _parse_row(raw)
            index.setdefault((row.kind, row.key), []).append(row)
        for (kind, key), group in index.items():
            group.sort(key=lambda r: r.valid_from)
            for earlier, later in zip(group, group[1:], strict=False):
                if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                    raise ValueError(f"{kind} {key}: overlapping periods from {later.valid_from}")
        self._index = index

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateBook:
        return cls(data["values"], version=str(data.get("version", "")))

    @classmethod
    def from_json_file(cls, path: Path = RATES_JSON) -> RateBook:
        return cls.from_dict(rates_json_load(path))

    @classmethod
    def from_db(cls) -> RateBook:
        """The admin-edited schedule (premiums.RateValue rows), cached per process.

        Saves and deletes in this process drop the cache (signals in premiums.models); other
        processes notice an edit through a cheap fingerprint query (row count, last update).
        """
        global _db_book
        from django.db.models import Count, Max

        from premiums.models import RateValue

        stats = RateValue.objects.aggregate(
            count=Count("id"), updated=Max("updated_at"), version=Max("schedule_version")
        )
        fingerprint = (stats["count"], stats["updated"], stats["version"])
        cached = _db_book
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        book = cls(RateValue.objects.order_by("id"), version=stats["version"] or "")
        _db_book = (fingerprint, book)
        return book

    def keys(self, kind: str) -> list[str]:
        return sorted({key for (k, key) in self._index if k == kind})

    def _lookup(self, kind: str, month: date, key: str = "") -> Ratio | Amount:
        day = month.replace(day=1)
        for row in self._index.get((kind, key), ()):
            if row.covers(day):
                return row.value
        what = f"{kind}[{key}]" if key else kind
        raise RateNotFound(
            f"{day:%Y-%m}에 적용할 {what} 값이 요율표(버전 {self.version})에 없습니다."
        )

    def _ratio(self, kind: str, month: date, key: str = "") -> Ratio:
        value = self._lookup(kind, month, key)
        assert isinstance(value, Ratio)
        return value

    def _amount(self, kind: str, month: date) -> Amount:
        value = self._lookup(kind, month)
        assert isinstance(value, Amount)
        return value

    def pension_rate(self, month: date) -> Ratio:
        """Per-side rate, chosen by calendar year."""
        return self._ratio("pension_rate", month)

    def pension_bounds(self, month: date) -> Bounds:
        """기준소득월액 lower/upper, chosen by the July-June period containing the month."""
        return Bounds(
            self._amount("pension_base_lower", month), self._amount("pension_base_upper", month)
        )

    def health_rate(self, month: date) -> Ratio:
        """Total rate; each side pays half."""
        return self._ratio("health_rate", month)

    def health_cap_floor(self, month: date) -> CapFloor:
        """Monthly premium cap and floor for the TOTAL of both sides."""
        return CapFloor(
            self._amount("health_premium_cap", month), self._amount("health_premium_floor", month)
        )

    def ltc_ratio(self, month: date) -> Ratio:
        return self._ratio("ltc_ratio", month)

    def employment_rates(self, month: date, band: str) -> EmploymentRates:
        if band not in EMPLOYMENT_BANDS:
            raise ValueError(f"unknown employment band {band!r}")
        return EmploymentRates(
            self._ratio("ei_unemployment_employee", month),
            self._ratio("ei_unemployment_employer", month),
            self._ratio("ei_stability_employer", month, band),
        )

    def industrial_accident_rates(self, month: date, industry_code: str) -> IndustrialAccidentRates:
        return IndustrialAccidentRates(
            self._ratio("iaci_industry", month, industry_code),
            self._ratio("iaci_commuting", month),
            self._ratio("iaci_wage_claim", month),
            self._ratio("iaci_asbestos", month),
        )


_default_book: RateBook | None = None
_db_book: tuple[tuple[Any, ...], RateBook] | None = None


def rates_json_load(path: Path = RATES_JSON) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def rate_book_invalidate() -> None:
    global _db_book
    _db_book = None


def rate_book_default() -> RateBook:
    """The packaged schedule, loaded once per process."""
    global _default_book
    if _default_book is None:
        _default_book = RateBook.from_json_file()
    return _default_book
