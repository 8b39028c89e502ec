"""Google Ads adapter (``google-ads`` 34.x, Google Ads API v26): YouTube upload, Demand Gen publish,
status, insights and the customer list, all through the official SDK.

Publish steps (each recorded through ``ctx.record`` the moment Google returns its resource name):

1. ``video`` — ``YouTubeVideoUploadService.CreateYouTubeVideoUpload`` (REST resumable upload:
   ``POST {host}/resumable/upload/v26/customers/{id}/youTubeVideoUploads:create`` with
   ``X-Goog-Upload-Command: start``, then chunks with ``upload`` / ``upload, finalize``), UNLISTED,
   ``video_content_metadata.generative_content_disclosure=GENERATIVE_CONTENT`` when a scene was
   generated (https://developers.google.com/google-ads/api/docs/assets/youtube-video-upload).
2. ``video_processed`` — GAQL on ``you_tube_video_upload`` until ``state=PROCESSED`` (FAILED /
   REJECTED / UNAVAILABLE → permanent error); records the YouTube video id.
3. ``validate`` — ``GoogleAdsService.Mutate`` with ``validate_only=True`` of the operations below;
   Google's ``GoogleAdsFailure`` becomes one error per field (``campaign_budget.amount_micros``...).
4. ``mutate`` — the same single ``Mutate`` for real, with negative temporary ids: campaign budget
   (daily, not shared; Demand Gen minimum 5 USD/day), Demand Gen campaign (PAUSED), ad group with
   channel controls, YouTube video, logo image and call-to-action assets, and the ad group ad with a
   ``demand_gen_video_responsive_ad`` (PAUSED). Records ``mutate`` (holding every id, so a job
   killed before the next records resumes without mutating twice), then ``campaign``, ``ad_set``
   (ad group) and ``ad`` (ad group ad). A Kolony campaign / ad set already linked to Google
   (``external["google"]["id"]``) is reused, not created again.

External ids are resource names (``customers/1234567890/adGroupAds/111~222``), so every later call
(status, insights) needs nothing else. Errors are :class:`~campaigns.platforms.base.PlatformError`.

The stand-in (``tests/fakes/google_ads.py``) is reached over an insecure channel when
``settings.GOOGLE_ADS_INSECURE_CHANNEL`` — see :func:`google_service`, the one place that builds a
service client.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

import grpc  # type: ignore[import-untyped]
import requests
from django.conf import settings

from campaigns.platforms.base import AccountChoice, InsightRow, PlatformError, PublishContext, TokenSet, micros_to_minor

API_VERSION = "v26"
FAILURE_METADATA_KEY = f"google.ads.googleads.{API_VERSION}.errors.googleadsfailure-bin"
#: Seconds each gRPC call may take before DEADLINE_EXCEEDED (→ transient, the orchestrator retries).
CALL_TIMEOUT_S = 60.0
#: Seconds between polls of the upload's ``state``; polls before giving up (≈ 30 minutes).
POLL_INTERVAL_S = 5.0
POLL_MAX = 360
#: Demand Gen minimum daily budget, in micros of USD (https://support.google.com/google-ads/answer/13695777).
DEMAND_GEN_MIN_DAILY_MICROS_USD = 5_000_000
#: Text limits of a Demand Gen video responsive ad (https://support.google.com/google-ads/answer/13547298).
HEADLINE_MAX, LONG_HEADLINE_MAX, DESCRIPTION_MAX, BUSINESS_NAME_MAX = 40, 90, 90, 25
#: ISO 4217 currencies without minor units (minor units = whole units).
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XOF", "XAF"}

TRANSIENT_CODES = {"QuotaError.RESOURCE_EXHAUSTED", "InternalError.TRANSIENT_ERROR", "InternalError.INTERNAL_ERROR"}
TRANSIENT_STATUS = {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                    grpc.StatusCode.INTERNAL}

#: Kolony placement → Demand Gen selected channel (``DemandGenSelectedChannels`` field).
PLACEMENT_CHANNEL = {
    "youtube_instream": "youtube_in_stream",
    "youtube_shorts": "youtube_shorts",
    "discover": "discover",
    "gmail": "gmail",
}

#: Kolony (Meta-style) call to action → Google ``CallToActionType`` (closest wording).
CALL_TO_ACTION = {
    "LEARN_MORE": "LEARN_MORE", "SHOP_NOW": "SHOP_NOW", "ORDER_NOW": "ORDER_NOW", "BUY_NOW": "BUY_NOW",
    "SIGN_UP": "SIGN_UP", "SUBSCRIBE": "SUBSCRIBE", "GET_OFFER": "SEE_MORE", "GET_QUOTE": "GET_QUOTE",
    "BOOK_TRAVEL": "BOOK_NOW", "CONTACT_US": "CONTACT_US", "APPLY_NOW": "APPLY_NOW", "DOWNLOAD": "DOWNLOAD",
    "INSTALL_APP": "DOWNLOAD", "USE_APP": "START_NOW", "WATCH_MORE": "WATCH_NOW",
}


# ---------------------------------------------------------------------------------------------
# client and services


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` on an insecure channel (which cannot carry call
    credentials); a TLS channel gets it from the google-auth credentials instead."""

    def __init__(self, token: str):
        self._token = token

    def _details(self, details):
        metadata = list(details.metadata or []) + [("authorization", f"Bearer {self._token}")]
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method, self.timeout, self.metadata = method, timeout, metadata
        self.credentials, self.wait_for_ready, self.compression = credentials, wait_for_ready, compression


def _credentials(access_token: str):
    from google.oauth2.credentials import Credentials

    return Credentials(token=access_token)


def google_client(*, access_token: str):
    """A ``GoogleAdsClient`` for API v26 with the connection's access token, developer token and
    login customer id from settings (proto-plus messages)."""
    from google.ads.googleads.client import GoogleAdsClient  # type: ignore[import-untyped]

    return GoogleAdsClient(
        credentials=_credentials(access_token),
        developer_token=settings.GOOGLE_ADS_DEVELOPER_TOKEN or None,
        endpoint=settings.GOOGLE_ADS_ENDPOINT,
        login_customer_id=(settings.GOOGLE_ADS_LOGIN_CUSTOMER_ID or None),
        version=API_VERSION,
        use_proto_plus=True,
    )


