"""Campaign pages: list (search, filters, sort, pagination, bulk actions, CSV), detail with KPIs,
create/edit forms with inline validation (htmx), duplicate, archive. Thin: the work is in
``services`` and ``selectors``; every object is fetched through ``kolony.tenancy``."""

from __future__ import annotations

from itertools import islice

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from kolony import pagecache
from kolony.accounts.security import safe_next_url as _safe_next
from kolony.core.request_validation import BadRequestParameters, parse_id, validate_query_form
from kolony.core.service_errors import apply_service_errors
from kolony.csvsafe import SafeWriter
from kolony.tenancy import current_membership, get_for_org_or_404, org_required, role_can

from . import selectors, services
from .choices import META_OBJECTIVE, Status, currency_exponent
from .forms import AdForm, AdSetForm, CampaignFilterForm, CampaignForm, DateRangeForm, PageDateRangeForm
from .models import Ad, AdSet, Campaign
from .selectors import DateRange

LIST_KPI_DAYS = 30


def _org(request):
    return current_membership(request).organization


def _can_edit(request) -> bool:
    return role_can(current_membership(request).role, "edit")


# --- list -----------------------------------------------------------------------------------


def _list_context(request, org, can_edit: bool) -> dict:
    """What the list's content (filters, table, pagination) shows. Three queries: count, page,
    KPIs of the page's campaigns."""
    filters_form = validate_query_form(CampaignFilterForm(request.GET or None))
    filters = filters_form.selector_filters() if request.GET else CampaignFilterForm().selector_filters()
    per_page = (filters_form.cleaned_data.get("per_page") if request.GET and filters_form.is_valid() else None) or 25
    paginator = Paginator(selectors.campaign_list(organization=org, filters=filters), per_page)
    page = paginator.get_page(request.GET.get("page"))
    campaigns = list(page.object_list)
    kpi_range = DateRange.last(LIST_KPI_DAYS)
    kpis = selectors.campaign_kpis(campaign_ids=[c.pk for c in campaigns], date_range=kpi_range) if campaigns else {}
    rows = [{"campaign": c, "kpis": kpis.get(c.pk)} for c in campaigns]
    return {
        "filters_form": filters_form, "page": page, "rows": rows, "kpi_range": kpi_range, "can_edit": can_edit,
        "query": request.GET.urlencode(),
    }


@org_required("view")
def campaign_list(request):
    """Campaigns with their last-30-days KPIs. A constant number of queries whatever the page size:
    count, page, KPIs of the page's campaigns (plus the session/membership look-ups).

    The content (filters, table, pagination; or the table alone for htmx) is cached per
    organization data version, role group, day and query string, and the whole page (frame
    included) per viewer as well (:mod:`kolony.pagecache`), always after the membership and
    role check of ``org_required``. A cached page costs one Redis round trip."""
    membership = current_membership(request)
    org = membership.organization
    can_edit = role_can(membership.role, "edit")
    table_only = bool(request.htmx) and request.htmx.target == "campaign-table"
    template = "campaigns/_table.html" if table_only else "campaigns/_list_content.html"
    headers = {}
    if not pagecache.usable(request):
        content = render_to_string(template, {**_list_context(request, org, can_edit), "csrf_token": pagecache.CSRF_PLACEHOLDER},
                                   request)
        if not table_only:
            content = render_to_string("campaigns/list.html", {"content": content}, request)
        return HttpResponse(pagecache.with_csrf(content, request), headers=headers)
    parts = (can_edit, timezone.localdate(), pagecache.query_key(request))
    content_key = pagecache.entry_key("list:table" if table_only else "list:content", org, *parts)
    page_key = None if table_only else pagecache.entry_key("list:page", org, *parts, pagecache.frame_key(request))
    entries = pagecache.lookup(org, [page_key, content_key])
    page = entries.get(page_key)
    if page is not None:
        headers[pagecache.HEADER] = "hit"
        return HttpResponse(pagecache.with_csrf(page, request), headers=headers)
    content, headers[pagecache.HEADER] = entries.get_or_render(content_key, lambda: render_to_string(
        template, {**_list_context(request, org, can_edit), "csrf_token": pagecache.CSRF_PLACEHOLDER}, request))
    if page_key is not None:
        content, _ = entries.get_or_render(page_key, lambda: render_to_string(
            "campaigns/list.html", {"content": mark_safe(content),  # noqa: S308 - our template's output, cached
                                    "csrf_token": pagecache.CSRF_PLACEHOLDER}, request))
    return HttpResponse(pagecache.with_csrf(content, request), headers=headers)


