"""``{{ when|ago }}``: "just now" under a minute, else Django's ``timesince`` + " ago" ("3 hours
ago"); "" for None. Registered as a template builtin (settings.TEMPLATES), so no ``{% load %}``."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW_S = 60


@register.filter
def ago(value: datetime | None) -> str:
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < JUST_NOW_S:
        return "just now"
    return f"{timesince(value)} ago"