def _upload_host() -> str:
    """``GOOGLE_YOUTUBE_UPLOAD_URL`` without its ``/resumable/upload`` suffix (the SDK adds it)."""
    url = settings.GOOGLE_YOUTUBE_UPLOAD_URL.rstrip("/")
    suffix = "/resumable/upload"
    return url[: -len(suffix)] if url.endswith(suffix) else url


def google_service(client: Any, name: str, *, access_token: str) -> Any:
    """The service client ``name`` (e.g. ``"GoogleAdsService"``), built exactly as
    ``GoogleAdsClient.get_service`` builds it (google/ads/googleads/client.py: the same channel
    options and the SDK's Metadata / Logging / Exception interceptors, so failures still raise
    ``GoogleAdsException``) — but over ``grpc.insecure_channel(GOOGLE_ADS_ENDPOINT)`` (plus a bearer
    interceptor) when ``settings.GOOGLE_ADS_INSECURE_CHANNEL`` (the local stand-in), and with the
    YouTube upload's REST host taken from ``GOOGLE_YOUTUBE_UPLOAD_URL``."""
    from google.ads.googleads.interceptors import (  # type: ignore[import-untyped]
        ExceptionInterceptor,
        LoggingInterceptor,
        MetadataInterceptor,
    )

    gclient = import_module("google.ads.googleads.client")
    util = import_module("google.ads.googleads.util")

    module = import_module(f"google.ads.googleads.{API_VERSION}.services.services.{util.convert_upper_case_to_snake_case(name)}")
    client_class = getattr(module, f"{name}Client")
    transport_class = client_class.get_transport_class(None)
    endpoint = settings.GOOGLE_ADS_ENDPOINT
    interceptors: list = [
        MetadataInterceptor(client.developer_token, client.login_customer_id, client.linked_customer_id),
        LoggingInterceptor(gclient._logger, API_VERSION, endpoint),
        ExceptionInterceptor(API_VERSION, use_proto_plus=client.use_proto_plus),
    ]
    if settings.GOOGLE_ADS_INSECURE_CHANNEL:
        channel = grpc.insecure_channel(endpoint, options=gclient._GRPC_CHANNEL_OPTIONS)
        interceptors.insert(0, _BearerInterceptor(access_token))
    else:
        channel = transport_class.create_channel(host=endpoint, credentials=client.credentials,
                                                 options=gclient._GRPC_CHANNEL_OPTIONS)
    channel = grpc.intercept_channel(channel, *interceptors)
    if name == "YouTubeVideoUploadService":
        _fix_resumable_upload_sdk_bug()
        host = _upload_host()
        transport = transport_class(channel=channel, host=host, client_info=gclient._CLIENT_INFO)
        return client_class(transport=transport, credentials=client.credentials, developer_token=client.developer_token,
                            login_customer_id=client.login_customer_id, linked_customer_id=client.linked_customer_id)
    transport = transport_class(channel=channel, host=endpoint, client_info=gclient._CLIENT_INFO)
    return client_class(transport=transport)


def _access_token(connection: Any) -> str:
    """The connection's current access token (refreshed when due by P1a's ``connection_token``)."""
    try:
        from campaigns.platforms.oauth import connection_token
    except ImportError:  # pragma: no cover - before oauth.py exists
        return connection.token
    return connection_token(connection)


class _Api:
    """One connection's client + services, created lazily."""

    def __init__(self, *, access_token: str):
        self.access_token = access_token
        self.client = google_client(access_token=access_token)
        self._services: dict[str, Any] = {}

    def service(self, name: str) -> Any:
        if name not in self._services:
            self._services[name] = google_service(self.client, name, access_token=self.access_token)
        return self._services[name]

    def type(self, name: str) -> Any:
        return self.client.get_type(name)

    def enum(self, name: str) -> Any:
        return getattr(self.client.enums, name)

    def search(self, customer_id: str, query: str) -> Iterator[Any]:
        """GAQL ``Search`` rows, every page followed (the SDK's pager reads ``next_page_token``)."""
        try:
            yield from self.service("GoogleAdsService").search(customer_id=customer_id, query=query, timeout=CALL_TIMEOUT_S)
        except Exception as exc:
            raise platform_error(exc) from exc


# ---------------------------------------------------------------------------------------------
# errors


def _snake_to_camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _error_code(error: Any) -> str:
    """``GoogleAdsError.error_code`` (a oneof) → ``"QuotaError.RESOURCE_EXHAUSTED"``."""
    pb = type(error.error_code).pb(error.error_code) if hasattr(type(error.error_code), "pb") else error.error_code
    which = pb.WhichOneof("error_code")
    if not which:
        return ""
    field = pb.DESCRIPTOR.fields_by_name[which]
    value = field.enum_type.values_by_number[getattr(pb, which)].name
    return f"{_snake_to_camel(which)}.{value}"


def field_path(error: Any) -> str:
    """``location.field_path_elements`` → a path in Kolony's words: the ``mutate_operations[i]``,
    ``*_operation`` and ``create``/``update`` wrappers dropped, e.g.
    ``campaign_budget.amount_micros`` or ``ad_group_ad.ad.demand_gen_video_responsive_ad.headlines[0].text``."""
    parts: list[str] = []
    elements = list(error.location.field_path_elements) if error.location else []
    for el in elements:
        name = el.field_name
        if name in ("mutate_operations", "operations", "create", "update", "update_mask"):
            continue
        if name.endswith("_operation"):
            name = name[: -len("_operation")]
        index = el.index if "index" in el else None
        parts.append(f"{name}[{index}]" if index is not None else name)
    return ".".join(parts)


