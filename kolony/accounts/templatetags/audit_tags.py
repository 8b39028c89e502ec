"""``{% load audit_tags %}``: audit events as sentences and before → after changes
(see :mod:`kolony.accounts.audit_display`)."""

from django import template

from kolony.accounts import audit_display

register = template.Library()


@register.filter
def audit_sentence(event) -> str:
    """"Dana created the video job ‘Cold Brew’"."""
    return audit_display.audit_sentence(event)


@register.filter
def audit_changes(event) -> list[tuple[str, str, str]]:
    """[(field label, before, after)] of the fields the event changed."""
    return audit_display.audit_changes(event)
