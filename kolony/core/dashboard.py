"""What the dashboard shows. Each installed app may provide ``<app>.dashboard.section(request)``
returning a dict {"template": str, **context}; sections render in INSTALLED_APPS order."""

from importlib import import_module

from django.apps import apps

from kolony.accounts.selectors import audit_event_list, member_list
from kolony.tenancy import current_membership


def dashboard_context(request) -> dict:
    org = current_membership(request).organization
    sections = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.dashboard")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.dashboard":
                raise
            continue
        if hasattr(module, "section") and module.__name__ != __name__:
            section = module.section(request)
            if section:
                sections.append(section)
    return {
        "sections": sections,
        "member_count": member_list(organization=org).count(),
        "recent_events": audit_event_list(organization=org)[:8],
    }
