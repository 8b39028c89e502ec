"""Writes for campaigns, ad sets, ads, platform connections and insights.

Every function is keyword-only and atomic: on bad input it raises
``django.core.exceptions.ValidationError`` with a dict ``{field: [message, ...]}`` (``__all__``
for the object as a whole) and nothing is saved. Each write of a user leaves an AuditEvent, and
every write calls :func:`kolony.datacache.data_changed`, which retires the organization's cached
pages (and, for insights, its dashboard numbers) so the change shows on the next request.

Rules come from the database constraints on the models (checked before saving, so every field's
problem is reported at once) and from the platforms:

- objective changes only while a campaign is a draft (Meta refuses objective changes once a
  campaign has been published);
- a lifetime budget needs an end (Meta: ``end_time`` is required with ``lifetime_budget``);
- an ad set's optimization goal must suit the campaign objective
  (:data:`campaigns.choices.OPTIMIZATION_GOALS_BY_OBJECTIVE`, after Meta's objective/goal table);
- archived objects are final: they cannot be edited (Meta: archived objects can only be deleted).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

from kolony.accounts.services import audit_log
from kolony.datacache import data_changed

from .choices import (
    OPTIMIZATION_GOALS_BY_OBJECTIVE,
    PLACEMENT_PLATFORM,
    STATUS_TRANSITIONS,
    BidStrategy,
    BillingEvent,
    BudgetLevel,
    BudgetType,
    CallToAction,
    OptimizationGoal,
    Placement,
    Platform,
    Status,
)
from .models import CONSTRAINT_FIELDS, Ad, AdSet, Campaign, InsightDaily, PlatformConnection
from .validators import DEFAULT_TARGETING, clean_targeting, validate_creative_file, validate_currency

ARCHIVED_MESSAGE = "This {kind} is archived and can no longer be edited."


# --- helpers ---------------------------------------------------------------------------------


class _Errors(dict):
    def add(self, field: str, message) -> None:
        messages = message if isinstance(message, list) else [message]
        self.setdefault(field, []).extend(str(m) for m in messages)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _validate(instance: Model, errors: _Errors | None = None, exclude: Iterable[str] = ()) -> None:
    """Field validation plus every DB constraint of ``instance``'s model, each problem reported on
    the field named in :data:`CONSTRAINT_FIELDS`. Raises ValidationError (field → messages)."""
    errors = errors if errors is not None else _Errors()
    try:
        instance.full_clean(exclude=set(exclude) | set(errors), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.add(field, messages)
    for constraint in instance._meta.constraints:
        field = CONSTRAINT_FIELDS.get(constraint.name, "__all__")
        if field in errors:
            continue
        try:
            constraint.validate(type(instance), instance, exclude=set(errors))
        except ValidationError as exc:
            errors.add(field, exc.messages)
    errors.raise_if_any()


def _save(instance: Model, **kwargs) -> None:
    """Saves inside a savepoint, turning a constraint violation that slipped past ``_validate``
    (a concurrent write) into a ValidationError on the constraint's field."""
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as exc:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        constraint = next((c for c in instance._meta.constraints if c.name == name), None)
        message = getattr(constraint, "violation_error_message", None) or "This conflicts with existing data."
        text = str(message) % {"name": name} if "%(" in str(message) else str(message)
        raise ValidationError({CONSTRAINT_FIELDS.get(name or "", "__all__"): [text]}) from exc


def _clean_name(name) -> str:
    return (name or "").strip()


