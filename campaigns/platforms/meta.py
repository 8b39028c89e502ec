"""Meta (Facebook / Instagram) adapter: publishes a render and reads results through the official
``facebook-business`` SDK (26.x, Graph API v26.0), implementing :class:`campaigns.platforms.base.PlatformAdapter`.

The SDK is initialised per call (:func:`_api`: ``FacebookAdsApi.init(..., crash_log=False)`` — the
crash reporter would otherwise post tracebacks to Meta) and pointed at ``settings.META_GRAPH_URL``
through the session's ``GRAPH`` attribute. The SDK's chunked video uploader hard-codes
``https://graph-video.facebook.com``; :class:`_KolonyApi` is the one place that redirects it to
``settings.META_GRAPH_VIDEO_URL`` (tests: tests/integration/platforms/test_meta_publish.py).

Publish steps (Marketing API reference, developers.facebook.com/docs/marketing-api/reference/):
``campaign`` (``POST /act_<id>/campaigns``), ``ad_set`` (``/adsets``), ``video`` (``/advideos``
upload_phase start / transfer / finish), ``video_ready`` (``GET /<video_id>?fields=status`` until
``video_status`` is ``ready``), ``thumbnail`` (``/adimages`` → ``image_hash``), ``creative``
(``/adcreatives`` with ``object_story_spec.video_data``), ``ad`` (``/ads``, PAUSED). Each step
records its external id with ``ctx.record`` the moment Meta returns it; a Kolony campaign / ad set
already linked to Meta (``external["meta"]["id"]``) is reused, not created again.

Every Graph error becomes :class:`PlatformError`: transient for codes 4, 17, 613, 80000–80014
(rate limits, "Rate Limiting" in the Graph API docs) or ``is_transient``, with ``retry_after`` from
``X-Business-Use-Case-Usage`` ``estimated_time_to_regain_access`` (minutes); ``auth`` for code 190
(invalid / expired token) and 102 (session); the blamed field from ``error_data.blame_field_specs``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings

from campaigns.choices import (
    BID_AMOUNT_STRATEGIES,
    META_OBJECTIVE,
    OPTIMIZATION_GOALS_BY_OBJECTIVE,
    BudgetLevel,
    BudgetType,
    CallToAction,
    Gender,
    Placement,
    SpecialAdCategory,
    currency_exponent,
)

from .base import AccountChoice, InsightRow, PlatformError, PublishContext, TokenSet, money_to_minor

#: SDK upload URL the video uploader hard-codes (facebook_business/video_uploader.py VideoUploadRequest.send).
SDK_VIDEO_HOST = "https://graph-video.facebook.com"

#: Throttling codes that need backoff (Graph API "Rate Limiting": 4 app, 17 user, 613 calls
#: within one hour, 80000–80014 Business Use Case limits).
THROTTLE_CODES = frozenset({4, 17, 613, *range(80000, 80015)})
#: Codes meaning the token is expired, revoked or invalid ("Access Token Error Codes").
AUTH_CODES = frozenset({102, 190})

#: Kolony special ad category → Meta ``special_ad_categories`` value (CREDIT was renamed
#: FINANCIAL_PRODUCTS_SERVICES in 2025 — see campaigns/choices.SpecialAdCategory).
SPECIAL_AD_CATEGORY = {
    SpecialAdCategory.HOUSING: "HOUSING",
    SpecialAdCategory.EMPLOYMENT: "EMPLOYMENT",
    SpecialAdCategory.CREDIT: "FINANCIAL_PRODUCTS_SERVICES",
    SpecialAdCategory.ISSUES_ELECTIONS_POLITICS: "ISSUES_ELECTIONS_POLITICS",
}

#: Kolony placement → (publisher platform, position field, position) of Meta's targeting spec.
PLACEMENT_POSITIONS: dict[str, tuple[str, str, str]] = {
    Placement.FACEBOOK_FEED: ("facebook", "facebook_positions", "feed"),
    Placement.FACEBOOK_REELS: ("facebook", "facebook_positions", "facebook_reels"),
    Placement.FACEBOOK_STORIES: ("facebook", "facebook_positions", "story"),
    Placement.INSTAGRAM_FEED: ("instagram", "instagram_positions", "stream"),
    Placement.INSTAGRAM_REELS: ("instagram", "instagram_positions", "reels"),
    Placement.INSTAGRAM_STORIES: ("instagram", "instagram_positions", "story"),
    Placement.AUDIENCE_NETWORK: ("audience_network", "audience_network_positions", "classic"),
}

#: Meta ``genders`` targeting values (1 = men, 2 = women).
GENDER_CODE = {Gender.MALE: 1, Gender.FEMALE: 2}

#: Kolony ad / campaign status → Meta ``status``.
META_STATUS = {True: "ACTIVE", False: "PAUSED"}

#: Insights fields requested (Ads Insights reference).
INSIGHT_FIELDS = (
    "ad_id", "date_start", "date_stop", "account_currency", "spend", "impressions", "reach", "clicks", "actions",
    "action_values", "video_play_actions", "video_p25_watched_actions", "video_p50_watched_actions",
    "video_p75_watched_actions", "video_p100_watched_actions", "video_thruplay_watched_actions", "purchase_roas",
)
#: Rows asked per insights page (Graph API paging ``limit``).
INSIGHTS_PAGE_LIMIT = 100
#: Action types counted as a conversion, in priority order (Meta reports the same purchase under
#: several overlapping types — omni_purchase includes the pixel and on-site purchases — so the
#: first present is taken, never the sum).
CONVERSION_ACTION_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase", "lead",
                           "onsite_conversion.lead_grouped", "offsite_conversion.fb_pixel_lead", "mobile_app_install")


def _sdk():
    """The SDK modules, imported on first use (the SDK is large)."""
    from facebook_business import api as fb_api  # type: ignore[import-untyped]
    from facebook_business import exceptions as fb_exceptions

    return fb_api, fb_exceptions


def _kolony_api_class():
    fb_api, _ = _sdk()

    class _KolonyApi(fb_api.FacebookAdsApi):
        """``FacebookAdsApi`` whose calls for the SDK's hard-coded video host go to
        ``settings.META_GRAPH_VIDEO_URL`` instead — the one place the video uploader is redirected."""

        #: ``callback(video_id)`` run when the chunked upload's ``start`` phase answers (see ``_step_video``).
        upload_started: Callable[[str], None] | None = None

        def call(self, method, path, params=None, headers=None, files=None, url_override=None, api_version=None):
            video_host = bool(url_override) and url_override.rstrip("/") == SDK_VIDEO_HOST
            if video_host:
                url_override = settings.META_GRAPH_VIDEO_URL.rstrip("/")
            response = super().call(method, path, params=params, headers=headers, files=files, url_override=url_override,
                                    api_version=api_version)
            if video_host and self.upload_started is not None and (params or {}).get("upload_phase") == "start":
                self.upload_started(str((response.json() or {}).get("video_id") or ""))
            return response

    return _KolonyApi


_API_CLASS: Any = None


def _api(access_token: str):
    """A fresh SDK api for ``access_token``: ``FacebookAdsApi.init(app_id, app_secret, token,
    api_version=settings.META_API_VERSION, crash_log=False)``, Graph calls to ``META_GRAPH_URL``,
    video upload calls to ``META_GRAPH_VIDEO_URL``, each request bounded by ``META_HTTP_TIMEOUT_S``."""
    global _API_CLASS
    if _API_CLASS is None:
        _API_CLASS = _kolony_api_class()
    if not access_token:
        raise PlatformError("This Meta connection has no access token; reconnect it.", code="190", auth=True)
    api = _API_CLASS.init(app_id=settings.META_APP_ID or None, app_secret=settings.META_APP_SECRET or None,
                          access_token=access_token, api_version=settings.META_API_VERSION, crash_log=False,
                          timeout=getattr(settings, "META_HTTP_TIMEOUT_S", 120))
    api._session.GRAPH = settings.META_GRAPH_URL.rstrip("/")
    return api


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``X-Business-Use-Case-Usage`` (``{business id: [{"type", "call_count",
    "estimated_time_to_regain_access" (minutes), ...}]}``), the longest wait named; None if absent."""
    raw = None
    for key, value in dict(headers or {}).items():
        if key.lower() == "x-business-use-case-usage":
            raw = value
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = [float(entry.get("estimated_time_to_regain_access") or 0)
                   for entries in usage.values() for entry in (entries or [])]
    except (ValueError, AttributeError, TypeError):
        return None
    longest = max(minutes, default=0.0)
    return longest * 60 if longest > 0 else None


