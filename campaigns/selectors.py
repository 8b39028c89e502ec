"""Reads for campaigns and their results. Everything goes through ``kolony.tenancy.org_queryset``.

KPIs are computed in SQL from the summed metrics of :class:`campaigns.models.InsightDaily`, with
zero-safe division (a KPI whose denominator is 0 is ``None``, shown as "—"):

=================  ==========================================  ==========================================
KPI                formula                                     unit
=================  ==========================================  ==========================================
``ctr``            clicks ÷ impressions                        ratio (0.0123 = 1.23 %)
``cpc_minor``      spend ÷ clicks                              minor currency units per click
``cpm_minor``      spend × 1000 ÷ impressions                  minor currency units per 1,000 impressions
``cpa_minor``      spend ÷ conversions                         minor currency units per conversion
``roas``           conversion value ÷ spend                    ratio (2.5 = 250 %)
``thruplay_rate``  thruplays ÷ impressions                     ratio (Meta ThruPlays; Google's view rate)
=================  ==========================================  ==========================================

These are Meta Ads Manager's and Google Ads' definitions of the same names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, FloatField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Lower, NullIf
from django.utils import timezone

from kolony.datacache import shared as shared_cache
from kolony.datacache import single_flight
from kolony.tenancy import org_queryset

from .choices import Status
from .models import Ad, AdSet, Campaign, InsightDaily

METRICS = ("impressions", "reach", "clicks", "spend_minor", "conversions", "conversion_value_minor", "video_plays", "thruplays")


@dataclass(frozen=True)
class KpiFormula:
    """A KPI as ``numerator × scale ÷ denominator`` over summed :data:`METRICS`; None (SQL NULL) when
    the denominator is 0."""

    numerator: str
    denominator: str
    scale: float = 1.0


# The one table of KPI formulas (see the module docstring). The ORM annotations
# (:func:`_kpi_annotations`), the Python recomputation (:func:`compute_kpis`) and the raw SQL
# (:func:`_kpi_sql`) are all generated from it.
KPI_FORMULAS: dict[str, KpiFormula] = {
    "ctr": KpiFormula("clicks", "impressions"),
    "cpc_minor": KpiFormula("spend_minor", "clicks"),
    "cpm_minor": KpiFormula("spend_minor", "impressions", 1000.0),
    "cpa_minor": KpiFormula("spend_minor", "conversions"),
    "roas": KpiFormula("conversion_value_minor", "spend_minor"),
    "thruplay_rate": KpiFormula("thruplays", "impressions"),
}
KPIS = tuple(KPI_FORMULAS)
GROUP_BY = ("campaign", "ad_set", "ad", "day", "platform")
MAX_RANGE_DAYS = 731


@dataclass(frozen=True)
class DateRange:
    """Inclusive range of days ``start``..``end``."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("The end date is before the start date.")

    @classmethod
    def last(cls, days: int, *, today: dt.date | None = None) -> DateRange:
        """The ``days`` full days before today (today excluded, as Meta's ``last_7d`` and Google
        Ads' "Last 7 days" presets)."""
        end = (today or timezone.localdate()) - dt.timedelta(days=1)
        return cls(end - dt.timedelta(days=days - 1), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The period of the same length right before this one."""
        end = self.start - dt.timedelta(days=1)
        return DateRange(end - dt.timedelta(days=self.days - 1), end)

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]


def _float(expr):
    return Cast(expr, FloatField())


def _ratio(numerator, denominator, scale: float = 1.0):
    """numerator × scale ÷ denominator in SQL; NULL when the denominator is 0."""
    num = _float(numerator) if scale == 1.0 else _float(numerator) * Value(scale)
    return num / NullIf(_float(denominator), Value(0.0))


def _kpi_annotations(prefix: str = "") -> dict:
    """Sums (``m_<metric>``) and KPIs (``k_<kpi>``) over the InsightDaily rows of a query;
    ``prefix`` is the path from the queried model to InsightDaily (e.g. ``"insights__"``)."""

    def total(metric):
        return Sum(f"{prefix}{metric}")

    sums = {f"m_{m}": Coalesce(total(m), 0) for m in METRICS}
    kpis = {f"k_{name}": _ratio(total(f.numerator), total(f.denominator), f.scale) for name, f in KPI_FORMULAS.items()}
    return {**sums, **kpis}


def _unpack(row: Mapping[str, Any]) -> dict:
    out = {}
    for key, value in row.items():
        if key.startswith("m_"):
            out[key[2:]] = int(value or 0)
        elif key.startswith("k_"):
            out[key[2:]] = value
        else:
            out[key] = value
    return out


def empty_kpis() -> dict:
    return {**{m: 0 for m in METRICS}, **{k: None for k in KPIS}}


def insight_list(*, organization, filters: dict | None = None) -> QuerySet:
    """Daily insight rows of ``organization``; ``filters``: ``ad``, ``ad_set``, ``campaign`` (ids),
    ``platform``, ``from``/``to`` (dates, inclusive). Newest first."""
    filters = filters or {}
    qs = org_queryset(InsightDaily, organization)
    for key in ("ad", "ad_set", "campaign"):
        if filters.get(key):
            qs = qs.filter(**{f"{key}_id": filters[key]})
    if filters.get("platform"):
        qs = qs.filter(platform=filters["platform"])
    if filters.get("from"):
        qs = qs.filter(date__gte=filters["from"])
    if filters.get("to"):
        qs = qs.filter(date__lte=filters["to"])
    return qs.order_by("-date", "ad_id", "platform")


def kpis_for(
    *, organization, date_range: DateRange, group_by: str | None = None, filters: dict | None = None,
    order_by: str | None = None, limit: int | None = None,
) -> list[dict] | dict:
    """Summed metrics and KPIs of ``organization`` over ``date_range`` (inclusive).

    ``group_by``: None → one dict of totals; ``"day"`` → one dict per day of the range (days
    without data are zeros), key ``date``; ``"campaign"`` / ``"ad_set"`` / ``"ad"`` → keys ``id``
    and ``name``; ``"platform"`` → key ``platform``. Each dict has the metrics of
    :data:`METRICS` (ints; money in minor units) and the KPIs of :data:`KPIS` (floats or None).
    ``filters``: ``campaign`` / ``ad_set`` / ``ad`` (an id or a list of ids), ``platform``,
    ``currency`` (only campaigns in that ISO 4217 currency: money is never converted).
    ``order_by`` a metric or KPI name (``-`` for descending), ``limit`` a row count. One SQL query.
    Raises ValueError for an unknown ``group_by`` or ``order_by``.
    """
    if group_by not in (None, *GROUP_BY):
        raise ValueError(f"group_by must be one of: {', '.join(GROUP_BY)}.")
    filters = filters or {}
    qs = org_queryset(InsightDaily, organization).filter(date__gte=date_range.start, date__lte=date_range.end)
    for key in ("campaign", "ad_set", "ad"):
        value = filters.get(key)
        if value not in (None, "", []):
            qs = qs.filter(**({f"{key}_id__in": value} if isinstance(value, (list, tuple, set)) else {f"{key}_id": value}))
    if filters.get("platform"):
        qs = qs.filter(platform=filters["platform"])
    if filters.get("currency"):
        qs = qs.filter(campaign__currency=filters["currency"])
    annotations = _kpi_annotations()
    if group_by is None:
        return _unpack(qs.aggregate(**annotations))
    keys = {
        "day": {"date": F("date")},
        "platform": {"platform_key": F("platform")},
        "campaign": {"group_id": F("campaign_id"), "group_name": F("campaign__name")},
        "ad_set": {"group_id": F("ad_set_id"), "group_name": F("ad_set__name")},
        "ad": {"group_id": F("ad_id"), "group_name": F("ad__name"), "campaign_name": F("campaign__name")},
    }[group_by]
    rows = qs.order_by().values(**keys) if group_by not in ("day",) else qs.order_by().values("date")
    rows = rows.annotate(**annotations)
    if order_by:
        name = order_by.lstrip("-")
        if name not in METRICS and name not in KPIS:
            raise ValueError(f"order_by must be a metric or KPI: {', '.join(METRICS + KPIS)}.")
        field = f"{'m' if name in METRICS else 'k'}_{name}"
        rows = rows.order_by(F(field).desc(nulls_last=True) if order_by.startswith("-") else F(field).asc(nulls_last=True),
                             *keys.keys())
    else:
        rows = rows.order_by(*keys.keys())
    if limit:
        rows = rows[:limit]
    out = []
    for row in rows:
        item = _unpack(row)
        if "group_id" in item:
            item["id"] = item.pop("group_id")
            item["name"] = item.pop("group_name")
        if "platform_key" in item:
            item["platform"] = item.pop("platform_key")
        out.append(item)
    if group_by == "day" and not order_by and not limit:
        by_date = {r["date"]: r for r in out}
        out = [by_date.get(d) or {"date": d, **empty_kpis()} for d in date_range.dates()]
    return out


def campaign_kpis(*, campaign_ids: list[int], date_range: DateRange) -> dict[int, dict]:
    """KPIs of each campaign in ``campaign_ids`` over ``date_range`` in one query (campaigns with
    no rows get zeros and None KPIs). Callers pass ids they already scoped to an organization."""
    rows = (
        InsightDaily.objects.filter(campaign_id__in=campaign_ids, date__gte=date_range.start, date__lte=date_range.end)
        .order_by().values("campaign_id").annotate(**_kpi_annotations())
    )
    found = {r["campaign_id"]: _unpack(r) for r in rows}
    return {cid: found.get(cid) or {"campaign_id": cid, **empty_kpis()} for cid in campaign_ids}


CAMPAIGN_ORDERING = {
    "name": (Lower("name").asc(), "id"),
    "-name": (Lower("name").desc(), "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "starts": (F("starts_at").asc(nulls_last=True), "id"),
    "-starts": (F("starts_at").desc(nulls_last=True), "-id"),
    "status": ("status", "-created_at", "-id"),
    "budget": (F("budget_minor").asc(nulls_last=True), "id"),
    "-budget": (F("budget_minor").desc(nulls_last=True), "-id"),
}


def campaign_list(*, organization, filters: dict | None = None) -> QuerySet:
    """Campaigns of ``organization`` with ``ad_set_count`` and ``ad_count`` annotated.

    ``filters`` (all optional): ``search`` (name contains, case-insensitive), ``status`` (one
    value or a list; archived ones are hidden unless asked for), ``platform``, ``objective``,
    ``ordering`` (a key of :data:`CAMPAIGN_ORDERING`, default ``-created``). Unknown values simply
    match nothing; an unknown ordering falls back to the default.
    """
    filters = filters or {}
    qs = org_queryset(Campaign, organization)
    status = filters.get("status")
    if status:
        qs = qs.filter(status__in=status if isinstance(status, (list, tuple)) else [status])
    else:
        qs = qs.exclude(status=Status.ARCHIVED)
    if filters.get("platform"):
        qs = qs.filter(platforms__contains=[filters["platform"]])
    if filters.get("objective"):
        qs = qs.filter(objective=filters["objective"])
    if filters.get("search"):
        qs = qs.filter(name__icontains=filters["search"].strip())
    ad_sets = AdSet.objects.filter(campaign=OuterRef("pk")).exclude(status=Status.ARCHIVED).order_by().values("campaign")
    ads = Ad.objects.filter(ad_set__campaign=OuterRef("pk")).exclude(status=Status.ARCHIVED).order_by().values("ad_set__campaign")
    qs = qs.annotate(
        ad_set_count=Coalesce(Subquery(ad_sets.annotate(n=Count("pk")).values("n")), 0),
        ad_count=Coalesce(Subquery(ads.annotate(n=Count("pk")).values("n")), 0),
    )
    ordering = CAMPAIGN_ORDERING.get(filters.get("ordering") or "-created", CAMPAIGN_ORDERING["-created"])
    return qs.order_by(*ordering)


def ad_set_list(*, organization, filters: dict | None = None) -> QuerySet:
    """Ad sets of ``organization``; ``filters``: ``campaign`` (id), ``status``."""
    filters = filters or {}
    qs = org_queryset(AdSet, organization).select_related("campaign")
    if filters.get("campaign"):
        qs = qs.filter(campaign_id=filters["campaign"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs.order_by("campaign_id", "created_at", "id")


def ad_list(*, organization, filters: dict | None = None) -> QuerySet:
    """Ads of ``organization``; ``filters``: ``ad_set``, ``campaign`` (ids), ``status``."""
    filters = filters or {}
    qs = org_queryset(Ad, organization).select_related("ad_set__campaign")
    if filters.get("ad_set"):
        qs = qs.filter(ad_set_id=filters["ad_set"])
    if filters.get("campaign"):
        qs = qs.filter(ad_set__campaign_id=filters["campaign"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs.order_by("ad_set_id", "created_at", "id")


def campaign_detail(*, organization, campaign_id, date_range: DateRange) -> dict:
    """A campaign with its ad sets and ads, each with KPIs over ``date_range``:
    ``{"campaign", "totals", "ad_sets": [{"ad_set", "kpis", "ads": [{"ad", "kpis"}]}]}``.
    Raises Http404 for another organization's campaign. Four queries."""
    from kolony.tenancy import get_for_org_or_404

    campaign = get_for_org_or_404(Campaign, organization, pk=campaign_id)
    ad_sets = list(campaign.ad_sets.order_by("created_at", "id"))
    ads = list(Ad.objects.filter(ad_set__campaign=campaign).order_by("created_at", "id"))
    per_ad = {
        r["ad_id"]: _unpack(r)
        for r in InsightDaily.objects.filter(campaign=campaign, date__gte=date_range.start, date__lte=date_range.end)
        .order_by().values("ad_id").annotate(**_kpi_annotations())
    }
    totals = kpis_for(organization=organization, date_range=date_range, filters={"campaign": campaign.pk})
    sets_out = []
    for ad_set in ad_sets:
        set_ads = [a for a in ads if a.ad_set_id == ad_set.pk]
        sets_out.append({
            "ad_set": ad_set,
            "kpis": _sum_kpis([per_ad.get(a.pk) for a in set_ads]),
            "ads": [{"ad": a, "kpis": per_ad.get(a.pk) or empty_kpis()} for a in set_ads],
        })
    return {"campaign": campaign, "totals": totals, "ad_sets": sets_out}


def _sum_kpis(rows: list[dict | None]) -> dict:
    """Adds metric dicts and recomputes the KPIs (same formulas as the SQL)."""
    total = {m: sum((r or {}).get(m, 0) for r in rows) for m in METRICS}
    return {**total, **compute_kpis(total)}


def compute_kpis(m: dict) -> dict:
    """The KPIs of :data:`KPIS` from summed metrics ``{metric: int}``, in Python (for sums of
    already-fetched rows): the same IEEE divisions as the SQL, None when the denominator is 0."""

    def ratio(f: KpiFormula):
        numerator, denominator = m[f.numerator], m[f.denominator]
        if not denominator:
            return None
        return (float(numerator) if f.scale == 1.0 else float(numerator) * f.scale) / float(denominator)

    return {name: ratio(f) for name, f in KPI_FORMULAS.items()}


def change(current, previous) -> float | None:
    """Relative change current vs previous (0.25 = +25 %); None when previous is 0 or missing."""
    if current is None or previous in (None, 0):
        return None
    return (current - previous) / previous


DASHBOARD_CACHE_SECONDS = 300


def dashboard_currencies(*, organization) -> list[str]:
    """The ISO 4217 codes the organization's campaigns (archived ones too: their spend is in the
    periods shown) are in, the most used first (ties alphabetical); ``["USD"]`` when it has none."""
    rows = (org_queryset(Campaign, organization).order_by().values("currency")
            .annotate(n=Count("id")).values_list("currency", "n"))
    return [code for code, _ in sorted(rows, key=lambda r: (-r[1], r[0]))] or ["USD"]


def dashboard_data(*, organization, date_range: DateRange, currency: str | None = None, use_cache: bool = True) -> dict:
    """Everything the KPI dashboard shows for ``date_range``, in one currency:
    ``{"totals", "previous", "changes": {metric|kpi: ratio|None}, "series": [per day],
    "campaigns": [top 10 by spend], "top_ads": [5 best ROAS], "bottom_ads": [5 worst ROAS],
    "currency": code, "currencies": [codes, most used first]}``.

    Money is never added across currencies: when the organization's campaigns use several, the
    numbers cover only the campaigns in ``currency`` (default: the most used one; an unknown code
    falls back to it), and the page offers the others.

    The numbers (two aggregate queries over the insights, ~0.5 s for a million rows) are cached for
    :data:`DASHBOARD_CACHE_SECONDS` in the cache all web processes share (:mod:`kolony.datacache`)
    with the organization's *insights* version, which every insights write bumps, so a sync shows
    at once; one process computes them while the others wait for its result rather than
    computing them too. Names and currencies are read afresh (three small queries), so a rename
    shows at once without recomputing the numbers.
    """
    currencies = dashboard_currencies(organization=organization)
    currency = currency if currency in currencies else currencies[0]
    only = currency if len(currencies) > 1 else None  # one currency: no join needed
    if use_cache and shared_cache():
        key = f"campaigns:dashboard:{organization.pk}:{date_range.start}:{date_range.end}:{only or ''}"
        data = single_flight(organization, key, lambda: _dashboard_numbers(organization, date_range, currency=only),
                             timeout=DASHBOARD_CACHE_SECONDS, scope="insights")
    else:
        data = _dashboard_numbers(organization, date_range, currency=only)
    data = {**data, "campaigns": [dict(r) for r in data["campaigns"]], "top_ads": [dict(r) for r in data["top_ads"]],
            "bottom_ads": [dict(r) for r in data["bottom_ads"]]}
    campaign_names = dict(org_queryset(Campaign, organization).filter(pk__in=[r["id"] for r in data["campaigns"]])
                          .values_list("pk", "name"))
    for row in data["campaigns"]:
        row["name"] = campaign_names.get(row["id"], row["name"])
    ads = [*data["top_ads"], *data["bottom_ads"]]
    ad_names = {pk: (name, campaign) for pk, name, campaign in org_queryset(Ad, organization)
                .filter(pk__in=[r["id"] for r in ads]).values_list("pk", "name", "ad_set__campaign__name")}
    for row in ads:
        row["name"], row["campaign_name"] = ad_names.get(row["id"], (row["name"], row["campaign_name"]))
    data["currency"], data["currencies"] = currency, currencies
    return data


def _dashboard_numbers(organization, date_range: DateRange, currency: str | None = None) -> dict:
    """The numbers of :func:`dashboard_data` in two scans of the organization's insights (instead
    of five): per day over the previous and the current period (the series, and the two periods'
    totals summed from it), and per ad over the current one (the ads' ROAS ranks and, summed per
    campaign, the top 10 campaigns by spend; :func:`_rankings`). Aggregates group by ids only: names
    are read afresh by :func:`dashboard_data`. Same values as :func:`kpis_for` (sums are exact
    integers; KPIs are the same IEEE divisions of the same sums). With ``currency``, only the
    insights of campaigns in that currency."""
    qs = org_queryset(InsightDaily, organization)
    if currency:
        qs = qs.filter(campaign__currency=currency)
    previous_range = date_range.previous()
    days = [
        _unpack(row) for row in qs.filter(date__gte=previous_range.start, date__lte=date_range.end)
        .order_by().values("date").annotate(**_kpi_annotations()).order_by("date")
    ]
    totals = _sum_kpis([r for r in days if r["date"] >= date_range.start])
    previous = _sum_kpis([r for r in days if r["date"] <= previous_range.end])
    changes = {name: change(totals[name], previous[name]) for name in (*METRICS, *KPIS)}
    by_date = {r["date"]: r for r in days}
    series = [by_date.get(d) or {"date": d, **empty_kpis()} for d in date_range.dates()]
    in_range = qs.filter(date__gte=date_range.start, date__lte=date_range.end).order_by()
    campaigns, top_ads, bottom_ads = _rankings(in_range, campaigns=10, ads=5)
    return {
        "range": date_range,
        "totals": totals,
        "previous": previous,
        "changes": changes,
        "series": series,
        "campaigns": campaigns,
        "top_ads": top_ads,
        "bottom_ads": bottom_ads,
    }


def _kpi_sql(column) -> dict[str, str]:
    """The KPIs of :data:`KPIS` in SQL over summed metric columns (``column(metric)`` names one),
    the very expressions :func:`_ratio` builds: double-precision division, NULL when the
    denominator is 0."""

    def ratio(f: KpiFormula) -> str:
        scale = "" if f.scale == 1.0 else f" * {float(f.scale)!r}"
        return (f"(CAST({column(f.numerator)} AS double precision){scale} "
                f"/ NULLIF(CAST({column(f.denominator)} AS double precision), 0))")

    return {name: ratio(f) for name, f in KPI_FORMULAS.items()}


def _rankings(insights: QuerySet, *, campaigns: int, ads: int) -> tuple[list[dict], list[dict], list[dict]]:
    """``(top campaigns by spend, best ads by ROAS, worst ads by ROAS)`` of ``insights``, the
    first ``campaigns`` / ``ads`` of each, ties by id, from one aggregation per ad (campaign sums
    are sums of its ads' sums; only ads with spend have a ROAS rank). One SQL statement; rows
    carry ids only (``name`` / ``campaign_name`` None)."""
    from django.db import connections

    per_ad = insights.values(group_id=F("ad_id"), ad_campaign=F("campaign_id")).annotate(**_kpi_annotations()).order_by()
    sql, params = per_ad.query.sql_with_params()
    metrics = ", ".join(f"m_{m}" for m in METRICS)
    kpis = ", ".join(f"k_{k}" for k in KPIS)
    campaign_sums = ", ".join(f"SUM(m_{m}) AS m_{m}" for m in METRICS)
    campaign_kpis = ", ".join(f"{expr} AS k_{k}" for k, expr in _kpi_sql(lambda m: f"SUM(m_{m})").items())
    cols = f"group_id, {metrics}, {kpis}"
    # Built only from this module's column names, int() limits and the ORM's own SQL; values travel in params.
    statement = (
        f"WITH per_ad AS MATERIALIZED ({sql}), "  # noqa: S608
        f"per_campaign AS (SELECT ad_campaign AS group_id, {campaign_sums}, {campaign_kpis} FROM per_ad GROUP BY ad_campaign) "
        f"(SELECT 0 AS kolony_part, {cols} FROM per_campaign ORDER BY m_spend_minor DESC NULLS LAST, group_id LIMIT {int(campaigns)}) "
        f"UNION ALL (SELECT 1, {cols} FROM per_ad WHERE m_spend_minor > 0 ORDER BY k_roas DESC NULLS LAST, group_id LIMIT {int(ads)}) "
        f"UNION ALL (SELECT 2, {cols} FROM per_ad WHERE m_spend_minor > 0 ORDER BY k_roas ASC NULLS LAST, group_id LIMIT {int(ads)})"
    )
    out: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
    with connections[per_ad.db].cursor() as cursor:
        cursor.execute(statement, params)
        columns = [c.name for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            part = row.pop("kolony_part")
            item = _unpack(row)
            item["id"], item["name"] = item.pop("group_id"), None
            if part:
                item["campaign_name"] = None
            out[part].append(item)
    return out
