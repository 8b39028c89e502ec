"""Campaign pages: list (search, filters, sort, pagination, bulk actions, CSV), detail with KPIs,
create/edit forms with inline validation (htmx), duplicate, archive. Thin: the work is in
``services`` and ``selectors``; every object is fetched through ``kolony.tenancy``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
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
from .warnings import hierarchy_warnings

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
        "query": request.GET.urlencode(), "bulk_actions": bulk_actions(),
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


BULK_VERBS = {"pause": ("paused", "Pause"), "activate": ("activated", "Activate"), "archive": ("archived", "Archive")}


def bulk_actions() -> list[dict]:
    """The list's bulk actions for its confirmation dialog: ``value``, ``target_label`` (status
    label), ``from`` (statuses that change; others are skipped), ``verb``/``verb_cap`` and
    ``final`` (archiving cannot be undone)."""
    out = []
    for value, target in services.BULK_ACTIONS.items():
        verb, verb_cap = BULK_VERBS[value]
        out.append({"value": value, "target_label": Status(target).label, "verb": verb, "verb_cap": verb_cap,
                    "final": target == Status.ARCHIVED,
                    "from": [s for s in Status.values if services.bulk_status_preview([s], value)["change"]]})
    return out


def _undo_button(request, batch: str, previous: dict) -> str:
    """A form posting the bulk change's ``batch`` and the statuses its campaigns came from to
    :func:`campaign_bulk_undo`."""
    inputs = format_html_join("", '<input type="hidden" name="previous" value="{}:{}">', previous.items())
    return format_html(
        '<form method="post" action="{}" class="undo-form" data-testid="bulk-undo">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">'
        '<input type="hidden" name="batch" value="{}">{}'
        '<button class="btn btn-secondary btn-small" type="submit">Undo</button></form>',
        reverse("campaigns:bulk_undo"), get_token(request), _safe_next(request, reverse("campaigns:list")), batch, inputs)


@require_POST
@org_required("edit")
def campaign_bulk(request):
    """Bulk pause / activate / archive of the ticked campaigns (the list asks to confirm first).
    The message says how many changed and, unless archived, offers "Undo"."""
    action = request.POST.get("action", "")
    try:
        result = services.campaign_bulk_set_status(
            organization=_org(request), actor=request.user, campaign_ids=request.POST.getlist("ids"), action=action,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        verb = BULK_VERBS[action][1].rstrip("e") + "ed"
        n = len(result["changed"])
        text = f"{verb} {n} campaign{'s' if n != 1 else ''}."
        if result["skipped"]:
            target = Status(services.BULK_ACTIONS[action]).label.lower()
            text += f" {len(result['skipped'])} skipped (already {target}{' or archived' if target != 'archived' else ''})."
        if result["previous"] and services.BULK_ACTIONS[action] != Status.ARCHIVED:
            messages.success(request, format_html("{} {}", text, _undo_button(request, result["batch"], result["previous"])))
        else:
            messages.success(request, text)
    return redirect(_safe_next(request, reverse("campaigns:list")))


@require_POST
@org_required("edit")
def campaign_bulk_undo(request):
    """POST ``batch`` and ``previous`` = ``<campaign id>:<status>`` (repeated): puts each campaign back to the
    status it had before the bulk change (see :func:`services.campaign_bulk_undo`)."""
    previous = {}
    for item in request.POST.getlist("previous"):
        pk, _, status = item.partition(":")
        previous[pk] = status
    try:
        result = services.campaign_bulk_undo(organization=_org(request), actor=request.user,
                                             batch=request.POST.get("batch", ""), previous=previous)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        n = len(result["restored"])
        text = f"Undone: {n} campaign{'s' if n != 1 else ''} back to {'their' if n != 1 else 'its'} previous status."
        if result["skipped"]:
            text += f" {len(result['skipped'])} not changed back (changed again since)."
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


def _major(minor, currency, extra_digits: int = 0) -> str:
    """Minor units → major units as text with the currency's decimals (+ ``extra_digits`` for
    averages such as CPC): 1234 USD → "12.34"; 500 JPY → "500"."""
    if minor is None:
        return ""
    exponent = currency_exponent(currency)
    major = Decimal(str(minor)).scaleb(-exponent)
    return str(major.quantize(Decimal(1).scaleb(-(exponent + extra_digits)), rounding=ROUND_HALF_UP))


def _fmt(value, digits=4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


#: The KPI columns of BOTH CSV exports (campaign list and report), in this order: money in major
#: units of the row's ``currency`` column, rates as percentages, ROAS as a ratio.
KPI_COLUMNS = [
    "impressions", "reach", "clicks", "spend (major units)", "conversions", "conversion value (major units)",
    "video plays", "thruplays", "ctr (%)", "cpc (major units)", "cpm (major units)", "cpa (major units)",
    "roas (ratio)", "thruplay rate (%)",
]


def kpi_cells(k: dict, currency: str) -> list:
    """One row's :data:`KPI_COLUMNS` from a KPI dict of :mod:`campaigns.selectors` (metrics in
    minor units, rates as fractions): sums with the currency's decimals, averages (CPC, CPM, CPA)
    with two more, percentages and ROAS with 4 decimals; empty where a KPI is undefined."""
    def pct(value):
        return "" if value is None else f"{value * 100:.4f}"

    return [
        k["impressions"], k["reach"], k["clicks"], _major(k["spend_minor"], currency), k["conversions"],
        _major(k["conversion_value_minor"], currency), k.get("video_plays", 0), k.get("thruplays", 0), pct(k["ctr"]),
        _major(k["cpc_minor"], currency, 2), _major(k["cpm_minor"], currency, 2), _major(k["cpa_minor"], currency, 2),
        _fmt(k["roas"]), pct(k["thruplay_rate"]),
    ]


@org_required("view")
def campaign_export(request):
    """CSV of the campaigns matching the list's filters, with KPIs over the chosen range
    (default the last 30 days): :data:`KPI_COLUMNS`, money in major units of each campaign's
    ``currency``."""
    org = _org(request)
    filters_form = validate_query_form(CampaignFilterForm(request.GET or None))
    filters = filters_form.selector_filters() if request.GET else CampaignFilterForm().selector_filters()
    range_form = validate_query_form(DateRangeForm(request.GET or None), DateRangeForm.PARAMS)
    date_range = range_form.date_range(LIST_KPI_DAYS)
    qs = selectors.campaign_list(organization=org, filters=filters)
    header = [
        "id", "name", "status", "objective", "meta_objective", "platforms", "budget_level", "budget_type",
        "budget (major units)", "currency", "starts_at", "ends_at", "ad_sets", "ads", "from", "to", *KPI_COLUMNS,
    ]

    def rows():
        iterator = qs.iterator(chunk_size=500)
        while chunk := list(islice(iterator, 500)):
            kpis = selectors.campaign_kpis(campaign_ids=[c.pk for c in chunk], date_range=date_range)
            for c in chunk:
                cur = c.currency
                yield [
                    c.pk, c.name, c.status, c.objective, META_OBJECTIVE.get(c.objective, ""), " ".join(c.platforms),
                    c.budget_level, c.budget_type, _major(c.budget_minor, cur), cur,
                    c.starts_at.isoformat() if c.starts_at else "", c.ends_at.isoformat() if c.ends_at else "",
                    c.ad_set_count, c.ad_count, date_range.start, date_range.end, *kpi_cells(kpis[c.pk], cur),
                ]

    return _csv_response(f"campaigns-{date_range.start}-{date_range.end}.csv", header, rows())


@org_required("view")
def report_export(request):
    """CSV report: KPIs over a range grouped by ``group_by`` (campaign, ad_set, ad, day, platform),
    one block of rows per currency (money is never converted): the group's key columns,
    ``currency``, then :data:`KPI_COLUMNS` (money in major units, as in the campaign export)."""
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
    currencies = selectors.dashboard_currencies(organization=org)
    if request.GET.get("currency", "") in currencies:
        currencies = [request.GET["currency"]]  # the dashboard's link: one currency's campaigns
    key_cols = {"day": ["date"], "platform": ["platform"]}.get(group_by, ["id", "name"])

    def rows():
        for currency in currencies:
            for r in selectors.kpis_for(organization=org, date_range=date_range, group_by=group_by,
                                        filters={**filters, "currency": currency}):
                yield [*(r.get(c) for c in key_cols), currency, *kpi_cells(r, currency)]

    return _csv_response(f"report-{group_by}-{date_range.start}-{date_range.end}.csv",
                         [*key_cols, "currency", *KPI_COLUMNS], rows())


# --- detail ---------------------------------------------------------------------------------


@org_required("view")
def campaign_detail(request, pk: int):
    org = _org(request)
    range_form = validate_query_form(PageDateRangeForm(request.GET or None), DateRangeForm.PARAMS)
    date_range = range_form.date_range(LIST_KPI_DAYS)
    data = selectors.campaign_detail(organization=org, campaign_id=pk, date_range=date_range)
    from django.db.models import prefetch_related_objects

    from videogen.selectors import campaign_videos

    prefetch_related_objects([a["ad"] for item in data["ad_sets"] for a in item["ads"]], "creative_render")
    return render(request, "campaigns/detail.html", {
        **data, "hierarchy_warnings": hierarchy_warnings(campaign=data["campaign"]),
        "videos": campaign_videos(organization=org, campaign=data["campaign"]),
        "range_form": range_form, "date_range": date_range, "range_key": range_form.range_key(),
        "can_edit": _can_edit(request) and data["campaign"].status != Status.ARCHIVED,
        # "Sync now" (insights_views.campaign_sync: capability edit) also for an archived campaign's past delivery
        "can_sync": _can_edit(request) and bool(data["campaign"].platforms),
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


def _every_error(form, service, kwargs: dict | None, field_map: dict, first: ValidationError | None) -> None:
    """Puts every problem on the bound ``form`` at once: the form's own field errors, ``first``
    (the form's conversion errors, e.g. too many decimals) and what a rolled-back run of
    ``service`` with the rest of the input (``kwargs``, fields in error left empty) says about the
    OTHER fields. A field that already shows its own error keeps only that one."""
    if first is not None:
        apply_service_errors(form, first, field_map)
    if kwargs is None:
        return
    own = {name: list(errors) for name, errors in form.errors.items() if name != NON_FIELD_ERRORS}
    try:
        extra = _dry_run(service, **kwargs)
    except Exception:  # noqa: BLE001 - best effort: incomplete input may not even reach the rules
        return
    if extra is not None:
        apply_service_errors(form, extra, field_map)
    for name, errors in own.items():
        form.errors[name] = form.error_class(errors)


def _handle_form(request, *, form, service, service_kwargs: dict, on_success, template: str, context: dict):
    """Shared POST flow: parse → (htmx validate → fragment) | (service → redirect | re-render).
    Invalid input is answered with every problem at once (:func:`_every_error`), never only the
    first kind found."""
    validating = request.method == "POST" and request.GET.get("validate") == "1"
    field_map = getattr(form, "FIELD_MAP", {})
    if request.method == "POST":
        form_ok = form.is_valid()
        conversion = kwargs = None
        try:
            kwargs = {**service_kwargs, **form.service_kwargs()}
        except ValidationError as exc:
            conversion = exc
            partial = getattr(form, "partial_kwargs", None)
            kwargs = {**service_kwargs, **partial} if partial is not None else None
        except (KeyError, TypeError, ValueError):  # a form with field errors may lack what it needs
            kwargs = None
        if kwargs is not None and (validating or not form_ok or conversion is not None):
            kwargs.pop("creative", None)  # dry runs never store an upload
        if form_ok and conversion is None and kwargs is not None:
            if validating:
                return _validation_fragment(request, form, _dry_run(service, **kwargs), field_map)
            try:
                obj = service(**kwargs)
            except ValidationError as exc:
                apply_service_errors(form, exc, field_map)
            else:
                return on_success(obj)
        else:
            _every_error(form, service, kwargs, field_map, conversion)
            if validating:
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
                 "campaign": ad_set.campaign, "hierarchy_warnings": hierarchy_warnings(campaign=ad_set.campaign, ad_set=ad_set),
                 "validate_url": reverse("campaigns:ad_set_edit", args=[ad_set.pk]) + "?validate=1"},
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
    form = AdForm(request.POST or None, request.FILES or None, organization=_org(request), ad_set=ad_set)

    def done(ad):
        messages.success(request, f"Ad “{ad.name}” created.")
        return redirect(detail_url)

    return _handle_form(
        request, form=form, service=services.ad_create, service_kwargs={"ad_set": ad_set, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": f"New ad in {ad_set.name}", "submit": "Create ad", "cancel_url": detail_url, "campaign": ad_set.campaign,
                 "multipart": True, "hierarchy_warnings": hierarchy_warnings(campaign=ad_set.campaign, ad_set=ad_set),
                 "validate_url": reverse("campaigns:ad_create", args=[ad_set.pk]) + "?validate=1"},
    )


@org_required("edit")
def ad_edit(request, pk: int):
    ad = get_for_org_or_404(Ad.objects.select_related("ad_set__campaign", "creative_render__job"), _org(request), pk=pk)
    detail_url = reverse("campaigns:detail", args=[ad.ad_set.campaign_id])
    for obj, kind in ((ad.ad_set.campaign, "campaign"), (ad.ad_set, "ad set"), (ad, "ad")):
        if (blocked := _editable_or_redirect(request, obj, kind, detail_url)) is not None:
            return blocked
    form = AdForm(request.POST or None, request.FILES or None, ad=ad, organization=_org(request))

    def done(obj):
        messages.success(request, f"Ad “{obj.name}” saved.")
        return redirect(detail_url)

    return _handle_form(
        request, form=form, service=services.ad_update, service_kwargs={"ad": ad, "actor": request.user},
        on_success=done, template="campaigns/form.html",
        context={"title": f"Edit ad {ad.name}", "submit": "Save changes", "cancel_url": detail_url, "campaign": ad.ad_set.campaign,
                 "ad": ad, "hierarchy_warnings": hierarchy_warnings(campaign=ad.ad_set.campaign, ad=ad), "multipart": True,
                 "validate_url": reverse("campaigns:ad_edit", args=[ad.pk]) + "?validate=1"},
    )


@require_POST
@org_required("edit")
def ad_archive(request, pk: int):
    ad = get_for_org_or_404(Ad.objects.select_related("ad_set__campaign"), _org(request), pk=pk)
    services.ad_archive(ad=ad, actor=request.user)
    messages.success(request, f"Ad “{ad.name}” archived.")
    return redirect("campaigns:detail", pk=ad.ad_set.campaign_id)