def _blamed_field(error: dict) -> str:
    """``error_data.blame_field_specs`` ([["targeting", "geo_locations"], ["daily_budget"]]) →
    "targeting.geo_locations, daily_budget"; error_data may be a JSON string."""
    data = error.get("error_data") or {}
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            data = {}
    specs = data.get("blame_field_specs") if isinstance(data, dict) else None
    if not specs:
        return ""
    parts = [".".join(str(s) for s in spec) if isinstance(spec, list) else str(spec) for spec in specs]
    return ", ".join(parts)


def platform_error(exc: Exception) -> PlatformError:
    """A ``FacebookRequestError`` (or a network failure) as the :class:`PlatformError` the
    orchestrator understands: message = ``error_user_msg`` (else ``message``), code
    ``"<code>"`` or ``"<code>/<error_subcode>"``, field from ``blame_field_specs``."""
    _, fb_exceptions = _sdk()
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, requests.RequestException):
        return PlatformError(f"Meta did not answer ({type(exc).__name__}); Kolony will retry.", code="network",
                             transient=True)
    if not isinstance(exc, fb_exceptions.FacebookRequestError):
        return PlatformError(f"Meta call failed: {exc}", code="sdk")
    body = exc.body() if isinstance(exc.body(), dict) else {}
    error = body.get("error") or {}
    code = exc.api_error_code()
    subcode = exc.api_error_subcode()
    message = error.get("error_user_msg") or exc.api_error_message() or f"Meta answered HTTP {exc.http_status()}."
    title = error.get("error_user_title")
    if title and error.get("error_user_msg") and title not in message:
        message = f"{title}: {message}"
    code_text = f"{code}/{subcode}" if subcode else str(code or exc.http_status())
    throttled = isinstance(code, int) and code in THROTTLE_CODES
    transient = throttled or bool(exc.api_transient_error()) or (code is None and (exc.http_status() or 0) >= 500)
    return PlatformError(message, code=code_text, field=_blamed_field(error), transient=transient,
                         retry_after=_retry_after(exc.http_headers()) if transient else None,
                         auth=isinstance(code, int) and code in AUTH_CODES,
                         details={"type": error.get("type", ""), "fbtrace_id": error.get("fbtrace_id", ""),
                                  "http_status": exc.http_status(), "throttled": throttled})