def _dedupe(values: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or ():
        if v not in out:
            out.append(v)
    return out


def _check_not_archived(obj, kind: str) -> None:
    if obj.status == Status.ARCHIVED:
        raise ValidationError({"__all__": [ARCHIVED_MESSAGE.format(kind=kind)]})


def _check_transition(current: str, wanted: str, errors: _Errors) -> None:
    if wanted != current and wanted not in STATUS_TRANSITIONS.get(current, set()):
        errors.add("status", f"Can't change the status from {Status(current).label} to {Status(wanted).label}.")


def _audit(organization, actor, action: str, target, **metadata) -> None:
    audit_log(organization=organization, actor=actor, action=action, target=target, metadata=metadata)


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _changes(before: dict, obj, fields) -> dict:
    """{field: [before, after]} (JSON values) of the ``fields`` whose value changed: what the audit
    log shows as before → after."""
    return {f: [_jsonable(before[f]), _jsonable(getattr(obj, f))] for f in fields if getattr(obj, f) != before[f]}


def _copy_name(name: str, existing_lower: set[str]) -> str:
    base = f"{name} (copy)"
    candidate, n = base, 2
    while candidate.lower() in existing_lower:
        candidate = f"{name} (copy {n})"
        n += 1
    return candidate[:200]


# --- campaigns -------------------------------------------------------------------------------

CAMPAIGN_FIELDS = (
    "name", "objective", "platforms", "status", "special_ad_categories", "budget_type", "budget_level",
    "budget_minor", "currency", "starts_at", "ends_at",
)


def _campaign_rules(campaign: Campaign, errors: _Errors) -> None:
    campaign.name = _clean_name(campaign.name)
    campaign.currency = (campaign.currency or "").strip().upper()
    campaign.platforms = _dedupe(campaign.platforms)
    campaign.special_ad_categories = _dedupe(campaign.special_ad_categories)
    unknown = [p for p in campaign.platforms if p not in Platform.values]
    if unknown:
        errors.add("platforms", f"Unknown platform(s): {', '.join(map(str, unknown))}; choose {' or '.join(Platform.labels)}.")
    elif not campaign.platforms:
        errors.add("platforms", f"Choose at least one platform: {' or '.join(Platform.labels)}.")
    if campaign.currency:
        try:
            validate_currency(campaign.currency)
        except ValidationError as exc:
            errors.add("currency", exc.messages)
    if campaign.budget_level == BudgetLevel.CAMPAIGN and campaign.budget_minor is None:
        errors.add("budget_minor", "Set the campaign budget, or choose budgets per ad set.")
    if campaign.budget_level == BudgetLevel.AD_SET and campaign.budget_minor is not None:
        errors.add("budget_minor", "Budgets are set on each ad set; leave the campaign budget empty or choose a campaign budget.")


@transaction.atomic
def campaign_create(
    *,
    organization,
    actor,
    name: str,
    objective: str,
    platforms: Sequence[str],
    status: str = Status.DRAFT,
    special_ad_categories: Sequence[str] = (),
    budget_type: str = BudgetType.DAILY,
    budget_level: str = BudgetLevel.AD_SET,
    budget_minor: int | None = None,
    currency: str = "USD",
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
) -> Campaign:
    """Creates a campaign in ``organization``.

    ``budget_minor`` is an integer in minor units of ``currency`` (ISO 4217), required when
    ``budget_level`` is ``campaign`` and empty when it is ``ad_set``. ``status`` may be draft,
    active or paused. Raises ValidationError per field (duplicate name, unknown currency, end not
    after start, non-positive budget, …).
    """
    errors = _Errors()
    campaign = Campaign(
        organization=organization, created_by=actor if getattr(actor, "pk", None) else None, name=name,
        objective=objective, platforms=list(platforms or []), status=status,
        special_ad_categories=list(special_ad_categories or []), budget_type=budget_type, budget_level=budget_level,
        budget_minor=budget_minor, currency=currency, starts_at=starts_at, ends_at=ends_at,
    )
    if status == Status.ARCHIVED:
        errors.add("status", "A new campaign can be draft, active or paused.")
    _campaign_rules(campaign, errors)
    _validate(campaign, errors, exclude={"organization", "created_by"})
    _save(campaign)
    data_changed(organization)
    _audit(organization, actor, "campaign.created", campaign, objective=campaign.objective, platforms=campaign.platforms)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor, **changes) -> Campaign:
    """Changes any of :data:`CAMPAIGN_FIELDS` on ``campaign``.

    Raises ValidationError: the campaign is archived; an unknown field; the objective or currency
    changes after the draft stage; a status change not allowed by
    :data:`campaigns.choices.STATUS_TRANSITIONS`; moving budgets to the ad sets while some ad set
    has none; any field rule of :func:`campaign_create`.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _check_not_archived(campaign, "campaign")
    errors = _Errors()
    unknown = set(changes) - set(CAMPAIGN_FIELDS)
    for field in sorted(unknown):
        errors.add(field, "This field cannot be changed.")
    before = {f: getattr(campaign, f) for f in CAMPAIGN_FIELDS}
    for field, value in changes.items():
        if field in CAMPAIGN_FIELDS:
            setattr(campaign, field, list(value) if field in ("platforms", "special_ad_categories") else value)
    if "status" in changes:
        _check_transition(before["status"], campaign.status, errors)
    if campaign.status != Status.DRAFT or before["status"] != Status.DRAFT:
        if campaign.objective != before["objective"]:
            errors.add("objective", "The objective can only be changed while the campaign is a draft.")
        if (campaign.currency or "").upper() != before["currency"]:
            errors.add("currency", "The currency can only be changed while the campaign is a draft.")
    _campaign_rules(campaign, errors)
    live_sets = list(campaign.ad_sets.exclude(status=Status.ARCHIVED))
    if campaign.budget_level == BudgetLevel.AD_SET and before["budget_level"] == BudgetLevel.CAMPAIGN:
        missing = [s.name for s in live_sets if s.budget_minor is None]
        if missing:
            errors.add("budget_level", f"Give these ad sets a budget first: {', '.join(missing)}.")
    if campaign.objective != before["objective"]:
        allowed = OPTIMIZATION_GOALS_BY_OBJECTIVE[campaign.objective] if campaign.objective in OPTIMIZATION_GOALS_BY_OBJECTIVE else []
        bad = [s.name for s in live_sets if s.optimization_goal not in allowed]
        if bad:
            errors.add("objective", f"These ad sets optimise for a goal this objective does not offer: {', '.join(bad)}.")
    _validate(campaign, errors, exclude={"organization", "created_by"})
    _save(campaign)
    if campaign.budget_level == BudgetLevel.CAMPAIGN and before["budget_level"] == BudgetLevel.AD_SET:
        campaign.ad_sets.update(budget_minor=None)  # Meta: a campaign budget replaces ad set budgets
    if campaign.currency != before["currency"]:
        campaign.ad_sets.update(currency=campaign.currency)
    changed = _changes(before, campaign, CAMPAIGN_FIELDS)
    if campaign.status != before["status"] and campaign.status == Status.ARCHIVED:
        _archive_children(campaign)
    data_changed(campaign.organization)
    _audit(campaign.organization, actor, "campaign.updated", campaign, changes=changed, currency=campaign.currency)
    return campaign


def _archive_children(campaign: Campaign) -> None:
    AdSet.objects.filter(campaign=campaign).update(status=Status.ARCHIVED)
    Ad.objects.filter(ad_set__campaign=campaign).update(status=Status.ARCHIVED)


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, actor, status: str, batch: str = "") -> Campaign:
    """Moves ``campaign`` to ``status`` (draft/active/paused/archived) following
    :data:`STATUS_TRANSITIONS`; archiving also archives its ad sets and ads. ``batch``: the bulk
    change this is part of (recorded in the audit event, for undo). Raises ValidationError on
    ``status`` for a change that is not allowed."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    errors = _Errors()
    if status not in Status.values:
        errors.add("status", f"Unknown status '{status}'.")
    else:
        _check_transition(campaign.status, status, errors)
    errors.raise_if_any()
    if campaign.status == status:
        return campaign
    before = campaign.status
    campaign.status = status
    _save(campaign, update_fields=["status", "updated_at"])
    if status == Status.ARCHIVED:
        _archive_children(campaign)
    data_changed(campaign.organization)
    _audit(campaign.organization, actor, f"campaign.{'archived' if status == Status.ARCHIVED else 'status_changed'}",
           campaign, changes={"status": [before, status]}, **({"batch": batch} if batch else {}))
    return campaign