def _failure_errors(failure: Any) -> list[dict]:
    out = []
    for error in failure.errors:
        detail: dict[str, Any] = {"code": _error_code(error), "message": error.message, "field": field_path(error)}
        delay: Any = error.details.quota_error_details.retry_delay if error.details else None
        seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else 0
        if seconds:
            detail["retry_after"] = seconds
        out.append(detail)
    return out


def _failure_from_metadata(metadata: Any) -> Any:
    from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure

    for key, value in metadata or ():
        if key == FAILURE_METADATA_KEY:
            try:
                return GoogleAdsFailure.deserialize(value)
            except Exception:  # noqa: BLE001 - malformed details: fall back to the status
                return None
    return None


def _from_failure(failure: Any, status: Any, fallback: str, request_id: str = "") -> PlatformError:
    errors = _failure_errors(failure)
    first: dict[str, Any] = errors[0] if errors else {"code": "", "message": fallback, "field": ""}
    message = first["message"] if len(errors) <= 1 else "\n".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    code = first["code"] or (status.name if status else "")
    transient = code in TRANSIENT_CODES or (status in TRANSIENT_STATUS and not errors)
    auth = code.startswith("AuthenticationError.") or status == grpc.StatusCode.UNAUTHENTICATED
    return PlatformError(message or fallback, code=code, field=first["field"], transient=transient and not auth,
                         retry_after=first.get("retry_after"), auth=auth,
                         details={"errors": errors, "request_id": request_id, "status": status.name if status else ""})


def platform_error(exc: BaseException) -> PlatformError:
    """Any SDK / transport failure → :class:`PlatformError`.

    * ``GoogleAdsException`` → its ``GoogleAdsFailure``: each error's message, code
      (``QuotaError.RESOURCE_EXHAUSTED``) and field path; several errors → one line per field,
      all in ``details["errors"]``.
    * a plain ``grpc.RpcError`` (the SDK does not wrap RESOURCE_EXHAUSTED / INTERNAL, see
      ``interceptors/interceptor.py`` ``_RETRY_STATUS_CODES``) → the failure in its trailing metadata
      if any, else its status.
    * transient: QuotaError.RESOURCE_EXHAUSTED, InternalError.TRANSIENT_ERROR / INTERNAL_ERROR,
      gRPC UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED (``retry_after`` from
      ``QuotaErrorDetails.retry_delay``); auth: AuthenticationError.* or UNAUTHENTICATED.
    """
    from google.ads.googleads.errors import GoogleAdsException  # type: ignore[import-untyped]

    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, _UploadHTTPError):
        return exc.to_platform_error()
    if isinstance(exc, GoogleAdsException):
        status = exc.error.code() if hasattr(exc.error, "code") else None
        return _from_failure(exc.failure, status, str(exc), exc.request_id or "")
    from google.api_core import exceptions as core_exceptions

    call: Any = None
    if isinstance(exc, core_exceptions.GoogleAPICallError):  # gapic re-raises a plain RpcError as this
        call = exc.response if isinstance(exc.response, grpc.RpcError) else None
        status = exc.grpc_status_code
        details = exc.message
    elif isinstance(exc, grpc.RpcError):
        call = exc
        status = exc.code() if hasattr(exc, "code") else None
        details = exc.details() if hasattr(exc, "details") else str(exc)
    if call is not None or isinstance(exc, core_exceptions.GoogleAPICallError):
        metadata = call.trailing_metadata() if call is not None and hasattr(call, "trailing_metadata") else None
        failure = _failure_from_metadata(metadata)
        if failure is not None:
            return _from_failure(failure, status, details or "")
        auth = status == grpc.StatusCode.UNAUTHENTICATED
        return PlatformError(details or (status.name if status else "Google Ads call failed"),
                             code=status.name if status else "", transient=status in TRANSIENT_STATUS, auth=auth,
                             details={"status": status.name if status else ""})
    if isinstance(exc, requests.RequestException):
        return PlatformError(f"Could not reach Google Ads: {exc}", code="NETWORK", transient=True)
    raise exc


class _UploadHTTPError(Exception):
    """An HTTP error of the resumable upload. Raised from a ``requests`` response hook on the
    upload session because google-ads 34.0.0's ``resumable_upload.py`` calls
    ``raise_formatted_for_status(response)`` without its required ``version`` argument (a
    ``TypeError`` that would lose Google's error body)."""

    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.status_code = response.status_code
        self.body = response.text
        self.headers = dict(response.headers)

    def to_platform_error(self) -> PlatformError:
        try:
            error = requests.models.complexjson.loads(self.body).get("error", {})
        except ValueError:
            error = {}
        message = error.get("message") or f"YouTube upload failed (HTTP {self.status_code})"
        errors: list[dict] = []
        for detail in error.get("details") or []:
            for e in detail.get("errors") or []:
                code = "".join(f"{_snake_to_camel(k)}.{v}" for k, v in (e.get("errorCode") or e.get("error_code") or {}).items())
                path = ".".join(p.get("fieldName") or p.get("field_name", "")
                                for p in ((e.get("location") or {}).get("fieldPathElements") or []))
                errors.append({"code": code, "message": e.get("message", ""), "field": path})
        first = errors[0] if errors else {"code": error.get("status", ""), "message": message, "field": ""}
        transient = self.status_code in (408, 429, 500, 502, 503, 504)
        auth = self.status_code == 401
        retry_after = float(self.headers["Retry-After"]) if str(self.headers.get("Retry-After", "")).isdigit() else None
        return PlatformError(first["message"] or message, code=first["code"] or str(self.status_code), field=first["field"],
                             transient=transient, auth=auth, retry_after=retry_after,
                             details={"errors": errors, "http_status": self.status_code})