def _call(fn: Callable[[], Any]) -> Any:
    """Runs one SDK call, turning its errors into :class:`PlatformError`."""
    _, fb_exceptions = _sdk()
    try:
        return fn()
    except (fb_exceptions.FacebookError, requests.RequestException) as exc:
        raise platform_error(exc) from exc


def _account_id(connection: Any) -> str:
    acct = str(connection.ad_account_id or "").strip()
    if not acct:
        raise PlatformError("Pick a Meta ad account for this connection first.", code="no_account", field="ad_account_id")
    return acct if acct.startswith("act_") else f"act_{acct}"


def _token(connection: Any) -> str:
    """The connection's access token, refreshed first when due (P1a's
    ``campaigns.platforms.oauth.connection_token`` when installed)."""
    try:
        from campaigns.platforms.oauth import connection_token
    except ImportError:
        return str(connection.token or "")
    return str(connection_token(connection))


def _epoch(value: datetime | None) -> int | None:
    return int(value.astimezone(dt_timezone.utc).timestamp()) if value else None


def _meta_external_id(obj: Any) -> str:
    entry = (getattr(obj, "external", None) or {}).get("meta") or {}
    return str(entry.get("id") or "") if isinstance(entry, dict) else ""


def campaign_params(campaign: Any, ad_set: Any) -> dict:
    """``POST /act_<id>/campaigns`` params for a Kolony campaign: objective ``OUTCOME_*``
    (campaigns/choices.META_OBJECTIVE), ``special_ad_categories`` always sent (``[]`` for none),
    status PAUSED; a campaign budget (Advantage campaign budget) in minor units with the ad set's
    bid strategy, else ``is_adset_budget_sharing_enabled=False`` (required since v24 without one)."""
    params: dict[str, Any] = {
        "name": campaign.name,
        "objective": META_OBJECTIVE[campaign.objective],
        "special_ad_categories": [SPECIAL_AD_CATEGORY[c] for c in (campaign.special_ad_categories or [])],
        "status": "PAUSED",
    }
    if campaign.budget_level == BudgetLevel.CAMPAIGN and campaign.budget_minor:
        key = "lifetime_budget" if campaign.budget_type == BudgetType.LIFETIME else "daily_budget"
        params[key] = int(campaign.budget_minor)
        params["bid_strategy"] = ad_set.bid_strategy
        if campaign.budget_type == BudgetType.LIFETIME and campaign.ends_at:
            params["stop_time"] = _epoch(campaign.ends_at)
    else:
        params["is_adset_budget_sharing_enabled"] = False
    return params


