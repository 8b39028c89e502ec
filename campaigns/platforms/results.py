"""Results per render version: what each version of a Studio video earned in the ads that use it
(``Ad.creative_render``), summed from :class:`campaigns.models.InsightDaily` with the one KPI
table (:data:`campaigns.selectors.KPI_FORMULAS`: CTR = clicks ÷ impressions, thruplay rate =
thruplays ÷ impressions, CPA = spend ÷ conversions, ROAS = conversion value ÷ spend; None when
the denominator is 0).

Money is never added across currencies: every figure is per (version, campaign currency), in
minor units of that currency. Reads go through ``kolony.tenancy.org_queryset``.
"""

from __future__ import annotations

from collections import defaultdict

from kolony.tenancy import org_queryset

from ..models import Ad, InsightDaily
from ..selectors import DateRange, _kpi_annotations, _unpack


def _insights(organization, date_range: DateRange | None):
    qs = org_queryset(InsightDaily, organization).filter(ad__creative_render__isnull=False)
    if date_range is not None:
        qs = qs.filter(date__gte=date_range.start, date__lte=date_range.end)
    return qs.order_by()


def _by_render_and_currency(qs) -> dict[int, list[dict]]:
    """``{render id: [{"currency", metrics…, KPIs…}, …]}``, each render's currencies by spend, descending."""
    out: dict[int, list[dict]] = defaultdict(list)
    rows = qs.values("ad__creative_render", "campaign__currency").annotate(**_kpi_annotations())
    for row in rows:
        data = _unpack(row)
        render_id = data.pop("ad__creative_render")
        data["currency"] = data.pop("campaign__currency")
        out[render_id].append(data)
    for values in out.values():
        values.sort(key=lambda r: (-r["spend_minor"], r["currency"]))
    return out


def _ad_counts(organization, render_ids: list[int]) -> dict[int, dict]:
    counts: dict[int, dict] = {pk: {"ads": 0, "published_ads": 0} for pk in render_ids}
    for render_id, external in (org_queryset(Ad, organization).filter(creative_render_id__in=render_ids)
                                .values_list("creative_render_id", "external")):
        counts[render_id]["ads"] += 1
        if any(isinstance(v, dict) and v.get("id") for v in (external or {}).values()):
            counts[render_id]["published_ads"] += 1
    return counts


def _version(render, by_currency: list[dict], counts: dict) -> dict:
    return {"render": render.pk, "number": render.number, "review_status": render.review_status,
            "ads": counts["ads"], "published_ads": counts["published_ads"], "by_currency": by_currency,
            "has_data": any(r["impressions"] or r["spend_minor"] for r in by_currency)}


def render_results(*, organization, render, date_range: DateRange | None = None) -> dict:
    """One render version's results over ``date_range`` (all time when None):
    ``{"render": id, "number": n, "review_status", "ads": ads using it, "published_ads": those live
    on a platform, "has_data": bool, "by_currency": [{"currency": "USD", "impressions", "clicks",
    "spend_minor", "conversions", "conversion_value_minor", "thruplays", …, "ctr", "thruplay_rate",
    "cpa_minor", "roas", …}]}`` (metrics ints, KPIs floats or None). Another organization's
    render gives no ads and no rows. One query for the numbers, one for the ads."""
    rows = _by_render_and_currency(_insights(organization, date_range).filter(ad__creative_render=render))
    return _version(render, rows.get(render.pk, []), _ad_counts(organization, [render.pk])[render.pk])


def job_results_by_version(*, organization, job, date_range: DateRange | None = None) -> list[dict]:
    """:func:`render_results` for every version of ``job`` (newest first), in two queries; versions
    no ad uses are included with ``ads`` 0 and ``by_currency`` empty. Another organization's job → []."""
    renders = list(org_queryset(job.renders.all(), organization).order_by("-number"))
    if not renders:
        return []
    ids = [r.pk for r in renders]
    rows = _by_render_and_currency(_insights(organization, date_range).filter(ad__creative_render_id__in=ids))
    counts = _ad_counts(organization, ids)
    return [_version(r, rows.get(r.pk, []), counts[r.pk]) for r in renders]


def creative_version_results(*, organization, date_range: DateRange, currency: str | None = None,
                             limit: int = 10) -> list[dict]:
    """The dashboard's "By creative version" table: the ``limit`` render versions with the most
    spend in ``date_range`` (ties: more impressions, then newest), only campaigns in ``currency``
    when given. Each row: ``{"render": id, "job": id, "job_title", "number", metrics…, KPIs…}``."""
    qs = _insights(organization, date_range)
    if currency:
        qs = qs.filter(campaign__currency=currency)
    rows = (qs.values("ad__creative_render", "ad__creative_render__number", "ad__creative_render__job",
                      "ad__creative_render__job__title")
            .annotate(**_kpi_annotations())
            .order_by("-m_spend_minor", "-m_impressions", "-ad__creative_render")[:limit])
    out = []
    for row in rows:
        data = _unpack(row)
        out.append({"render": data.pop("ad__creative_render"), "number": data.pop("ad__creative_render__number"),
                    "job": data.pop("ad__creative_render__job"), "job_title": data.pop("ad__creative_render__job__title"),
                    **data})
    return out
