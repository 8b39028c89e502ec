"""Template context shared by every page: the navigation and the organization switcher."""

from functools import cache

from django.urls import NoReverseMatch, reverse

from kolony.tenancy import current_membership, request_memberships

# (label, url name). A section shows once its app is installed and its URL exists.
NAVIGATION = [
    ("Dashboard", "core:dashboard"),
    ("Campaigns", "campaigns:list"),
    ("Creative tests", "experiments:list"),
    ("Video Studio", "videogen:studio"),
    ("Approvals", "videogen:approvals"),
    ("Billing", "billing:overview"),
    ("Team", "accounts:team"),
]


@cache
def _nav_urls() -> tuple[tuple[str, str], ...]:
    """(label, url) of the sections whose URLs exist — fixed for the life of the process."""
    out = []
    for label, name in NAVIGATION:
        try:
            out.append((label, reverse(name)))
        except NoReverseMatch:
            continue
    return tuple(out)


#: Pages outside a section's own URL that belong to it (a render's review page is Approvals' work).
NAV_ALSO = {"/studio/renders/": "/studio/approvals/"}


def _nav_items(path: str):
    path = next((section for prefix, section in NAV_ALSO.items() if path.startswith(prefix)), path)
    matches = [url for _, url in _nav_urls() if (path == url if url == "/" else path.startswith(url))]
    current = max(matches, key=len, default=None)  # /studio/approvals/ is Approvals, not also Video Studio
    return [{"label": label, "url": url, "active": url == current} for label, url in _nav_urls()]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "nav_items": _nav_items(request.path),
        "current_membership": membership,
        "current_organization": membership.organization if membership else None,
        "user_memberships": sorted(request_memberships(request), key=lambda m: m.organization.name),
    }