def targeting_spec(ad_set: Any) -> dict:
    """Kolony targeting (campaigns/validators.TARGETING_SCHEMA) + placements → Meta targeting:
    ``geo_locations.countries``, ``age_min``/``age_max``, ``genders`` (1 men, 2 women),
    placements as ``publisher_platforms`` + ``*_positions`` (none = Advantage+ placements), and
    ``targeting_automation.advantage_audience=0`` (required since 2024: Kolony's audience is used
    as given). Languages and interests need Meta ids from the targeting search and are not sent."""
    t = ad_set.targeting or {}
    spec: dict[str, Any] = {"geo_locations": {"countries": list(t.get("countries") or ["US"])},
                            "targeting_automation": {"advantage_audience": 0}}
    for key in ("age_min", "age_max"):
        if t.get(key):
            spec[key] = int(t[key])
    genders = [GENDER_CODE[g] for g in t.get("genders") or [] if g in GENDER_CODE]
    if genders and len(genders) < 2:
        spec["genders"] = genders
    platforms: list[str] = []
    for placement in ad_set.placements or []:
        if placement not in PLACEMENT_POSITIONS:
            continue
        platform, field_name, position = PLACEMENT_POSITIONS[placement]
        if platform not in platforms:
            platforms.append(platform)
        spec.setdefault(field_name, [])
        if position not in spec[field_name]:
            spec[field_name].append(position)
    if platforms:
        spec["publisher_platforms"] = platforms
    return spec


def ad_set_params(campaign: Any, ad_set: Any, campaign_id: str) -> dict:
    """``POST /act_<id>/adsets`` params: budget in minor units (``daily_budget`` /
    ``lifetime_budget``, unless the campaign holds it), ``billing_event``, ``optimization_goal``
    (the ad set's, else the objective's default), ``bid_strategy`` / ``bid_amount``, targeting,
    ``start_time`` / ``end_time`` (Unix seconds), status PAUSED."""
    goal = ad_set.optimization_goal or OPTIMIZATION_GOALS_BY_OBJECTIVE[campaign.objective][0]
    params: dict[str, Any] = {
        "name": ad_set.name, "campaign_id": campaign_id, "status": "PAUSED",
        "billing_event": ad_set.billing_event, "optimization_goal": goal, "targeting": targeting_spec(ad_set),
    }
    campaign_budget = campaign.budget_level == BudgetLevel.CAMPAIGN and campaign.budget_minor
    if not campaign_budget:
        if ad_set.budget_minor:
            key = "lifetime_budget" if campaign.budget_type == BudgetType.LIFETIME else "daily_budget"
            params[key] = int(ad_set.budget_minor)
        params["bid_strategy"] = ad_set.bid_strategy
    if ad_set.bid_strategy in BID_AMOUNT_STRATEGIES and ad_set.bid_amount_minor:
        params["bid_amount"] = int(ad_set.bid_amount_minor)
    starts = ad_set.starts_at or campaign.starts_at
    ends = ad_set.ends_at or campaign.ends_at
    if starts:
        params["start_time"] = _epoch(starts)
    if ends:
        params["end_time"] = _epoch(ends)
    return params