def _fix_resumable_upload_sdk_bug() -> None:
    """google-ads 34.0.0's ``…/you_tube_video_upload_service/transports/resumable_upload.py`` calls
    ``raise_formatted_for_status(response)`` but the function (google/ads/googleads/errors.py) takes
    ``(response, version)``: every upload, successful or not, dies with a TypeError. Bind the version
    here, once, until the SDK fixes it (tested by test_google_adapter's upload tests)."""
    module = import_module(f"google.ads.googleads.{API_VERSION}.services.services.you_tube_video_upload_service."
                           "transports.resumable_upload")
    current = getattr(module, "raise_formatted_for_status")  # noqa: B009 - untyped SDK module
    if getattr(current, "_kolony_fixed", False):
        return
    import inspect

    if len(inspect.signature(current).parameters) < 2:
        return  # already a one-argument function: the SDK was fixed

    def raise_formatted_for_status(response: requests.Response) -> None:
        current(response, API_VERSION)

    raise_formatted_for_status._kolony_fixed = True  # type: ignore[attr-defined]
    setattr(module, "raise_formatted_for_status", raise_formatted_for_status)  # noqa: B010 - untyped SDK module


def _raise_upload_errors(response: requests.Response, *args, **kwargs) -> requests.Response:
    if not response.ok:
        raise _UploadHTTPError(response)
    return response


# ---------------------------------------------------------------------------------------------
# helpers for the publish operations


def _customer_id(connection: Any) -> str:
    return str(connection.ad_account_id).replace("-", "")


