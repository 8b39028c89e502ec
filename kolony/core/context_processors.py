"""Template context shared by every page: the navigation and the organization switcher."""

from django.urls import NoReverseMatch, reverse

from kolony.accounts.selectors import user_memberships
from kolony.tenancy import current_membership

# (label, url name). A section shows once its app is installed and its URL exists.
NAVIGATION = [
    ("Dashboard", "core:dashboard"),
    ("Campaigns", "campaigns:list"),
    ("Video Studio", "videogen:studio"),
    ("Approvals", "videogen:approvals"),
    ("Billing", "billing:overview"),
    ("Team", "accounts:team"),
]


def _nav_items(path: str):
    items = []
    for label, name in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    return items


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "nav_items": _nav_items(request.path),
        "current_membership": membership,
        "current_organization": membership.organization if membership else None,
        "user_memberships": list(user_memberships(user=request.user)),
    }