class MetaAdapter:
    """Meta's :class:`~campaigns.platforms.base.PlatformAdapter` (module attribute ``ADAPTER``).

    ``sleep`` and the video poll bounds are attributes so tests run without waiting:
    ``video_poll_interval_s`` between status polls, at most ``video_poll_attempts`` polls per run
    (then a transient error: the orchestrator retries and this step resumes polling)."""

    platform = "meta"
    steps = ("campaign", "ad_set", "video", "video_ready", "thumbnail", "creative", "ad")

    def __init__(self) -> None:
        self.sleep: Callable[[float], None] = time.sleep
        self.video_poll_interval_s = 5.0
        self.video_poll_attempts = 120

    # --- OAuth (Facebook Login "manually build a login flow"; P1a's oauth.py does the same) ---
    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """The login dialog URL (``META_OAUTH_AUTHORIZE_URL``) with ``state`` and, when given,
        ``code_challenge`` (S256; Meta supports PKCE for manual login flows)."""
        query = {"client_id": settings.META_APP_ID, "redirect_uri": redirect_uri, "state": state,
                 "response_type": "code", "scope": settings.META_OAUTH_SCOPES}
        if code_challenge:
            query.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{settings.META_OAUTH_AUTHORIZE_URL}?{urlencode(query)}"

    def _token_call(self, params: dict) -> TokenSet:
        url = f"{settings.META_GRAPH_URL.rstrip('/')}/{settings.META_API_VERSION}/oauth/access_token"
        try:
            resp = requests.get(url, params=params, timeout=getattr(settings, "PLATFORM_HTTP_TIMEOUT_S", 20))
            body = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise PlatformError("Meta's token endpoint did not answer; try again.", code="network", transient=True) from exc
        if "error" in body or "access_token" not in body:
            error = body.get("error") or {}
            raise PlatformError(error.get("message") or "Meta refused the sign-in.", code=str(error.get("code", "")),
                                auth=True)
        expires_in = body.get("expires_in")
        from django.utils import timezone

        expires_at = timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None
        return TokenSet(access_token=body["access_token"], expires_at=expires_at, scopes=settings.META_OAUTH_SCOPES)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Code → short-lived token → long-lived token (``grant_type=fb_exchange_token``, ~60 days)."""
        params = {"client_id": settings.META_APP_ID, "client_secret": settings.META_APP_SECRET,
                  "redirect_uri": redirect_uri, "code": code}
        if code_verifier:
            params["code_verifier"] = code_verifier
        short = self._token_call(params)
        return self.refresh(refresh_token="", access_token=short.access_token)

    def refresh(self, *, refresh_token: str, access_token: str = "") -> TokenSet:
        """Meta has no refresh tokens: a valid long-lived token is exchanged for a fresh one."""
        return self._token_call({"grant_type": "fb_exchange_token", "client_id": settings.META_APP_ID,
                                 "client_secret": settings.META_APP_SECRET, "fb_exchange_token": access_token})

    def list_accounts(self, *, access_token: str) -> list[AccountChoice]:
        """The user's ad accounts (``GET /me/adaccounts``, every page)."""
        from facebook_business.adobjects.user import User  # type: ignore[import-untyped]

        api = _api(access_token)
        rows = _call(lambda: list(User(fbid="me", api=api).get_ad_accounts(fields=["id", "name", "currency", "timezone_name"])))
        return [AccountChoice(id=r["id"], name=r.get("name", ""), currency=r.get("currency", ""),
                              time_zone=r.get("timezone_name", "")) for r in rows]

    # --- publishing ---
    def run_step(self, ctx: PublishContext, step: str) -> None:
        """Performs ``step`` unless ``ctx.done(step)``; records its external id. Raises PlatformError."""
        if step not in self.steps:
            raise PlatformError(f"Unknown Meta publish step {step!r}.", code="unknown_step")
        if ctx.done(step):
            return
        api = _api(_token(ctx.connection))
        getattr(self, f"_step_{step}")(ctx, api, _account_id(ctx.connection))

    def _account(self, api: Any, account_id: str):
        from facebook_business.adobjects.adaccount import AdAccount  # type: ignore[import-untyped]

        return AdAccount(account_id, api=api)

    def _step_campaign(self, ctx: PublishContext, api: Any, account_id: str) -> None:
        existing = _meta_external_id(ctx.campaign)
        if existing:
            ctx.record("campaign", existing, reused=True)
            return
        params = campaign_params(ctx.campaign, ctx.ad_set)
        result = _call(lambda: self._account(api, account_id).create_campaign(params=params))
        ctx.record("campaign", str(result["id"]), objective=params["objective"])

    def _step_ad_set(self, ctx: PublishContext, api: Any, account_id: str) -> None:
        existing = _meta_external_id(ctx.ad_set)
        if existing:
            ctx.record("ad_set", existing, reused=True)
            return
        params = ad_set_params(ctx.campaign, ctx.ad_set, ctx.external_id("campaign"))
        result = _call(lambda: self._account(api, account_id).create_ad_set(params=params))
        ctx.record("ad_set", str(result["id"]), optimization_goal=params["optimization_goal"])

    def _step_video(self, ctx: PublishContext, api: Any, account_id: str) -> None:
        """The SDK's chunked upload. Meta has no idempotency key, so the video id is saved (step
        ``video_upload``) the moment the ``start`` phase returns it: a job killed after Meta
        finished the upload but before ``video`` was recorded reuses that video (its
        ``status.video_status`` is past ``upload``) instead of uploading a second copy; an upload
        cut off mid-transfer is started again (Meta drops unfinished uploads)."""
        from facebook_business.adobjects.advideo import AdVideo  # type: ignore[import-untyped]

        started = ctx.external_id("video_upload")
        if started and self._upload_finished(api, started):
            ctx.record("video", started, bytes=ctx.video_path.stat().st_size, resumed_upload=True)
            return
        ctx.progress("video", 0.0)
        api.upload_started = lambda video_id: ctx.record("video_upload", video_id) if video_id else None
        video = AdVideo(parent_id=account_id, api=api)
        video[AdVideo.Field.filepath] = str(ctx.video_path)
        video[AdVideo.Field.name] = f"{ctx.ad.name} ({ctx.publication.aspect_ratio})"[:255]
        try:
            result = _call(lambda: video.remote_create())
        finally:
            api.upload_started = None
        ctx.record("video", str(result["id"]), bytes=ctx.video_path.stat().st_size)
        ctx.progress("video", 1.0)

    def _upload_finished(self, api: Any, video_id: str) -> bool:
        """Whether Meta has the whole file of an upload started earlier (``GET /<video_id>?fields=status``:
        ``uploading_phase.status`` complete, else ``video_status`` processing / ready); False when the
        video is gone or was cut off."""
        from facebook_business.adobjects.advideo import AdVideo

        try:
            data = _call(lambda: AdVideo(video_id, api=api).api_get(fields=["status"]))
        except PlatformError as exc:
            if exc.transient or exc.auth:
                raise
            return False
        status = (data.get("status") or {}) if hasattr(data, "get") else {}
        phase = (status.get("uploading_phase") or {}).get("status", "")
        if phase:
            return phase == "complete"
        return status.get("video_status") in ("processing", "ready")

    def _step_video_ready(self, ctx: PublishContext, api: Any, account_id: str) -> None:
        from facebook_business.adobjects.advideo import AdVideo

        video_id = ctx.external_id("video")
        for attempt in range(self.video_poll_attempts):
            data = _call(lambda: AdVideo(video_id, api=api).api_get(fields=["status"]))
            status = (data.get("status") or {}) if hasattr(data, "get") else {}
            state = status.get("video_status", "")
            if state == "ready":
                ctx.record("video_ready", video_id)
                return
            if state == "error":
                errors = (status.get("processing_phase") or {}).get("errors") or [{}]
                raise PlatformError(errors[0].get("message") or "Meta could not process the video.",
                                    code=str(errors[0].get("code") or "video_error"), field="video")
            ctx.progress("video_ready", min(0.95, (status.get("processing_progress") or 0) / 100))
            if attempt + 1 < self.video_poll_attempts:
                self.sleep(self.video_poll_interval_s)
        raise PlatformError("Meta is still processing the video; Kolony will check again.", code="video_processing",
                            transient=True, retry_after=self.video_poll_interval_s)

    def _step_thumbnail(self, ctx: PublishContext, api: Any, account_id: str) -> None:
        from facebook_business.adobjects.adimage import AdImage  # type: ignore[import-untyped]
        from facebook_business.adobjects.advideo import AdVideo

        if ctx.poster_path is not None and ctx.poster_path.exists():
            image = AdImage(parent_id=account_id, api=api)
            image[AdImage.Field.filename] = str(ctx.poster_path)
            _call(lambda: image.remote_create())
            ctx.record("thumbnail", str(image[AdImage.Field.hash]), source="poster")
            return
        # no poster: Meta's preferred auto-generated frame (GET /<video_id>/thumbnails)
        thumbs = _call(lambda: list(AdVideo(ctx.external_id("video"), api=api).get_thumbnails(fields=["uri", "is_preferred"])))
        if not thumbs:
            raise PlatformError("The video has no thumbnail yet and the render has no poster.", code="no_thumbnail",
                                field="thumbnail", transient=True)
        best = next((t for t in thumbs if t.get("is_preferred")), thumbs[0])
        ctx.record("thumbnail", "", source="video", image_url=best["uri"])

    def _page_id(self, api: Any, account_id: str) -> str:
        if settings.META_PAGE_ID:
            return str(settings.META_PAGE_ID)
        pages = _call(lambda: list(self._account(api, account_id).get_promote_pages(fields=["id", "name"])))
        if not pages:
            raise PlatformError("This ad account has no Facebook Page to run ads as; add one in Meta Business Settings.",
                                code="no_page", field="page_id")
        return str(pages[0]["id"])

    def creative_params(self, ctx: PublishContext, page_id: str) -> dict:
        """``POST /act_<id>/adcreatives`` params: ``object_story_spec`` {page_id, video_data
        {video_id, image_hash | image_url, title (headline), message (primary text),
        call_to_action {type, value {link (with UTM parameters)}}}}."""
        ad = ctx.ad
        thumb = ctx.publication.steps.get("thumbnail", {}) if isinstance(getattr(ctx.publication, "steps", None), dict) else {}
        video_data: dict[str, Any] = {"video_id": ctx.external_id("video")}
        image_hash = ctx.external_id("thumbnail")
        if image_hash:
            video_data["image_hash"] = image_hash
        else:
            video_data["image_url"] = (thumb.get("detail") or {}).get("image_url", "")
        if ad.headline:
            video_data["title"] = ad.headline
        if ad.primary_text:
            video_data["message"] = ad.primary_text
        if ad.description:
            video_data["link_description"] = ad.description
        link = ad.tracked_url()
        cta = ad.call_to_action or CallToAction.LEARN_MORE
        if cta == CallToAction.NO_BUTTON:
            video_data["call_to_action"] = {"type": "NO_BUTTON"}
        else:
            video_data["call_to_action"] = {"type": cta, "value": {"link": link}} if link else {"type": cta, "value": {}}
        return {"name": f"{ad.name} – render v{getattr(ctx.render, 'number', '')}".strip(),
                "object_story_spec": {"page_id": page_id, "video_data": video_data}}

    def _step_creative(self, ctx: PublishContext, api: Any, account_id: str) -> None:
        params = self.creative_params(ctx, self._page_id(api, account_id))
        result = _call(lambda: self._account(api, account_id).create_ad_creative(params=params))
        ctx.record("creative", str(result["id"]))

    def _step_ad(self, ctx: PublishContext, api: Any, account_id: str) -> None:
        params = {"name": ctx.ad.name, "adset_id": ctx.external_id("ad_set"),
                  "creative": {"creative_id": ctx.external_id("creative")}, "status": "PAUSED"}
        result = _call(lambda: self._account(api, account_id).create_ad(params=params))
        ad_id = str(result["id"])
        ctx.record("ad", ad_id, url=ad_manager_url(account_id, ad_id), status="PAUSED")

    # --- status ---
    def _external(self, ad: Any, level: str) -> str:
        """The Meta id of the ad (``level`` "ad"), its ad set or its campaign."""
        obj = {"ad": ad, "ad_set": ad.ad_set, "campaign": ad.ad_set.campaign}[level]
        entry = (obj.external or {}).get("meta") or {}
        return str(entry.get("id") or "")

    def set_status(self, *, connection: Any, ad: Any, active: bool) -> str:
        """``POST /<id> status=ACTIVE|PAUSED``: activating sets the campaign, ad set and ad ACTIVE
        (a paused parent keeps the ad from delivering); pausing pauses the ad only. Returns the ad's
        new ``effective_status``. Raises PlatformError (field ``ad`` when the ad was never published)."""
        from facebook_business.adobjects.ad import Ad  # type: ignore[import-untyped]

        ad_id = self._external(ad, "ad")
        if not ad_id:
            raise PlatformError("This ad is not published on Meta yet.", code="not_published", field="ad")
        api = _api(_token(connection))
        status = META_STATUS[active]
        levels = ("campaign", "ad_set", "ad") if active else ("ad",)
        for level in levels:
            node = self._external(ad, level)
            if node:
                _call(partial(api.call, "POST", (node,), params={"status": status}))
        data = _call(lambda: Ad(ad_id, api=api).api_get(fields=["status", "effective_status"]))
        return str(data.get("effective_status") or data.get("status") or status)

    def set_budget(self, *, connection: Any, ad_set: Any, budget_minor: int) -> int:
        """``POST /<id> daily_budget=<minor units>`` (``lifetime_budget`` for a lifetime budget) on
        the ad set, or on the campaign when it holds the budget (Advantage campaign budget: an ad
        set under it takes none), then ``GET /<id>?fields=…`` to read back what Meta stored.
        Returns the stored budget in minor units. Raises PlatformError (field ``ad_set`` when the
        ad set or campaign was never published; Meta's own refusal, e.g. a budget under the minimum)."""
        campaign = ad_set.campaign
        on_campaign = campaign.budget_level == BudgetLevel.CAMPAIGN
        obj = campaign if on_campaign else ad_set
        node = str(((obj.external or {}).get("meta") or {}).get("id") or "")
        if not node:
            raise PlatformError(f"This {'campaign' if on_campaign else 'ad set'} is not published on Meta yet.",
                                code="not_published", field="ad_set")
        key = "lifetime_budget" if campaign.budget_type == BudgetType.LIFETIME else "daily_budget"
        api = _api(_token(connection))
        _call(partial(api.call, "POST", (node,), params={key: int(budget_minor)}))
        data = _call(partial(api.call, "GET", (node,), params={"fields": key}))
        body = data.json() if hasattr(data, "json") else dict(data)
        return int(body.get(key) or budget_minor)

    def fetch_status(self, *, connection: Any, ad: Any) -> dict:
        """``{"status", "effective_status", "review": [messages], "url"}`` from ``GET /<ad_id>``
        (``ad_review_feedback`` is ``{"global": {policy: message}, "placement_specific": {...}}``)."""
        from facebook_business.adobjects.ad import Ad

        ad_id = self._external(ad, "ad")
        if not ad_id:
            raise PlatformError("This ad is not published on Meta yet.", code="not_published", field="ad")
        api = _api(_token(connection))
        data = _call(lambda: Ad(ad_id, api=api).api_get(fields=["status", "configured_status", "effective_status",
                                                                "ad_review_feedback"]))
        data = data.export_all_data() if hasattr(data, "export_all_data") else dict(data)
        feedback = data.get("ad_review_feedback") or {}
        review: list[str] = []
        for scope in (feedback.values() if isinstance(feedback, dict) else []):
            if isinstance(scope, dict):
                review.extend(f"{k}: {v}" if v else str(k) for k, v in scope.items())
        return {"status": data.get("status", ""), "effective_status": data.get("effective_status", ""), "review": review,
                "url": ad_manager_url(_account_id(connection), ad_id)}

    # --- results ---
    def fetch_insights(self, *, connection: Any, external_ad_ids: list[str], since: date, until: date) -> Iterator[InsightRow]:
        """Daily rows (``time_increment=1``) of each ad from ``GET /act_<id>/insights?level=ad``
        filtered on ``ad.id``, every page followed (the SDK's cursor reads ``paging.next`` /
        ``cursors.after``); string numbers converted exactly with Decimal (money in the account
        currency's minor units, ROUND_HALF_UP). Raises PlatformError."""
        from facebook_business.adobjects.adaccount import AdAccount

        if not external_ad_ids:
            return iter(())
        api = _api(_token(connection))
        params = {"level": "ad", "time_increment": 1,
                  "time_range": {"since": since.isoformat(), "until": until.isoformat()},
                  "filtering": [{"field": "ad.id", "operator": "IN", "value": [str(i) for i in external_ad_ids]}],
                  "limit": INSIGHTS_PAGE_LIMIT}
        account = AdAccount(_account_id(connection), api=api)
        cursor = _call(lambda: account.get_insights(fields=list(INSIGHT_FIELDS), params=params))
        return _insight_rows(cursor)