@require_POST
@org_required("edit")
def campaign_bulk(request):
    """Bulk pause / activate / archive of the ticked campaigns."""
    try:
        result = services.campaign_bulk_set_status(
            organization=_org(request), actor=request.user, campaign_ids=request.POST.getlist("ids"),
            action=request.POST.get("action", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        verb = {"pause": "Paused", "activate": "Activated", "archive": "Archived"}[request.POST["action"]]
        text = f"{verb} {len(result['changed'])} campaign{'s' if len(result['changed']) != 1 else ''}."
        if result["skipped"]:
            text += f" {len(result['skipped'])} skipped (already {request.POST['action']}d or archived)."
        messages.success(request, text)
    return redirect(_safe_next(request, reverse("campaigns:list")))


class _Echo:
    def write(self, value):
        return value


def _csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    writer = SafeWriter(_Echo())  # formula-looking cells get a leading ' (CSV injection)

    def stream():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _major(minor, currency) -> str:
    if minor is None:
        return ""
    exponent = currency_exponent(currency)
    return f"{minor / 10**exponent:.{exponent}f}"


def _fmt(value, digits=4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@org_required("view")
def campaign_export(request):
    """CSV of the campaigns matching the list's filters, with KPIs over the chosen range
    (default the last 30 days). Money in major units of each campaign's currency."""
    org = _org(request)
    filters_form = validate_query_form(CampaignFilterForm(request.GET or None))
    filters = filters_form.selector_filters() if request.GET else CampaignFilterForm().selector_filters()
    range_form = validate_query_form(DateRangeForm(request.GET or None), DateRangeForm.PARAMS)
    date_range = range_form.date_range(LIST_KPI_DAYS)
    qs = selectors.campaign_list(organization=org, filters=filters)
    header = [
        "id", "name", "status", "objective", "meta_objective", "platforms", "budget_level", "budget_type", "budget",
        "currency", "starts_at", "ends_at", "ad_sets", "ads", "from", "to", "impressions", "reach", "clicks", "spend",
        "conversions", "conversion_value", "ctr", "cpc", "cpm", "cpa", "roas", "thruplay_rate",
    ]

    def rows():
        iterator = qs.iterator(chunk_size=500)
        while chunk := list(islice(iterator, 500)):
            kpis = selectors.campaign_kpis(campaign_ids=[c.pk for c in chunk], date_range=date_range)
            for c in chunk:
                k = kpis[c.pk]
                cur = c.currency
                yield [
                    c.pk, c.name, c.status, c.objective, META_OBJECTIVE.get(c.objective, ""), " ".join(c.platforms),
                    c.budget_level, c.budget_type, _major(c.budget_minor, cur), cur,
                    c.starts_at.isoformat() if c.starts_at else "", c.ends_at.isoformat() if c.ends_at else "",
                    c.ad_set_count, c.ad_count, date_range.start, date_range.end, k["impressions"], k["reach"], k["clicks"],
                    _major(k["spend_minor"], cur), k["conversions"], _major(k["conversion_value_minor"], cur),
                    _fmt(k["ctr"], 6), _fmt(k["cpc_minor"] and k["cpc_minor"] / 10 ** currency_exponent(cur)),
                    _fmt(k["cpm_minor"] and k["cpm_minor"] / 10 ** currency_exponent(cur)),
                    _fmt(k["cpa_minor"] and k["cpa_minor"] / 10 ** currency_exponent(cur)), _fmt(k["roas"]), _fmt(k["thruplay_rate"], 6),
                ]

    return _csv_response(f"campaigns-{date_range.start}-{date_range.end}.csv", header, rows())


@org_required("view")
def report_export(request):
    """CSV report: KPIs over a range grouped by ``group_by`` (campaign, ad_set, ad, day, platform).
    Money in minor units, as in the API."""
    org = _org(request)
    range_form = validate_query_form(DateRangeForm(request.GET or None), DateRangeForm.PARAMS)
    date_range = range_form.date_range(LIST_KPI_DAYS)
    group_by = request.GET.get("group_by") or "campaign"
    if group_by not in selectors.GROUP_BY:
        raise BadRequestParameters({"group_by": [f"group_by must be one of: {', '.join(selectors.GROUP_BY)}."]})
    campaign = request.GET.get("campaign", "")
    if campaign and parse_id(campaign) is None:
        raise BadRequestParameters({"campaign": ["Enter a campaign id (a whole number)."]})
    filters = {"campaign": parse_id(campaign)} if campaign else {}
    if request.GET.get("currency", "") in selectors.dashboard_currencies(organization=org):
        filters["currency"] = request.GET["currency"]  # the dashboard's link: one currency's campaigns
    rows = selectors.kpis_for(organization=org, date_range=date_range, group_by=group_by, filters=filters)
    key_cols = {"day": ["date"], "platform": ["platform"]}.get(group_by, ["id", "name"])
    cols = [*key_cols, *selectors.METRICS, *selectors.KPIS]
    return _csv_response(
        f"report-{group_by}-{date_range.start}-{date_range.end}.csv", cols,
        ([r.get(c) if not isinstance(r.get(c), float) else f"{r[c]:.6f}" for c in cols] for r in rows),
    )


# --- detail ---------------------------------------------------------------------------------


@org_required("view")
def campaign_detail(request, pk: int):
    org = _org(request)
    range_form = validate_query_form(PageDateRangeForm(request.GET or None), DateRangeForm.PARAMS)
    date_range = range_form.date_range(LIST_KPI_DAYS)
    data = selectors.campaign_detail(organization=org, campaign_id=pk, date_range=date_range)
    return render(request, "campaigns/detail.html", {
        **data, "range_form": range_form, "date_range": date_range, "range_key": range_form.range_key(),
        "can_edit": _can_edit(request) and data["campaign"].status != Status.ARCHIVED,
    })


# --- forms ----------------------------------------------------------------------------------


class _DryRun(Exception):
    pass


def _dry_run(fn, **kwargs) -> ValidationError | None:
    """Runs a service and rolls it back: its ValidationError, or None when the input is valid."""
    try:
        with transaction.atomic():
            fn(**kwargs)
            raise _DryRun
    except _DryRun:
        return None
    except ValidationError as exc:
        return exc


def _validation_fragment(request, form, exc: ValidationError | None, field_map: dict):
    """htmx inline validation: out-of-band swaps of each field's error list. Errors show for
    fields that have a value or that the person just changed; others are cleared."""
    if exc is not None:
        apply_service_errors(form, exc, field_map)
    changed = request.POST.get("_changed", "")
    shown = {}
    for name in form.fields:
        touched = name == changed or bool(request.POST.getlist(name) and any(v.strip() for v in request.POST.getlist(name)))
        shown[name] = list(form.errors.get(name, [])) if touched else []
    non_field = list(form.non_field_errors()) if changed else []
    return render(request, "campaigns/_validation.html", {"fields": shown, "non_field": non_field})


def _handle_form(request, *, form, service, service_kwargs: dict, on_success, template: str, context: dict):
    """Shared POST flow: parse → (htmx validate → fragment) | (service → redirect | re-render)."""
    validating = request.method == "POST" and request.GET.get("validate") == "1"
    field_map = getattr(form, "FIELD_MAP", {})
    if request.method == "POST" and form.is_valid():
        try:
            kwargs = {**service_kwargs, **form.service_kwargs()}
        except ValidationError as exc:
            if validating:
                return _validation_fragment(request, form, exc, field_map)
            apply_service_errors(form, exc, field_map)
        else:
            if validating:
                kwargs.pop("creative", None)
                return _validation_fragment(request, form, _dry_run(service, **kwargs), field_map)
            try:
                obj = service(**kwargs)
            except ValidationError as exc:
                apply_service_errors(form, exc, field_map)
            else:
                return on_success(obj)
    elif validating:
        return _validation_fragment(request, form, None, field_map)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {**context, "form": form}, status=status)


@org_required("edit")
def campaign_create(request):
    org = _org(request)
    form = CampaignForm(request.POST or None)

    def done(campaign):
        messages.success(request, f"Campaign “{campaign.name}” created. Add an ad set next.")
        return redirect("campaigns:detail", pk=campaign.pk)

    return _handle_form(
        request, form=form, service=services.campaign_create, service_kwargs={"organization": org, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": "New campaign", "submit": "Create campaign", "cancel_url": reverse("campaigns:list"),
                 "validate_url": reverse("campaigns:create") + "?validate=1"},
    )


def _editable_or_redirect(request, obj, kind: str, url: str):
    if obj.status == Status.ARCHIVED:
        messages.error(request, f"This {kind} is archived and can no longer be edited.")
        return redirect(url)
    return None


@org_required("edit")
def campaign_edit(request, pk: int):
    campaign = get_for_org_or_404(Campaign, _org(request), pk=pk)
    detail_url = reverse("campaigns:detail", args=[campaign.pk])
    if (blocked := _editable_or_redirect(request, campaign, "campaign", detail_url)) is not None:
        return blocked
    form = CampaignForm(request.POST or None, campaign=campaign)

    def done(obj):
        messages.success(request, f"Campaign “{obj.name}” saved.")
        return redirect(detail_url)

    return _handle_form(
        request, form=form, service=services.campaign_update, service_kwargs={"campaign": campaign, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": f"Edit {campaign.name}", "submit": "Save changes", "cancel_url": detail_url, "campaign": campaign,
                 "validate_url": reverse("campaigns:edit", args=[campaign.pk]) + "?validate=1"},
    )


@require_POST
@org_required("edit")
def campaign_duplicate(request, pk: int):
    campaign = get_for_org_or_404(Campaign, _org(request), pk=pk)
    try:
        copy = services.campaign_duplicate(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("campaigns:detail", pk=campaign.pk)
    messages.success(request, f"Duplicated as “{copy.name}” (a draft).")
    return redirect("campaigns:detail", pk=copy.pk)


@require_POST
@org_required("edit")
def campaign_status(request, pk: int):
    """POST ``action`` = pause, activate or archive."""
    campaign = get_for_org_or_404(Campaign, _org(request), pk=pk)
    action = request.POST.get("action", "")
    target = services.BULK_ACTIONS.get(action)
    try:
        if target is None:
            raise ValidationError({"action": [f"Unknown action '{action}'."]})
        services.campaign_set_status(campaign=campaign, actor=request.user, status=target)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Campaign “{campaign.name}” is now {target}.")
    return redirect(_safe_next(request, reverse("campaigns:detail", args=[campaign.pk])))


@org_required("edit")
def ad_set_create(request, pk: int):
    campaign = get_for_org_or_404(Campaign, _org(request), pk=pk)
    detail_url = reverse("campaigns:detail", args=[campaign.pk])
    if (blocked := _editable_or_redirect(request, campaign, "campaign", detail_url)) is not None:
        return blocked
    form = AdSetForm(request.POST or None, campaign=campaign)

    def done(ad_set):
        messages.success(request, f"Ad set “{ad_set.name}” created. Add an ad next.")
        return redirect(detail_url)

    return _handle_form(
        request, form=form, service=services.ad_set_create, service_kwargs={"campaign": campaign, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": f"New ad set in {campaign.name}", "submit": "Create ad set", "cancel_url": detail_url,
                 "campaign": campaign, "validate_url": reverse("campaigns:ad_set_create", args=[campaign.pk]) + "?validate=1"},
    )


@org_required("edit")
def ad_set_edit(request, pk: int):
    ad_set = get_for_org_or_404(AdSet.objects.select_related("campaign"), _org(request), pk=pk)
    detail_url = reverse("campaigns:detail", args=[ad_set.campaign_id])
    if (blocked := _editable_or_redirect(request, ad_set, "ad set", detail_url)) is not None:
        return blocked
    if (blocked := _editable_or_redirect(request, ad_set.campaign, "campaign", detail_url)) is not None:
        return blocked
    form = AdSetForm(request.POST or None, campaign=ad_set.campaign, ad_set=ad_set)

    def done(obj):
        messages.success(request, f"Ad set “{obj.name}” saved.")
        return redirect(detail_url)

    return _handle_form(
        request, form=form, service=services.ad_set_update, service_kwargs={"ad_set": ad_set, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": f"Edit ad set {ad_set.name}", "submit": "Save changes", "cancel_url": detail_url,
                 "campaign": ad_set.campaign, "validate_url": reverse("campaigns:ad_set_edit", args=[ad_set.pk]) + "?validate=1"},
    )


@require_POST
@org_required("edit")
def ad_set_archive(request, pk: int):
    ad_set = get_for_org_or_404(AdSet.objects.select_related("campaign"), _org(request), pk=pk)
    services.ad_set_archive(ad_set=ad_set, actor=request.user)
    messages.success(request, f"Ad set “{ad_set.name}” archived.")
    return redirect("campaigns:detail", pk=ad_set.campaign_id)


@org_required("edit")
def ad_create(request, pk: int):
    ad_set = get_for_org_or_404(AdSet.objects.select_related("campaign"), _org(request), pk=pk)
    detail_url = reverse("campaigns:detail", args=[ad_set.campaign_id])
    for obj, kind in ((ad_set.campaign, "campaign"), (ad_set, "ad set")):
        if (blocked := _editable_or_redirect(request, obj, kind, detail_url)) is not None:
            return blocked
    form = AdForm(request.POST or None, request.FILES or None)

    def done(ad):
        messages.success(request, f"Ad “{ad.name}” created.")
        return redirect(detail_url)

    return _handle_form(
        request, form=form, service=services.ad_create, service_kwargs={"ad_set": ad_set, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": f"New ad in {ad_set.name}", "submit": "Create ad", "cancel_url": detail_url, "campaign": ad_set.campaign,
                 "multipart": True, "validate_url": reverse("campaigns:ad_create", args=[ad_set.pk]) + "?validate=1"},
    )


@org_required("edit")
def ad_edit(request, pk: int):
    ad = get_for_org_or_404(Ad.objects.select_related("ad_set__campaign"), _org(request), pk=pk)
    detail_url = reverse("campaigns:detail", args=[ad.ad_set.campaign_id])
    for obj, kind in ((ad.ad_set.campaign, "campaign"), (ad.ad_set, "ad set"), (ad, "ad")):
        if (blocked := _editable_or_redirect(request, obj, kind, detail_url)) is not None:
            return blocked
    form = AdForm(request.POST or None, request.FILES or None, ad=ad)

    def done(obj):
        messages.success(request, f"Ad “{obj.name}” saved.")
        return redirect(detail_url)

    return _handle_form(
        request, form=form, service=services.ad_update, service_kwargs={"ad": ad, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": f"Edit ad {ad.name}", "submit": "Save changes", "cancel_url": detail_url, "campaign": ad.ad_set.campaign,
                 "ad": ad, "multipart": True, "validate_url": reverse("campaigns:ad_edit", args=[ad.pk]) + "?validate=1"},
    )


@require_POST
@org_required("edit")
def ad_archive(request, pk: int):
    ad = get_for_org_or_404(Ad.objects.select_related("ad_set__campaign"), _org(request), pk=pk)
    services.ad_archive(ad=ad, actor=request.user)
    messages.success(request, f"Ad “{ad.name}” archived.")
    return redirect("campaigns:detail", pk=ad.ad_set.campaign_id)
