"""The campaigns section of the dashboard (``kolony.core.dashboard`` includes it): KPI tiles for a
period (last 7/30/90 days or custom) with the change against the previous period of the same
length, a spend/ROAS line chart, per-campaign bars and the best and worst ads by ROAS."""

from __future__ import annotations

from kolony.tenancy import current_membership, org_queryset

from . import selectors
from .choices import currency_exponent
from .forms import DateRangeForm
from .models import Campaign


def section(request) -> dict | None:
    membership = current_membership(request)
    if membership is None:
        return None
    organization = membership.organization
    range_form = DateRangeForm(request.GET or None)
    date_range = range_form.date_range(30)
    data = selectors.dashboard_data(organization=organization, date_range=date_range)
    currency = data["currencies"][0]
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
        "template": "campaigns/_dashboard_section.html",
        "data": data,
        "chart": chart,
        "currency": currency,
        "mixed_currencies": len(data["currencies"]) > 1,
        "range_form": range_form,
        "range_key": range_form.range_key(),
        "date_range": date_range,
        "has_campaigns": bool(data["campaigns"]) or org_queryset(Campaign, organization).exists(),
    }
