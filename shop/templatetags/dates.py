"""Machine-readable dates for <time datetime>."""

import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def datetime_attr(value):
    """Return a valid HTML datetime: "2026-12-06T08:54:13+00:00", to the second (no fractions)."""
    if not isinstance(value, datetime.datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()
