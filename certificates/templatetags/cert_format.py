"""Date formatting for certificates.

Certificate facts are stored as JSON, so dates arrive either as date objects (fresh
issue) or as ISO strings (re-render from stored facts); both must print the same.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import template

register = template.Library()

# Korean certificates state Korean time whatever the server's zone is.
KST = ZoneInfo("Asia/Seoul")
EMPTY = "-"


def _kst(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(KST) if moment.tzinfo else moment


def _as_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return _kst(value)
    if isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return _kst(moment)
    return None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return _kst(value).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@register.filter
def kdate(value: object) -> str:
    """2026.03.05, or '-' for no date."""
    day = _as_date(value)
    return day.strftime("%Y.%m.%d") if day else EMPTY


@register.filter
def kdate_long(value: object) -> str:
    """2026년 3월 5일"""
    day = _as_date(value)
    return f"{day.year}년 {day.month}월 {day.day}일" if day else EMPTY


@register.filter
def kdatetime(value: object) -> str:
    """2026.03.05 14:30 in Korean time."""
    moment = _as_datetime(value)
    return f"{moment:%Y.%m.%d %H:%M}" if moment else EMPTY
