"""``{{ value|timetag }}``: a ``<time>`` element for a moment, in the current time zone.

The same output as ``<time datetime="{{ v|date:'c' }}">{{ v|date:"Y-m-d H:i T" }}</time>`` at a
fraction of the cost: Django's date filter is the costliest part of a long session list.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.filter
def timetag(value: datetime | None) -> str:
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    text = local.strftime("%Y-%m-%d %H:%M")
    zone = local.tzname() or ""
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), f"{text} {zone}" if zone else text)