def _resource_id(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def _linked(obj: Any, kind: str, customer_id: str) -> str:
    """The Google resource name a Kolony campaign / ad set / ad is already linked to, or ""."""
    ext = ((getattr(obj, "external", None) or {}).get("google") or {})
    value = str(ext.get("resource_name") or ext.get("id") or "")
    if not value:
        return ""
    return value if value.startswith("customers/") else f"customers/{customer_id}/{kind}/{value}"


def minor_to_micros(amount_minor: int, currency: str) -> int:
    """Minor units of ``currency`` → Google micros (1 000 000 per unit), exactly."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return int(amount_minor) * 10 ** (6 - exponent)


def _clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _square_logo(poster_path: Any) -> bytes:
    """A 1:1 PNG logo (512 px) centre-cropped from the poster: Demand Gen requires a square logo
    of at least 128×128 (https://support.google.com/google-ads/answer/13547298)."""
    from PIL import Image

    if not poster_path:
        raise PlatformError("Google Demand Gen ads need a logo image: this render has no poster to make one from.",
                            code="FieldError.REQUIRED", field="ad_group_ad.ad.demand_gen_video_responsive_ad.logo_images")
    with Image.open(poster_path) as img:
        rgb = img.convert("RGB")
        side = min(rgb.size)
        left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
        square = rgb.crop((left, top, left + side, top + side)).resize((512, 512))
        buf = io.BytesIO()
        square.save(buf, format="PNG")
        return buf.getvalue()


def _budget_minor(ctx: PublishContext) -> tuple[int, str]:
    campaign, ad_set = ctx.campaign, ctx.ad_set
    if getattr(campaign, "budget_minor", None):
        return int(campaign.budget_minor), campaign.currency
    if getattr(ad_set, "budget_minor", None):
        return int(ad_set.budget_minor), getattr(ad_set, "currency", campaign.currency)
    raise PlatformError("Set a daily budget on the campaign or the ad set before publishing to Google.",
                        code="FieldError.REQUIRED", field="campaign_budget.amount_micros")


def _date_time(value: Any) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


class GoogleAdapter:
    """The Google Ads ``PlatformAdapter`` (module-level :data:`ADAPTER`)."""

    platform = "google"
    steps: tuple[str, ...] = ("video", "video_processed", "validate", "mutate")

    # --- OAuth 2.0 (Google's endpoints from settings; PKCE S256) ---

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """Google's consent URL with ``access_type=offline`` + ``prompt=consent`` (so a refresh
        token is issued) and PKCE (https://developers.google.com/identity/protocols/oauth2/web-server)."""
        query = urlencode({
            "client_id": settings.GOOGLE_ADS_CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": settings.GOOGLE_OAUTH_SCOPES, "state": state, "code_challenge": code_challenge,
            "code_challenge_method": "S256", "access_type": "offline", "prompt": "consent",
            "include_granted_scopes": "true",
        })
        return f"{settings.GOOGLE_OAUTH_AUTHORIZE_URL}?{query}"

    def _token_call(self, data: dict) -> TokenSet:
        from datetime import timedelta

        from django.utils import timezone

        data = {"client_id": settings.GOOGLE_ADS_CLIENT_ID, "client_secret": settings.GOOGLE_ADS_CLIENT_SECRET, **data}
        try:
            resp = requests.post(settings.GOOGLE_OAUTH_TOKEN_URL, data=data, timeout=30)
        except requests.RequestException as exc:
            raise PlatformError(f"Could not reach Google's token endpoint: {exc}", code="NETWORK", transient=True) from exc
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 200 or "access_token" not in body:
            code = body.get("error", str(resp.status_code))
            raise PlatformError(body.get("error_description") or f"Google refused the token request ({code}).",
                                code=code, auth=code in ("invalid_grant", "invalid_client", "unauthorized_client"),
                                transient=resp.status_code >= 500)
        expires_in = body.get("expires_in")
        return TokenSet(access_token=body["access_token"], refresh_token=body.get("refresh_token", ""),
                        expires_at=timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None,
                        scopes=body.get("scope", ""))

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return self._token_call({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                 "code_verifier": code_verifier})

    def refresh(self, *, refresh_token: str, access_token: str = "") -> TokenSet:
        tokens = self._token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})
        if not tokens.refresh_token:  # Google keeps the refresh token unless it rotates it
            tokens = TokenSet(access_token=tokens.access_token, refresh_token=refresh_token,
                              expires_at=tokens.expires_at, scopes=tokens.scopes)
        return tokens

    def list_accounts(self, *, access_token: str) -> list[AccountChoice]:
        """``CustomerService.ListAccessibleCustomers`` then each customer's name, currency and time
        zone via GAQL on ``customer`` (managers' and unreadable customers are skipped)."""
        api = _Api(access_token=access_token)
        try:
            names = api.service("CustomerService").list_accessible_customers(timeout=CALL_TIMEOUT_S).resource_names
        except Exception as exc:
            raise platform_error(exc) from exc
        out = []
        for resource_name in names:
            cid = _resource_id(resource_name)
            query = ("SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, "
                     "customer.manager FROM customer LIMIT 1")
            try:
                rows = list(api.search(cid, query))
            except PlatformError as err:
                if err.transient or err.auth:
                    raise
                continue
            for row in rows:
                if row.customer.manager:
                    continue
                out.append(AccountChoice(id=str(row.customer.id), name=row.customer.descriptive_name or cid,
                                         currency=row.customer.currency_code, time_zone=row.customer.time_zone))
        return out

    # --- publishing ---

    def run_step(self, ctx: PublishContext, step: str) -> None:
        if ctx.done(step):
            return
        handler = {"video": self._step_video, "video_processed": self._step_video_processed,
                   "validate": self._step_validate, "mutate": self._step_mutate}.get(step)
        if handler is None:
            raise PlatformError(f"Unknown Google publish step {step!r}.", code="UNKNOWN_STEP")
        handler(ctx, _Api(access_token=_access_token(ctx.connection)))

    def _step_video(self, ctx: PublishContext, api: _Api) -> None:
        cid = _customer_id(ctx.connection)
        upload = api.type("YouTubeVideoUpload")
        upload.video_title = _clip(f"{ctx.ad.name} · {ctx.campaign.name}", 100)
        upload.video_description = _clip(ctx.ad.primary_text or ctx.ad.headline or ctx.ad.name, 5000)
        upload.video_privacy = api.enum("YouTubeVideoPrivacyEnum").UNLISTED
        if ctx.generated_content:
            upload.video_content_metadata.generative_content_disclosure = (
                api.enum("YouTubeVideoUploadGenerativeContentDisclosureEnum").GENERATIVE_CONTENT)
        service = api.service("YouTubeVideoUploadService")
        session = service._rest_resumable_transport._session
        if _raise_upload_errors not in session.hooks["response"]:
            session.hooks["response"].append(_raise_upload_errors)
        ctx.progress("video", 0.0)
        try:
            with open(ctx.video_path, "rb") as stream:
                response = service.create_you_tube_video_upload(customer_id=cid, you_tube_video_upload=upload, stream=stream,
                                                                timeout=max(CALL_TIMEOUT_S, 600.0))
        except Exception as exc:
            raise platform_error(exc) from exc
        ctx.record("video", response.resource_name, title=upload.video_title, privacy="UNLISTED",
                   generative_content=bool(ctx.generated_content))
        ctx.progress("video", 1.0)

    def _step_video_processed(self, ctx: PublishContext, api: _Api) -> None:
        cid = _customer_id(ctx.connection)
        resource_name = ctx.external_id("video")
        query = ("SELECT you_tube_video_upload.resource_name, you_tube_video_upload.state, "  # noqa: S608 - GAQL of ids Kolony built
                 "you_tube_video_upload.video_id FROM you_tube_video_upload "
                 f"WHERE you_tube_video_upload.resource_name = '{resource_name}'")
        for attempt in range(POLL_MAX):
            rows = list(api.search(cid, query))
            if not rows:
                raise PlatformError("Google no longer knows the uploaded video; publish again to upload it anew.",
                                    code="RequestError.RESOURCE_NOT_FOUND", field="you_tube_video_upload")
            state = rows[0].you_tube_video_upload.state.name
            if state == "PROCESSED":
                ctx.record("video_processed", rows[0].you_tube_video_upload.video_id, state=state, polls=attempt + 1)
                ctx.progress("video_processed", 1.0)
                return
            if state in ("FAILED", "REJECTED", "UNAVAILABLE"):
                raise PlatformError(f"YouTube could not process the video (state {state}).",
                                    code=f"YouTubeVideoUploadState.{state}", field="you_tube_video_upload.state")
            ctx.progress("video_processed", min(0.95, (attempt + 1) / 10))
            time.sleep(POLL_INTERVAL_S)
        raise PlatformError("YouTube is still processing the video; Kolony will try again.", code="PROCESSING", transient=True,
                            retry_after=60)

    def build_operations(self, ctx: PublishContext, api: _Api) -> tuple[list[Any], list[str]]:
        """The mutate operations (temporary ids -1…-6) and, in the same order, what each creates
        (``campaign_budget``, ``campaign``, ``ad_group``, ``asset``, ``ad_group_ad``)."""
        cid = _customer_id(ctx.connection)
        ops: list[Any] = []
        kinds: list[str] = []

        def op() -> Any:
            return api.type("MutateOperation")

        campaign_rn = _linked(ctx.campaign, "campaigns", cid)
        ad_group_rn = _linked(ctx.ad_set, "adGroups", cid)
        if not campaign_rn:
            amount_minor, currency = _budget_minor(ctx)
            budget_op = op()
            budget = budget_op.campaign_budget_operation.create
            budget.resource_name = f"customers/{cid}/campaignBudgets/-1"
            budget.name = _clip(f"{ctx.campaign.name} · Kolony #{ctx.publication.pk}", 255)
            budget.amount_micros = minor_to_micros(amount_minor, currency)
            budget.delivery_method = api.enum("BudgetDeliveryMethodEnum").STANDARD
            budget.period = api.enum("BudgetPeriodEnum").DAILY
            budget.explicitly_shared = False  # Demand Gen does not take shared budgets
            ops.append(budget_op)
            kinds.append("campaign_budget")

            campaign_op = op()
            campaign = campaign_op.campaign_operation.create
            campaign.resource_name = campaign_rn = f"customers/{cid}/campaigns/-2"
            campaign.name = _clip(f"{ctx.campaign.name} · Kolony #{ctx.publication.pk}", 255)
            campaign.advertising_channel_type = api.enum("AdvertisingChannelTypeEnum").DEMAND_GEN
            campaign.status = api.enum("CampaignStatusEnum").PAUSED
            campaign.campaign_budget = budget.resource_name
            campaign.contains_eu_political_advertising = (
                api.enum("EuPoliticalAdvertisingStatusEnum").DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING)
            bid = getattr(ctx.ad_set, "bid_amount_minor", None)
            if getattr(ctx.campaign, "objective", "") == "traffic":
                campaign.target_spend.cpc_bid_ceiling_micros = minor_to_micros(bid, currency) if bid else 0
            elif bid:
                campaign.target_cpa.target_cpa_micros = minor_to_micros(bid, currency)
            else:
                campaign.maximize_conversions.target_cpa_micros = 0
            if getattr(ctx.campaign, "starts_at", None):
                campaign.start_date_time = _date_time(ctx.campaign.starts_at)
            if getattr(ctx.campaign, "ends_at", None):
                campaign.end_date_time = _date_time(ctx.campaign.ends_at)
            ops.append(campaign_op)
            kinds.append("campaign")
        if not ad_group_rn:
            ad_group_op = op()
            ad_group = ad_group_op.ad_group_operation.create
            ad_group.resource_name = ad_group_rn = f"customers/{cid}/adGroups/-3"
            ad_group.name = _clip(f"{ctx.ad_set.name} · Kolony #{ctx.publication.pk}", 255)
            ad_group.campaign = campaign_rn
            ad_group.status = api.enum("AdGroupStatusEnum").ENABLED
            channels = [PLACEMENT_CHANNEL[p] for p in (getattr(ctx.ad_set, "placements", None) or []) if p in PLACEMENT_CHANNEL]
            controls = ad_group.demand_gen_ad_group_settings.channel_controls
            if channels:
                controls.channel_config = api.enum("DemandGenChannelConfigEnum").SELECTED_CHANNELS
                for channel in channels:
                    setattr(controls.selected_channels, channel, True)
            else:
                controls.channel_config = api.enum("DemandGenChannelConfigEnum").CHANNEL_STRATEGY
                controls.channel_strategy = api.enum("DemandGenChannelStrategyEnum").ALL_CHANNELS
            ops.append(ad_group_op)
            kinds.append("ad_group")

        video_op = op()
        video = video_op.asset_operation.create
        video.resource_name = f"customers/{cid}/assets/-4"
        video.name = _clip(f"{ctx.ad.name} video · Kolony #{ctx.publication.pk}", 255)
        video.youtube_video_asset.youtube_video_id = ctx.external_id("video_processed")
        ops.append(video_op)
        kinds.append("asset")

        logo_op = op()
        logo = logo_op.asset_operation.create
        logo.resource_name = f"customers/{cid}/assets/-5"
        logo.name = _clip(f"{ctx.ad.name} logo · Kolony #{ctx.publication.pk}", 255)
        logo.type_ = api.enum("AssetTypeEnum").IMAGE
        logo.image_asset.data = _square_logo(ctx.poster_path)
        ops.append(logo_op)
        kinds.append("asset")

        cta_op = op()
        cta = cta_op.asset_operation.create
        cta.resource_name = f"customers/{cid}/assets/-6"
        cta.call_to_action_asset.call_to_action = getattr(
            api.enum("CallToActionTypeEnum"), CALL_TO_ACTION.get(ctx.ad.call_to_action, "LEARN_MORE"))
        ops.append(cta_op)
        kinds.append("asset")

        ad_op = op()
        aga = ad_op.ad_group_ad_operation.create
        aga.ad_group = ad_group_rn
        aga.status = api.enum("AdGroupAdStatusEnum").PAUSED
        ad = aga.ad
        ad.name = ctx.ad.name
        url = ctx.ad.tracked_url() if hasattr(ctx.ad, "tracked_url") else ctx.ad.destination_url
        if url:
            ad.final_urls.append(url)
        info = ad.demand_gen_video_responsive_ad
        headline = ctx.ad.headline or ctx.ad.name
        text = api.type("AdTextAsset")
        text.text = headline
        info.headlines.append(text)
        long_headline = api.type("AdTextAsset")
        long_headline.text = ctx.ad.primary_text or headline
        info.long_headlines.append(long_headline)
        description = api.type("AdTextAsset")
        description.text = ctx.ad.description or ctx.ad.primary_text or headline
        info.descriptions.append(description)
        info.business_name.text = _clip(getattr(ctx.connection.organization, "name", "") or ctx.campaign.name, BUSINESS_NAME_MAX)
        vid = api.type("AdVideoAsset")
        vid.asset = video.resource_name
        info.videos.append(vid)
        img = api.type("AdImageAsset")
        img.asset = logo.resource_name
        info.logo_images.append(img)
        cta_ref = api.type("AdCallToActionAsset")
        cta_ref.asset = cta.resource_name
        info.call_to_actions.append(cta_ref)
        ops.append(ad_op)
        kinds.append("ad_group_ad")
        return ops, kinds

    def _mutate(self, api: _Api, customer_id: str, ops: list[Any], *, validate_only: bool) -> Any:
        """One ``GoogleAdsService.Mutate`` (atomic: partial_failure off). Raises PlatformError."""
        request = {"customer_id": customer_id, "mutate_operations": ops, "validate_only": validate_only}
        try:
            return api.service("GoogleAdsService").mutate(request=request, timeout=CALL_TIMEOUT_S)
        except Exception as exc:
            raise platform_error(exc) from exc

    def _step_validate(self, ctx: PublishContext, api: _Api) -> None:
        ops, kinds = self.build_operations(ctx, api)
        self._mutate(api, _customer_id(ctx.connection), ops, validate_only=True)
        ctx.record("validate", "", operations=kinds)

    def _step_mutate(self, ctx: PublishContext, api: _Api) -> None:
        cid = _customer_id(ctx.connection)
        ops, kinds = self.build_operations(ctx, api)
        response = self._mutate(api, cid, ops, validate_only=False)
        names: dict[str, Any] = {"assets": []}
        for kind, result in zip(kinds, response.mutate_operation_responses, strict=True):
            rn = getattr(result, f"{kind}_result").resource_name
            if kind == "asset":
                names["assets"].append(rn)
            else:
                names[kind] = rn
        campaign_rn = names.get("campaign") or _linked(ctx.campaign, "campaigns", cid)
        ad_group_rn = names.get("ad_group") or _linked(ctx.ad_set, "adGroups", cid)
        aga_rn = names["ad_group_ad"]
        campaign_id = _resource_id(campaign_rn)
        url = f"https://ads.google.com/aw/ads?campaignId={campaign_id}&__c={cid}"
        # ``mutate`` first, in one record holding every id (``ad_group_id`` / ``ad_group_ad_id`` are the
        # keys the orchestrator's ``_ids`` falls back to): a job killed between the records below then
        # resumes with ``mutate`` done instead of mutating again (duplicates); then the conventional names
        ctx.record("mutate", aga_rn, campaign=campaign_rn, ad_group=ad_group_rn, ad_group_id=ad_group_rn, ad_group_ad_id=aga_rn,
                   budget=names.get("campaign_budget", ""), assets=names["assets"], url=url)
        if "campaign" in names:
            ctx.record("campaign", campaign_rn, budget=names.get("campaign_budget", ""), status="PAUSED",
                       url=f"https://ads.google.com/aw/campaigns?campaignId={campaign_id}&__c={cid}")
        if "ad_group" in names:
            ctx.record("ad_set", ad_group_rn, status="ENABLED")
        ctx.record("ad", aga_rn, status="PAUSED", url=url, assets=names["assets"])

    # --- status ---

    def _ad_resource(self, *, connection: Any, ad: Any) -> tuple[str, str]:
        cid = _customer_id(connection)
        rn = _linked(ad, "adGroupAds", cid)
        if not rn:
            raise PlatformError("This ad is not published on Google yet.", code="NOT_PUBLISHED", field="ad")
        return cid, rn

    def set_status(self, *, connection: Any, ad: Any, active: bool) -> str:
        """Pause: ``AdGroupAdService.MutateAdGroupAds`` (status PAUSED, update_mask ``status``).
        Activate: one ``GoogleAdsService.Mutate`` enabling the campaign (created PAUSED) and the ad
        group ad. Returns ``"ENABLED"`` or ``"PAUSED"``."""
        cid, rn = self._ad_resource(connection=connection, ad=ad)
        api = _Api(access_token=_access_token(connection))
        from google.protobuf.field_mask_pb2 import FieldMask  # type: ignore[import-untyped]

        status_name = "ENABLED" if active else "PAUSED"
        try:
            if not active:
                operation = api.type("AdGroupAdOperation")
                operation.update.resource_name = rn
                operation.update.status = getattr(api.enum("AdGroupAdStatusEnum"), status_name)
                operation.update_mask.CopyFrom(FieldMask(paths=["status"]))
                api.service("AdGroupAdService").mutate_ad_group_ads(customer_id=cid, operations=[operation],
                                                                     timeout=CALL_TIMEOUT_S)
            else:
                ops = []
                campaign_rn = _linked(getattr(getattr(ad, "ad_set", None), "campaign", None), "campaigns", cid)
                if campaign_rn:
                    c_op = api.type("MutateOperation")
                    c_op.campaign_operation.update.resource_name = campaign_rn
                    c_op.campaign_operation.update.status = api.enum("CampaignStatusEnum").ENABLED
                    c_op.campaign_operation.update_mask.CopyFrom(FieldMask(paths=["status"]))
                    ops.append(c_op)
                a_op = api.type("MutateOperation")
                a_op.ad_group_ad_operation.update.resource_name = rn
                a_op.ad_group_ad_operation.update.status = api.enum("AdGroupAdStatusEnum").ENABLED
                a_op.ad_group_ad_operation.update_mask.CopyFrom(FieldMask(paths=["status"]))
                ops.append(a_op)
                api.service("GoogleAdsService").mutate(customer_id=cid, mutate_operations=ops, timeout=CALL_TIMEOUT_S)
        except Exception as exc:
            raise platform_error(exc) from exc
        return status_name

    def set_budget(self, *, connection: Any, ad_set: Any, budget_minor: int) -> int:
        """Sets the daily budget that feeds the ad set's ad group. Google budgets live on the
        campaign (``campaign.campaign_budget``, read by GAQL), so this is one
        ``GoogleAdsService.Mutate`` updating that ``CampaignBudget``'s ``amount_micros``
        (update_mask ``amount_micros``). Returns the new budget in minor units. Raises
        PlatformError (field ``ad_set`` when the campaign was never published; Google's refusal,
        e.g. ``CampaignBudgetError.BUDGET_BELOW_PER_DAY_MINIMUM``, blamed on ``campaign_budget.amount_micros``)."""
        cid = _customer_id(connection)
        campaign = ad_set.campaign
        campaign_rn = _linked(campaign, "campaigns", cid)
        if not campaign_rn:
            raise PlatformError("This campaign is not published on Google yet.", code="NOT_PUBLISHED", field="ad_set")
        api = _Api(access_token=_access_token(connection))
        rows = list(api.search(cid, "SELECT campaign.resource_name, campaign.campaign_budget FROM campaign "  # noqa: S608 - ids Kolony built
                                    f"WHERE campaign.resource_name = '{campaign_rn}'"))
        budget_rn = rows[0].campaign.campaign_budget if rows else ""
        if not budget_rn:
            raise PlatformError("Google has no budget for this campaign (removed?).", code="RequestError.RESOURCE_NOT_FOUND",
                                field="ad_set")
        from google.protobuf.field_mask_pb2 import FieldMask

        currency = getattr(ad_set, "currency", "") or campaign.currency
        op = api.type("MutateOperation")
        op.campaign_budget_operation.update.resource_name = budget_rn
        op.campaign_budget_operation.update.amount_micros = minor_to_micros(int(budget_minor), currency)
        op.campaign_budget_operation.update_mask.CopyFrom(FieldMask(paths=["amount_micros"]))
        try:
            api.service("GoogleAdsService").mutate(customer_id=cid, mutate_operations=[op], timeout=CALL_TIMEOUT_S)
        except Exception as exc:
            raise platform_error(exc) from exc
        return int(budget_minor)

    def fetch_status(self, *, connection: Any, ad: Any) -> dict:
        """GAQL on ``ad_group_ad``: ``status``, ``primary_status`` (Google's effective status:
        ELIGIBLE / PAUSED / PENDING / LIMITED / NOT_ELIGIBLE) and ``policy_summary``
        (approval / review status and the policy topics, shown as review messages)."""
        cid, rn = self._ad_resource(connection=connection, ad=ad)
        api = _Api(access_token=_access_token(connection))
        query = ("SELECT ad_group_ad.resource_name, ad_group_ad.status, ad_group_ad.primary_status, "  # noqa: S608 - GAQL of ids Kolony built
                 "ad_group_ad.policy_summary.approval_status, ad_group_ad.policy_summary.review_status, "
                 "ad_group_ad.policy_summary.policy_topic_entries, campaign.status, campaign.id FROM ad_group_ad "
                 f"WHERE ad_group_ad.resource_name = '{rn}'")
        rows = list(api.search(cid, query))
        if not rows:
            raise PlatformError("Google no longer has this ad (removed?).", code="RequestError.RESOURCE_NOT_FOUND", field="ad")
        row = rows[0]
        summary = row.ad_group_ad.policy_summary
        review = [f"{entry.topic} ({entry.type_.name})" for entry in summary.policy_topic_entries]
        return {
            "status": row.ad_group_ad.status.name,
            "effective_status": row.ad_group_ad.primary_status.name,
            "approval_status": summary.approval_status.name,
            "review_status": summary.review_status.name,
            "campaign_status": row.campaign.status.name,
            "review": review,
            "url": f"https://ads.google.com/aw/ads?campaignId={row.campaign.id}&__c={cid}",
        }

    # --- results ---

    def fetch_insights(self, *, connection: Any, external_ad_ids: list[str], since: date, until: date) -> Iterable[InsightRow]:
        """Daily rows per ad via ``GoogleAdsService.SearchStream`` (every batch of the stream read):
        ``metrics.cost_micros`` → ``spend_minor`` exactly (:func:`micros_to_minor`),
        ``conversions_value`` (currency units, a double) → minor units via its decimal string,
        ``conversions`` rounded half-up. Google reports quartiles as rates of impressions
        ("percentage of impressions where the viewer watched 25 % of the video", Google Ads API
        Metrics reference), so ``video_p25 = round(video_quartile_p25_rate × impressions)``, likewise
        p50/p75/p100; ``thruplays`` = ``video_trueview_views`` (viewed 30 s or to the end, or
        interacted — the closest to Meta's ThruPlay). ``external_ad_id`` echoes the id as given."""
        if not external_ad_ids:
            return []
        cid = _customer_id(connection)
        by_key: dict[str, str] = {}
        for ext in external_ad_ids:
            key = _resource_id(str(ext))  # "111~222"
            by_key[key] = ext
            by_key[key.split("~")[-1]] = ext
        ad_ids = sorted({k.split("~")[-1] for k in by_key if k.split("~")[-1].isdigit()})
        if not ad_ids:
            return []
        query = ("SELECT ad_group.id, ad_group_ad.ad.id, segments.date, metrics.impressions, metrics.clicks, "  # noqa: S608 - GAQL of ids Kolony built
                 "metrics.cost_micros, metrics.conversions, metrics.conversions_value, "
                 "metrics.video_quartile_p25_rate, metrics.video_quartile_p50_rate, metrics.video_quartile_p75_rate, "
                 "metrics.video_quartile_p100_rate, metrics.video_trueview_views FROM ad_group_ad "
                 f"WHERE segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}' "
                 f"AND ad_group_ad.ad.id IN ({', '.join(ad_ids)}) ORDER BY segments.date")
        api = _Api(access_token=_access_token(connection))
        return list(self._stream_rows(api, cid, query, by_key))

    def _stream_rows(self, api: _Api, cid: str, query: str, by_key: dict[str, str]) -> Iterator[InsightRow]:
        try:
            stream = api.service("GoogleAdsService").search_stream(customer_id=cid, query=query, timeout=CALL_TIMEOUT_S)
            for batch in stream:
                for row in batch.results:
                    yield _insight_row(row, by_key)
        except PlatformError:
            raise
        except Exception as exc:
            raise platform_error(exc) from exc