def _insight_rows(cursor: Any) -> Iterator[InsightRow]:
    _, fb_exceptions = _sdk()
    iterator = iter(cursor)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except (fb_exceptions.FacebookError, requests.RequestException) as exc:
            raise platform_error(exc) from exc
        yield insight_row(item.export_all_data() if hasattr(item, "export_all_data") else dict(item))


def _count(value: Any) -> int:
    return int(Decimal(str(value or "0")).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _action(actions: Any, types: tuple[str, ...]) -> str:
    """The value of the first of ``types`` present in an actions list ([{"action_type", "value"}])."""
    by_type = {a.get("action_type"): a.get("value") for a in actions or [] if isinstance(a, dict)}
    for t in types:
        if t in by_type:
            return str(by_type[t])
    return "0"


def _video(actions: Any) -> int:
    return _count(_action(actions, ("video_view",)) if actions else "0")


def insight_row(raw: dict) -> InsightRow:
    """One Ads Insights row (string numbers, action lists) → :class:`InsightRow`, exactly."""
    exponent = currency_exponent(str(raw.get("account_currency") or "USD"))
    return InsightRow(
        external_ad_id=str(raw["ad_id"]), date=date.fromisoformat(str(raw["date_start"])),
        impressions=_count(raw.get("impressions")), reach=_count(raw.get("reach")), clicks=_count(raw.get("clicks")),
        spend_minor=money_to_minor(raw.get("spend") or "0", exponent=exponent),
        conversions=_count(_action(raw.get("actions"), CONVERSION_ACTION_TYPES)),
        conversion_value_minor=money_to_minor(_action(raw.get("action_values"), CONVERSION_ACTION_TYPES), exponent=exponent),
        video_plays=_video(raw.get("video_play_actions")) or _count(_action(raw.get("actions"), ("video_view",))),
        thruplays=_video(raw.get("video_thruplay_watched_actions")),
        video_p25=_video(raw.get("video_p25_watched_actions")), video_p50=_video(raw.get("video_p50_watched_actions")),
        video_p75=_video(raw.get("video_p75_watched_actions")), video_p100=_video(raw.get("video_p100_watched_actions")),
        raw=dict(raw),
    )


def ad_manager_url(account_id: str, ad_id: str) -> str:
    """The ad in Meta Ads Manager."""
    return f"https://adsmanager.facebook.com/adsmanager/manage/ads?act={account_id.removeprefix('act_')}&selected_ad_ids={ad_id}"


ADAPTER = MetaAdapter()