def campaign_archive(*, campaign: Campaign, actor) -> Campaign:
    """Archives ``campaign`` with its ad sets and ads (final; see module docstring)."""
    if campaign.status == Status.ARCHIVED:
        return campaign
    return campaign_set_status(campaign=campaign, actor=actor, status=Status.ARCHIVED)


BULK_ACTIONS = {"pause": Status.PAUSED, "activate": Status.ACTIVE, "archive": Status.ARCHIVED}


@transaction.atomic
def campaign_bulk_set_status(*, organization, actor, campaign_ids: Iterable[int], action: str) -> dict:
    """Applies ``action`` (pause, activate or archive) to campaigns of ``organization``.

    Returns ``{"changed": [ids], "skipped": [ids], "previous": {id: status it came from},
    "batch": id of this change}`` (skipped: already there or not allowed, e.g. archived ones); the
    batch id and previous statuses are what :func:`campaign_bulk_undo` takes. Raises
    ValidationError on ``action`` when unknown, or on ``ids`` when any id is not a campaign of
    this organization (then nothing changes).
    """
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": [f"Unknown action '{action}'; use pause, activate or archive."]})
    try:
        ids = sorted({int(i) for i in campaign_ids})
    except (TypeError, ValueError) as exc:
        raise ValidationError({"ids": ["Campaign ids must be integers."]}) from exc
    if not ids:
        raise ValidationError({"ids": ["Select at least one campaign."]})
    campaigns = list(Campaign.objects.filter(organization=organization, pk__in=ids).order_by("pk").select_for_update())
    missing = sorted(set(ids) - {c.pk for c in campaigns})
    if missing:
        raise ValidationError({"ids": [f"Not found: {', '.join(map(str, missing))}."]})
    target = BULK_ACTIONS[action]
    changed, skipped, previous, batch = [], [], {}, uuid.uuid4().hex
    for campaign in campaigns:
        if campaign.status == target or target not in STATUS_TRANSITIONS[campaign.status]:
            skipped.append(campaign.pk)
            continue
        previous[campaign.pk] = campaign.status  # = the audit event's changes["status"][0]
        campaign_set_status(campaign=campaign, actor=actor, status=target, batch=batch)
        changed.append(campaign.pk)
    return {"changed": changed, "skipped": skipped, "previous": previous, "batch": batch}