def _count(rate: float, impressions: int) -> int:
    return int((Decimal(repr(rate)) * impressions).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _insight_row(row: Any, by_key: dict[str, str]) -> InsightRow:
    m = row.metrics
    ad_key = f"{row.ad_group.id}~{row.ad_group_ad.ad.id}"
    ext = by_key.get(ad_key) or by_key.get(str(row.ad_group_ad.ad.id)) or ad_key
    impressions = int(m.impressions)
    return InsightRow(
        external_ad_id=ext,
        date=date.fromisoformat(row.segments.date),
        impressions=impressions,
        clicks=int(m.clicks),
        spend_minor=micros_to_minor(m.cost_micros),
        conversions=int(Decimal(repr(m.conversions)).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        conversion_value_minor=int((Decimal(repr(m.conversions_value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        video_plays=0,
        thruplays=int(m.video_trueview_views),
        video_p25=_count(m.video_quartile_p25_rate, impressions),
        video_p50=_count(m.video_quartile_p50_rate, impressions),
        video_p75=_count(m.video_quartile_p75_rate, impressions),
        video_p100=_count(m.video_quartile_p100_rate, impressions),
        raw={"cost_micros": int(m.cost_micros), "conversions": m.conversions, "conversions_value": m.conversions_value,
             "video_quartile_p25_rate": m.video_quartile_p25_rate, "video_quartile_p50_rate": m.video_quartile_p50_rate,
             "video_quartile_p75_rate": m.video_quartile_p75_rate, "video_quartile_p100_rate": m.video_quartile_p100_rate,
             "video_trueview_views": int(m.video_trueview_views), "ad_group_ad": ad_key},
    )


ADAPTER = GoogleAdapter()

__all__ = ["ADAPTER", "GoogleAdapter", "google_service", "google_client", "platform_error", "field_path", "minor_to_micros"]
