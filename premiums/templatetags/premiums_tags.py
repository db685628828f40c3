"""Template filters for amounts in won (django.contrib.humanize is not installed)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def won(value: object) -> str:
    """1234567 -> "1,234,567"; anything that is not an integer is shown unchanged."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value:,}"
