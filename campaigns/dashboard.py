"""The campaigns section of the dashboard (``kolony.core.dashboard`` includes it): KPI tiles for a
period (last 7/30/90 days or custom) with the change against the previous period of the same
length, a spend/ROAS line chart, per-campaign bars and the best and worst ads by ROAS.

The section's HTML is cached per organization data version, period parameters and day
(:mod:`kolony.pagecache`); it holds nothing specific to the viewer."""

from __future__ import annotations

from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from kolony import pagecache
from kolony.core.request_validation import validate_query_form
from kolony.tenancy import current_membership, org_queryset

from . import selectors
from .choices import currency_exponent
from .forms import DateRangeForm, PageDateRangeForm
from .models import Campaign
from .platforms.results import creative_version_results

RANGE_PARAMS = ("range", "from", "to", "currency")  # what the section depends on besides the data
#: The versions that retire this section's HTML: every write of campaign data (insight syncs too)
#: bumps ``data`` (kolony.core.dashboard caches the whole page on it).
PAGE_CACHE_SCOPES = ("data",)


def section(request) -> dict | None:
    """``{"template", "html"}``: the rendered section, from the page cache when it holds it."""
    membership = current_membership(request)
    if membership is None:
        return None
    organization = membership.organization
    if not pagecache.usable(request):
        return {"template": "campaigns/_dashboard_section_html.html", "html": _render(request, organization)}
    key = pagecache.entry_key("dashboard", organization, timezone.localdate(), pagecache.query_key(request, RANGE_PARAMS))
    html, request.kolony_cache = pagecache.get_or_render(organization, key, lambda: str(_render(request, organization)))
    # our own template's output (data escaped when rendered), cached as rendered
    return {"template": "campaigns/_dashboard_section_html.html", "html": mark_safe(html)}  # noqa: S308


def _render(request, organization) -> str:
    return render_to_string("campaigns/_dashboard_section.html", {"section": _context(request, organization)}, request)


def _context(request, organization) -> dict:
    range_form = validate_query_form(PageDateRangeForm(request.GET or None), DateRangeForm.PARAMS)
    date_range = range_form.date_range(30)
    data = selectors.dashboard_data(organization=organization, date_range=date_range, currency=request.GET.get("currency"))
    currency = data["currency"]
    scale = 10 ** currency_exponent(currency)
    chart = {
        "currency": currency,
        "labels": [row["date"].isoformat() for row in data["series"]],
        "spend": [round(row["spend_minor"] / scale, 2) for row in data["series"]],
        "roas": [round(row["roas"], 3) if row["roas"] is not None else None for row in data["series"]],
        "campaigns": {
            "labels": [row["name"] for row in data["campaigns"]],
            "spend": [round(row["spend_minor"] / scale, 2) for row in data["campaigns"]],
            "roas": [round(row["roas"], 3) if row["roas"] is not None else None for row in data["campaigns"]],
        },
    }
    return {
        "data": data,
        "chart": chart,
        "currency": currency,
        "other_currencies": [code for code in data["currencies"] if code != currency],
        "currency_param": currency if len(data["currencies"]) > 1 else "",
        "range_query": urlencode({k: v for k, v in request.GET.items() if k in ("range", "from", "to")}),
        "range_form": range_form,
        "range_key": range_form.range_key(),
        "date_range": date_range,
        "has_campaigns": bool(data["campaigns"]) or org_queryset(Campaign, organization).exists(),
        # results per render version (campaigns.platforms.results), same period and currency
        "versions": creative_version_results(organization=organization, date_range=date_range, currency=currency),
    }