def bulk_status_preview(statuses: Iterable[str], action: str) -> dict:
    """What :func:`campaign_bulk_set_status` would do to campaigns in ``statuses``:
    ``{"change": n, "skip": m}``. Raises ValidationError on ``action`` when unknown."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": [f"Unknown action '{action}'; use pause, activate or archive."]})
    target = BULK_ACTIONS[action]
    statuses = list(statuses)
    change = sum(1 for s in statuses if s != target and target in STATUS_TRANSITIONS.get(s, set()))
    return {"change": change, "skip": len(statuses) - change}


@transaction.atomic
def campaign_bulk_undo(*, organization, actor, batch: str, previous: dict) -> dict:
    """Undoes a bulk pause/activate: ``batch`` and ``previous`` = ``{campaign id: status it came
    from}`` as :func:`campaign_bulk_set_status` returned them. A campaign goes back only while its
    latest status event in the audit trail belongs to that batch and is exactly ``[previous
    status, current status]`` (nothing changed it since) and was not an archive (archiving is
    final); it may go back to Draft. Each undo is
    audited as ``campaign.status_changed`` with ``undo: true``.

    Returns ``{"restored": [ids], "skipped": [ids]}``. Raises ValidationError on ``ids`` for ids
    that are not integers or not campaigns of ``organization`` (then nothing changes)."""
    from kolony.accounts.models import AuditEvent

    try:
        wanted = {int(pk): str(status) for pk, status in previous.items()}
    except (TypeError, ValueError) as exc:
        raise ValidationError({"ids": ["Campaign ids must be integers."]}) from exc
    if not wanted:
        raise ValidationError({"ids": ["Nothing to undo."]})
    campaigns = list(Campaign.objects.filter(organization=organization, pk__in=wanted).order_by("pk").select_for_update())
    missing = sorted(set(wanted) - {c.pk for c in campaigns})
    if missing:
        raise ValidationError({"ids": [f"Not found: {', '.join(map(str, missing))}."]})
    restored, skipped = [], []
    for campaign in campaigns:
        before = wanted[campaign.pk]
        last = (AuditEvent.objects.filter(organization=organization, target_type=Campaign._meta.label,
                                          target_id=str(campaign.pk), action__startswith="campaign.")
                .filter(metadata__changes__has_key="status").order_by("-created_at", "-id").first())
        recorded = ((last.metadata.get("changes") or {}).get("status") if last is not None else None)
        if (last is None or last.action != "campaign.status_changed" or recorded != [before, campaign.status]
                or not batch or last.metadata.get("batch") != batch
                or before not in Status.values or before == Status.ARCHIVED):
            skipped.append(campaign.pk)
            continue
        current = campaign.status
        campaign.status = before
        _save(campaign, update_fields=["status", "updated_at"])
        _audit(organization, actor, "campaign.status_changed", campaign, changes={"status": [current, before]}, undo=True)
        restored.append(campaign.pk)
    if restored:
        data_changed(organization)
    return {"restored": restored, "skipped": skipped}


@transaction.atomic
def campaign_duplicate(*, campaign: Campaign, actor, name: str | None = None) -> Campaign:
    """Copies ``campaign`` with its ad sets and ads (not archived ones) as a new draft; external
    ids and insights are not copied; ads share the original's creative file. The copy is named
    ``name`` or "<name> (copy)", "(copy 2)", … Raises ValidationError on ``name`` when taken."""
    org = campaign.organization
    if name is None:
        live = Campaign.objects.filter(organization=org).exclude(status=Status.ARCHIVED)
        existing = {n.lower() for n in live.values_list("name", flat=True)}
        name = _copy_name(campaign.name, existing)
    copy = campaign_create(
        organization=org, actor=actor, name=name, objective=campaign.objective, platforms=campaign.platforms,
        special_ad_categories=campaign.special_ad_categories, budget_type=campaign.budget_type,
        budget_level=campaign.budget_level, budget_minor=campaign.budget_minor, currency=campaign.currency,
        starts_at=campaign.starts_at, ends_at=campaign.ends_at,
    )
    for ad_set in campaign.ad_sets.exclude(status=Status.ARCHIVED).prefetch_related("ads"):
        ads = [a for a in ad_set.ads.all() if a.status != Status.ARCHIVED]
        ad_set.pk = None
        ad_set.id = None
        ad_set.campaign = copy
        ad_set.status = Status.DRAFT
        ad_set.external = {}
        ad_set.save()
        for ad in ads:
            ad.pk = None
            ad.id = None
            ad.ad_set = ad_set
            ad.status = Status.DRAFT
            ad.external = {}
            ad.save()
    data_changed(org)
    _audit(org, actor, "campaign.duplicated", copy, source_id=campaign.pk)
    return copy


# --- ad sets ---------------------------------------------------------------------------------

AD_SET_FIELDS = (
    "name", "status", "budget_minor", "starts_at", "ends_at", "bid_strategy", "bid_amount_minor", "billing_event",
    "optimization_goal", "placements", "targeting",
)


def _ad_set_rules(ad_set: AdSet, campaign: Campaign, errors: _Errors) -> None:
    ad_set.name = _clean_name(ad_set.name)
    ad_set.currency = campaign.currency
    ad_set.placements = _dedupe(ad_set.placements)
    if campaign.budget_level == BudgetLevel.CAMPAIGN and ad_set.budget_minor is not None:
        errors.add("budget_minor", "This campaign's budget is set on the campaign; leave the ad set budget empty.")
    if campaign.budget_level == BudgetLevel.AD_SET and ad_set.budget_minor is None:
        errors.add("budget_minor", f"Set the ad set's {campaign.get_budget_type_display().lower()} budget "
                                   f"in {campaign.currency}.")
    if (campaign.budget_level == BudgetLevel.AD_SET and campaign.budget_type == BudgetType.LIFETIME
            and ad_set.ends_at is None and campaign.ends_at is None):
        errors.add("ends_at", "A lifetime budget needs an end date.")
    if campaign.starts_at and ad_set.starts_at and ad_set.starts_at < campaign.starts_at:
        errors.add("starts_at", "The ad set cannot start before its campaign.")
    if campaign.ends_at and ad_set.ends_at and ad_set.ends_at > campaign.ends_at:
        errors.add("ends_at", "The ad set cannot end after its campaign.")
    allowed = OPTIMIZATION_GOALS_BY_OBJECTIVE.get(campaign.objective, [])
    if not ad_set.optimization_goal and allowed:
        ad_set.optimization_goal = allowed[0]
    elif ad_set.optimization_goal and ad_set.optimization_goal not in allowed:
        goal = ad_set.optimization_goal
        goal = OptimizationGoal(goal).label if goal in OptimizationGoal.values else goal
        errors.add("optimization_goal", f"“{goal}” does not suit the {campaign.get_objective_display().lower()} "
                   f"objective; choose one of: {', '.join(OptimizationGoal(g).label for g in allowed)}.")
    for placement in ad_set.placements:
        platform = PLACEMENT_PLATFORM.get(placement)
        if platform and platform not in campaign.platforms:
            label = Platform(platform).label
            errors.add("placements", f"{Placement(placement).label} is a {label} placement, but this campaign doesn't run on {label}.")
    try:
        ad_set.targeting = clean_targeting(ad_set.targeting if ad_set.targeting is not None else dict(DEFAULT_TARGETING))
    except ValidationError as exc:
        errors.add("targeting", exc.messages)


@transaction.atomic
def ad_set_create(
    *,
    campaign: Campaign,
    actor,
    name: str,
    budget_minor: int | None = None,
    optimization_goal: str = "",
    status: str = Status.DRAFT,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    bid_strategy: str = BidStrategy.LOWEST_COST_WITHOUT_CAP,
    bid_amount_minor: int | None = None,
    billing_event: str = BillingEvent.IMPRESSIONS,
    placements: Sequence[str] = (),
    targeting: dict | None = None,
) -> AdSet:
    """Creates an ad set under ``campaign`` (its currency is the campaign's).

    ``budget_minor``/``bid_amount_minor`` in minor units. ``optimization_goal`` defaults to the
    objective's first goal. ``targeting`` defaults to
    :data:`campaigns.validators.DEFAULT_TARGETING`. Raises ValidationError per field; on
    ``campaign`` when the campaign is archived.
    """
    if campaign.status == Status.ARCHIVED:
        raise ValidationError({"campaign": ["This campaign is archived; ad sets can no longer be added."]})
    errors = _Errors()
    if status == Status.ARCHIVED:
        errors.add("status", "A new ad set can be draft, active or paused.")
    ad_set = AdSet(
        campaign=campaign, name=name, budget_minor=budget_minor, optimization_goal=optimization_goal or "",
        status=status, starts_at=starts_at, ends_at=ends_at, bid_strategy=bid_strategy, bid_amount_minor=bid_amount_minor,
        billing_event=billing_event, placements=list(placements or []), targeting=targeting,
    )
    _ad_set_rules(ad_set, campaign, errors)
    _validate(ad_set, errors, exclude={"campaign"})
    _save(ad_set)
    data_changed(campaign.organization)
    _audit(campaign.organization, actor, "ad_set.created", ad_set, campaign_id=campaign.pk)
    return ad_set


@transaction.atomic
def ad_set_update(*, ad_set: AdSet, actor, **changes) -> AdSet:
    """Changes any of :data:`AD_SET_FIELDS`. Raises ValidationError when the ad set or its campaign
    is archived, for a disallowed status change, or per field as :func:`ad_set_create`."""
    ad_set = AdSet.objects.select_for_update().select_related("campaign__organization").get(pk=ad_set.pk)
    campaign = ad_set.campaign
    _check_not_archived(ad_set, "ad set")
    _check_not_archived(campaign, "campaign")
    errors = _Errors()
    for field in sorted(set(changes) - set(AD_SET_FIELDS)):
        errors.add(field, "This field cannot be changed.")
    before_status = ad_set.status
    before = {f: copy.deepcopy(getattr(ad_set, f)) for f in AD_SET_FIELDS}
    for field, value in changes.items():
        if field in AD_SET_FIELDS:
            setattr(ad_set, field, list(value) if field == "placements" else value)
    if "status" in changes:
        _check_transition(before_status, ad_set.status, errors)
    _ad_set_rules(ad_set, campaign, errors)
    _validate(ad_set, errors, exclude={"campaign"})
    _save(ad_set)
    if ad_set.status == Status.ARCHIVED and before_status != Status.ARCHIVED:
        ad_set.ads.update(status=Status.ARCHIVED)
    data_changed(campaign.organization)
    _audit(campaign.organization, actor, "ad_set.updated", ad_set, changes=_changes(before, ad_set, AD_SET_FIELDS),
           currency=ad_set.currency)
    return ad_set


def ad_set_archive(*, ad_set: AdSet, actor) -> AdSet:
    """Archives ``ad_set`` and its ads (final)."""
    if ad_set.status == Status.ARCHIVED:
        return ad_set
    if ad_set.campaign.status == Status.ARCHIVED:
        return ad_set
    return ad_set_update(ad_set=ad_set, actor=actor, status=Status.ARCHIVED)


# --- ads ------------------------------------------------------------------------------------

AD_FIELDS = (
    "name", "status", "creative", "primary_text", "headline", "description", "call_to_action", "destination_url",
    "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "creative_render", "creative_ratio",
)
_NO_CHOICE = object()


def _ad_rules(ad: Ad, errors: _Errors, new_file, render_choice=_NO_CHOICE) -> None:
    """Cleans the ad's texts and applies its creative: ``new_file`` (an upload, probed: its size
    and ratio are kept) or ``render_choice`` (``(render, ratio, asset)``, or None to unlink); the
    one chosen replaces the other."""
    ad.name = _clean_name(ad.name)
    for field in ("primary_text", "headline", "description", "destination_url", *Ad.UTM_FIELDS):
        setattr(ad, field, (getattr(ad, field) or "").strip())
    if new_file is not None and render_choice not in (_NO_CHOICE, None):
        errors.add("creative", "Upload a video or choose a Studio render, not both.")
    elif new_file is not None:
        try:
            facts = validate_creative_file(new_file) or {}
        except ValidationError as exc:
            errors.add("creative", exc.messages)
        else:
            from .creatives import ratio_of

            ad.creative_render, ad.creative_asset = None, None
            ad.creative_width, ad.creative_height = facts.get("width") or None, facts.get("height") or None
            ad.creative_ratio = ratio_of(ad.creative_width, ad.creative_height)
    elif render_choice is None:
        ad.creative_render, ad.creative_asset = None, None
        if not ad.creative:
            ad.creative_ratio, ad.creative_width, ad.creative_height = "", None, None
    elif render_choice is not _NO_CHOICE:
        render, ratio, asset = render_choice
        ad.creative_render, ad.creative_asset, ad.creative_ratio = render, asset, ratio
        ad.creative_width, ad.creative_height = asset.width, asset.height
        # The uploaded file is unlinked, not deleted: a duplicated campaign's ads share it.
        ad.creative = ""
    if ad.status == Status.ACTIVE and not ad.has_creative and new_file is None:
        errors.add("status", "Upload a video creative or choose a Studio render before activating the ad.")


def _render_choice(organization, ad_set: AdSet, creative_render, creative_ratio: str, errors: _Errors):
    """``(render, ratio, asset)`` for a chosen render id (None: unlink); errors on
    ``creative_render`` / ``creative_ratio``."""
    from .creatives import resolve_render_choice

    if creative_render in (None, ""):
        if creative_ratio:
            errors.add("creative_ratio", "Choose a Studio render (creative_render) for this format.")
        return None
    if hasattr(creative_render, "pk"):
        creative_render = creative_render.pk
    try:
        return resolve_render_choice(organization=organization, render_id=creative_render, ratio=creative_ratio or "",
                                     placements=ad_set.placements)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.add(field, messages)
        return _NO_CHOICE


def _save_with_file(ad: Ad, new_file) -> None:
    if new_file is not None:
        ad.creative.save(new_file.name.rsplit("/", 1)[-1], new_file, save=False)
    try:
        _save(ad)
    except Exception:
        if new_file is not None and ad.creative and ad.creative.name:
            ad.creative.storage.delete(ad.creative.name)
        raise


def _creative_label(ad: Ad) -> str:
    render = ad.creative_render if ad.creative_render_id else None
    if render is not None:
        return f"Studio render “{render.job.title}” v{render.number} ({ad.creative_ratio})"
    return (ad.creative.name or "").rsplit("/", 1)[-1] if ad.creative else ""


@transaction.atomic
def ad_create(
    *,
    ad_set: AdSet,
    actor,
    name: str,
    creative=None,
    creative_render=None,
    creative_ratio: str = "",
    primary_text: str = "",
    headline: str = "",
    description: str = "",
    call_to_action: str = CallToAction.LEARN_MORE,
    destination_url: str = "",
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    utm_content: str = "",
    utm_term: str = "",
    status: str = Status.DRAFT,
) -> Ad:
    """Creates an ad under ``ad_set``. Its creative is either ``creative``, an uploaded video file
    (Django ``File``): .mp4/.mov/.m4v/.webm whose bytes match, at most ``KOLONY_CREATIVE_MAX_BYTES``
    — or ``creative_render``, the id of a finished Studio render of the same organization, with
    ``creative_ratio`` one of its formats ("9:16"…; empty: the first that fits the ad set's
    placements). ``call_to_action`` is a Meta ``call_to_action.type``. An active ad needs a
    creative. Raises ValidationError per field (``creative_render`` for an unknown or another
    organization's render, ``creative_ratio`` for a format it lacks); on ``ad_set`` when the ad set
    or campaign is archived."""
    if ad_set.status == Status.ARCHIVED or ad_set.campaign.status == Status.ARCHIVED:
        raise ValidationError({"ad_set": ["This ad set is archived; ads can no longer be added."]})
    errors = _Errors()
    if status == Status.ARCHIVED:
        errors.add("status", "A new ad can be draft, active or paused.")
    ad = Ad(
        ad_set=ad_set, name=name, primary_text=primary_text, headline=headline, description=description,
        call_to_action=call_to_action, destination_url=destination_url, utm_source=utm_source, utm_medium=utm_medium,
        utm_campaign=utm_campaign, utm_content=utm_content, utm_term=utm_term, status=status,
    )
    choice = _NO_CHOICE
    if creative_render not in (None, "") or creative_ratio:
        choice = _render_choice(ad_set.campaign.organization, ad_set, creative_render, creative_ratio, errors)
    _ad_rules(ad, errors, creative, choice)
    _validate(ad, errors, exclude={"ad_set", "creative", "creative_render", "creative_asset"})
    _save_with_file(ad, creative)
    data_changed(ad_set.campaign.organization)
    _audit(ad_set.campaign.organization, actor, "ad.created", ad, ad_set_id=ad_set.pk)
    return ad


@transaction.atomic
def ad_update(*, ad: Ad, actor, **changes) -> Ad:
    """Changes any of :data:`AD_FIELDS` (``creative``: a new uploaded file; ``creative_render``: a
    render id as in :func:`ad_create`, None to unlink). Raises ValidationError when the ad, its ad
    set or campaign is archived, or per field as :func:`ad_create`."""
    ad = Ad.objects.select_for_update().select_related("ad_set__campaign__organization").get(pk=ad.pk)
    _check_not_archived(ad, "ad")
    _check_not_archived(ad.ad_set, "ad set")
    _check_not_archived(ad.ad_set.campaign, "campaign")
    errors = _Errors()
    for field in sorted(set(changes) - set(AD_FIELDS)):
        errors.add(field, "This field cannot be changed.")
    new_file = changes.pop("creative", None)
    choice = _NO_CHOICE
    if "creative_render" in changes or "creative_ratio" in changes:
        wanted = changes.pop("creative_render", ad.creative_render_id)
        ratio = changes.pop("creative_ratio", "")
        same = wanted not in (None, "") and str(getattr(wanted, "pk", wanted)) == str(ad.creative_render_id) \
            and (not ratio or ratio == ad.creative_ratio)
        if not same:
            choice = _render_choice(ad.ad_set.campaign.organization, ad.ad_set, wanted, ratio, errors)
    before_status = ad.status
    before = {f: getattr(ad, f) for f in AD_FIELDS if f not in ("creative", "creative_render", "creative_ratio")}
    before_creative = _creative_label(ad)
    for field, value in changes.items():
        if field in AD_FIELDS:
            setattr(ad, field, value)
    if "status" in changes:
        _check_transition(before_status, ad.status, errors)
    _ad_rules(ad, errors, new_file, choice)
    _validate(ad, errors, exclude={"ad_set", "creative", "creative_render", "creative_asset"})
    _save_with_file(ad, new_file)
    data_changed(ad.ad_set.campaign.organization)
    changed = _changes(before, ad, [f for f in AD_FIELDS if f not in ("creative", "creative_render", "creative_ratio")])
    if new_file is not None:
        changed["creative"] = [before_creative, getattr(new_file, "name", "") or "new video"]
    elif choice is not _NO_CHOICE and _creative_label(ad) != before_creative:
        changed["creative"] = [before_creative, _creative_label(ad)]
    _audit(ad.ad_set.campaign.organization, actor, "ad.updated", ad, changes=changed)
    return ad


def ad_archive(*, ad: Ad, actor) -> Ad:
    """Archives ``ad`` (final)."""
    if ad.status == Status.ARCHIVED or ad.ad_set.status == Status.ARCHIVED or ad.ad_set.campaign.status == Status.ARCHIVED:
        return ad
    return ad_update(ad=ad, actor=actor, status=Status.ARCHIVED)


# --- platform connections --------------------------------------------------------------------


@transaction.atomic
def platform_connection_save(
    *, organization, actor, platform: str, ad_account_id: str, token: str, token_expires_at: dt.datetime | None = None
) -> PlatformConnection:
    """Creates or replaces ``organization``'s connection to ``platform``; the OAuth ``token`` is
    stored encrypted (Fernet). Google customer ids may be given as 123-456-7890. Raises
    ValidationError on ``platform`` or ``ad_account_id`` (Meta: act_<digits>; Google: 10 digits)."""
    account = (ad_account_id or "").strip()
    if platform == Platform.GOOGLE:
        account = account.replace("-", "")
    if platform == Platform.META and account.isdigit():
        account = f"act_{account}"
    connection = PlatformConnection.objects.filter(organization=organization, platform=platform).first() or PlatformConnection(
        organization=organization, platform=platform
    )
    connection.ad_account_id = account
    connection.token = token or ""
    connection.token_expires_at = token_expires_at
    connection.connected_by = actor if getattr(actor, "pk", None) else None
    _validate(connection, exclude={"organization", "connected_by", "token_encrypted"})
    _save(connection)
    data_changed(organization)
    _audit(organization, actor, "platform.connected", connection, platform=platform)
    return connection


# --- insights --------------------------------------------------------------------------------


def _insight_row_problem(row: dict) -> str:
    date = row.get("date")
    if isinstance(date, str):
        try:
            row["date"] = date = dt.date.fromisoformat(date)
        except ValueError:
            return f"date '{date}' is not a YYYY-MM-DD date."
    if not isinstance(date, dt.date):
        return "date is required (YYYY-MM-DD)."
    for metric in InsightDaily.METRICS:
        value = row.get(metric, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{metric} must be a whole number."
        if value < 0:
            return f"{metric} cannot be negative."
    if row.get("reach", 0) > row.get("impressions", 0):
        return "reach cannot exceed impressions."
    quartiles = [row.get(f"video_p{q}", 0) for q in (25, 50, 75, 100)]
    if quartiles != sorted(quartiles, reverse=True):
        return "video quartiles must not increase (p25 ≥ p50 ≥ p75 ≥ p100)."
    return ""


@transaction.atomic
def insights_upsert(*, ad: Ad, rows: Iterable[dict]) -> int:
    """Inserts or replaces daily insight rows of ``ad`` (unique on ad × platform × date).

    Each row: ``{"platform": "meta"|"google", "date": date, "impressions": int, "reach": int,
    "clicks": int, "spend_minor": int, "conversions": int, "conversion_value_minor": int,
    "video_plays": int, "thruplays": int, "video_p25".."video_p100": int}`` (missing metrics are
    0; money in minor units of the campaign's currency). Returns the number of rows written.
    Raises ValidationError ``{"rows": ["row 3: …"]}`` for an unknown key, a platform the campaign
    does not run on, or a negative / inconsistent metric; nothing is written then.
    """
    ad = Ad.objects.select_related("ad_set__campaign__organization").get(pk=ad.pk)
    campaign = ad.ad_set.campaign
    objects, problems = [], []
    allowed = {"platform", "date", *InsightDaily.METRICS}
    for i, row in enumerate(rows):
        row = dict(row)
        unknown = set(row) - allowed
        if unknown:
            problems.append(f"row {i}: unknown field(s) {', '.join(sorted(unknown))}.")
            continue
        if row.get("platform") not in campaign.platforms:
            problems.append(f"row {i}: platform '{row.get('platform')}' is not one of this campaign's platforms "
                            f"({', '.join(campaign.platforms)}).")
            continue
        problem = _insight_row_problem(row)
        if problem:
            problems.append(f"row {i}: {problem}")
            continue
        obj = InsightDaily(
            organization_id=campaign.organization_id, campaign_id=campaign.pk, ad_set_id=ad.ad_set_id, ad_id=ad.pk,
            platform=row["platform"], date=row["date"], **{m: int(row.get(m, 0)) for m in InsightDaily.METRICS},
        )
        objects.append(obj)
    if problems:
        raise ValidationError({"rows": problems})
    if not objects:
        return 0
    objects = list({(o.platform, o.date): o for o in objects}.values())  # the last row of a day wins
    InsightDaily.objects.bulk_create(
        objects, batch_size=2000, update_conflicts=True, unique_fields=["ad", "platform", "date"],
        update_fields=[*InsightDaily.METRICS, "updated_at"],
    )
    data_changed(campaign.organization, insights=True)
    return len(objects)
