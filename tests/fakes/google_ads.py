"""A local stand-in for the Google Ads API v26: a gRPC server speaking the real request/response
protos of ``google-ads`` 34.x, plus the REST resumable upload of ``YouTubeVideoUploadService``.

Run it:  python -m tests.fakes.google_ads --grpc-port 8441 --http-port 8442
(or from tests: ``GoogleAdsStandin().start()``; fixture ``google_ads_standin`` in
tests/fixtures/platform_standins.py). Settings that point Kolony at it: :meth:`GoogleAdsStandin.settings`.

gRPC services (``google.ads.googleads.v26.services.*``):
- ``GoogleAdsService/Mutate``: campaign budgets, campaigns, ad groups, assets, ad group ads (create;
  update of ``status``; a budget's ``amount_micros`` with its update_mask and the Demand Gen
  minimum), negative temporary ids resolved within the request, ``validate_only``
  (nothing stored). Validates like the API: required fields (``FieldError.REQUIRED``), the Demand
  Gen budget minimum of 5 USD/day (``CampaignBudgetError.BUDGET_BELOW_PER_DAY_MINIMUM``), duplicate
  names, the EU political advertising declaration, text lengths of a
  ``demand_gen_video_responsive_ad`` (headline 40, long headline 90, description 90, business
  name 25: ``StringLengthError.TOO_LONG``), a square logo, a processed YouTube video, and the video's
  aspect ratio against the ad group's channels (Shorts only → vertical, in-stream only →
  horizontal: ``MediaUploadError.ASPECT_RATIO_NOT_ALLOWED``). Every error of a request is returned
  at once as a ``GoogleAdsFailure`` in trailing metadata
  ``google.ads.googleads.v26.errors.googleadsfailure-bin`` (so the SDK raises GoogleAdsException),
  each with its ``location.field_path_elements``.
- ``GoogleAdsService/Search`` (pages of :attr:`State.page_size`, ``next_page_token``) and
  ``/SearchStream`` (batches of :attr:`State.stream_batch`): a small GAQL (``SELECT … FROM
  customer | you_tube_video_upload | ad_group_ad | campaign [WHERE a = 'x' AND b IN (…) AND
  segments.date BETWEEN 'd1' AND 'd2'] [ORDER BY …] [LIMIT n]``); unknown fields →
  ``QueryError.UNRECOGNIZED_FIELD``. Metrics come from :meth:`GoogleAdsStandin.add_metrics`.
- ``CustomerService/ListAccessibleCustomers``; ``AdGroupAdService/MutateAdGroupAds`` (status).
- Auth: metadata ``authorization: Bearer <token>`` (an unknown/revoked token →
  UNAUTHENTICATED + ``AuthenticationError.OAUTH_TOKEN_INVALID``/``…_REVOKED``) and
  ``developer-token`` (missing → ``RequestError.DEVELOPER_TOKEN_PARAMETER_MISSING``).

REST (same host as ``GOOGLE_YOUTUBE_UPLOAD_URL``):
- ``POST /resumable/upload/v26/customers/{id}/youTubeVideoUploads:create`` with
  ``X-Goog-Upload-Protocol: resumable`` + ``X-Goog-Upload-Command: start`` and the JSON
  ``CreateYouTubeVideoUploadRequest`` → ``X-Goog-Upload-URL``; then ``POST <that URL>`` with
  ``X-Goog-Upload-Command: upload`` / ``upload, finalize`` / ``query`` and ``X-Goog-Upload-Offset``
  → ``X-Goog-Upload-Status: active|final``; the final answer is ``{"resourceName": …}``. The upload
  is PROCESSED after :attr:`State.processing_polls` reads of its ``state`` (or FAILED / REJECTED, see
  :attr:`State.upload_outcome`). The MP4's width/height are read from its ``tkhd`` box.
- ``/_standin/fail`` (``{"method", "kind", "times"}``), ``/_standin/reset``, ``GET /_standin/state``.

Controls (:meth:`GoogleAdsStandin.fail`): ``kind`` = ``throttle`` (RESOURCE_EXHAUSTED +
``QuotaError.RESOURCE_EXHAUSTED`` with ``retry_delay``), ``transient`` (INTERNAL +
``InternalError.TRANSIENT_ERROR``), ``unavailable`` (UNAVAILABLE), ``permanent`` (INVALID_ARGUMENT +
``MutateError.MUTATE_NOT_ALLOWED``), ``auth`` (UNAUTHENTICATED + ``AuthenticationError.OAUTH_TOKEN_EXPIRED``),
``hang`` (answers only after the caller's deadline). ``method`` is the RPC name (``Mutate``,
``Search``, ``SearchStream``, ``ListAccessibleCustomers``, ``MutateAdGroupAds``) or ``upload``.
:attr:`State.requests` logs every call as ``(method, {key fields})``.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import re
import secrets
import struct
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.ads.googleads.v26.errors.types import errors as errors_pb
from google.ads.googleads.v26.resources.types import customer as customer_pb
from google.ads.googleads.v26.resources.types import youtube_video_upload as upload_pb
from google.ads.googleads.v26.services.types import ad_group_ad_service, customer_service
from google.ads.googleads.v26.services.types import google_ads_service as gas
from google.ads.googleads.v26.services.types import youtube_video_upload_service as yt_service
from google.protobuf import json_format  # type: ignore[import-untyped]

VERSION = "v26"
FAILURE_KEY = f"google.ads.googleads.{VERSION}.errors.googleadsfailure-bin"
SERVICES = f"google.ads.googleads.{VERSION}.services"
DEMAND_GEN_MIN_DAILY_MICROS = {"USD": 5_000_000}
TEXT_LIMITS = {"headlines": 40, "long_headlines": 90, "descriptions": 90}
BUSINESS_NAME_MAX = 25


class Abort(Exception):
    """A failed call: gRPC ``status`` + the GoogleAdsFailure errors."""

    def __init__(self, status: Any, errors: list[Any], message: str = ""):
        super().__init__(message or (errors[0].message if errors else status.name))
        self.status = status
        self.errors = errors


def ads_error(code: str, message: str, path: list[tuple[str, int | None]] | None = None,
              retry_delay_s: int | None = None) -> Any:
    """A ``GoogleAdsError`` for ``"QuotaError.RESOURCE_EXHAUSTED"`` at ``path``
    (``[("mutate_operations", 0), ("campaign_budget_operation", None), ("create", None), ("amount_micros", None)]``)."""
    kind, value = code.split(".", 1)
    oneof = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
    if oneof == "you_tube_video_registration_error":
        oneof = "youtube_video_registration_error"
    ec = errors_pb.ErrorCode.pb()()
    fd = ec.DESCRIPTOR.fields_by_name[oneof]
    setattr(ec, oneof, fd.enum_type.values_by_name[value].number)
    err = errors_pb.GoogleAdsError(message=message, error_code=errors_pb.ErrorCode.wrap(ec))
    for name, index in path or []:
        el = errors_pb.ErrorLocation.FieldPathElement(field_name=name)
        if index is not None:
            el.index = index
        err.location.field_path_elements.append(el)
    if retry_delay_s is not None:
        err.details.quota_error_details.rate_scope = "ACCOUNT"  # type: ignore[assignment]
        err.details.quota_error_details.rate_name = "Requests per developer token per day"
        err.details.quota_error_details.retry_delay = datetime.timedelta(seconds=retry_delay_s)
    return err


FAULTS: dict[str, tuple[Any, str, str]] = {
    "throttle": (grpc.StatusCode.RESOURCE_EXHAUSTED, "QuotaError.RESOURCE_EXHAUSTED",
                 "Too many requests. Retry in 30 seconds."),
    "transient": (grpc.StatusCode.INTERNAL, "InternalError.TRANSIENT_ERROR",
                  "The request failed due to a transient error. Please retry."),
    "unavailable": (grpc.StatusCode.UNAVAILABLE, "", "The service is currently unavailable."),
    "permanent": (grpc.StatusCode.INVALID_ARGUMENT, "MutateError.MUTATE_NOT_ALLOWED",
                  "Mutates are not allowed for the requested resource."),
    "auth": (grpc.StatusCode.UNAUTHENTICATED, "AuthenticationError.OAUTH_TOKEN_EXPIRED",
             "The OAuth access token is expired."),
}
HTTP_FAULTS = {"throttle": (429, "RESOURCE_EXHAUSTED"), "transient": (503, "UNAVAILABLE"),
               "unavailable": (503, "UNAVAILABLE"), "permanent": (400, "INVALID_ARGUMENT"), "auth": (401, "UNAUTHENTICATED")}


def mp4_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels of the first video track (``tkhd`` box, ISO/IEC 14496-12 §8.3.2),
    or (0, 0) when none."""
    start = 0
    while True:
        i = data.find(b"tkhd", start)
        if i < 0:
            return 0, 0
        version = data[i + 4] if i + 4 < len(data) else 0
        off = i + 8 + (84 if version == 1 else 72)
        if off + 8 <= len(data):
            w, h = struct.unpack(">II", data[off:off + 8])
            if w >> 16 and h >> 16:
                return w >> 16, h >> 16
        start = i + 4


def png_dimensions(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return 0, 0
    w, h = struct.unpack(">II", data[16:24])
    return w, h


@dataclass
class State:
    """Everything the stand-in knows; reset between tests."""

    customers: dict[str, dict] = field(default_factory=dict)
    budgets: dict[str, Any] = field(default_factory=dict)
    campaigns: dict[str, Any] = field(default_factory=dict)
    ad_groups: dict[str, Any] = field(default_factory=dict)
    assets: dict[str, Any] = field(default_factory=dict)
    ad_group_ads: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Any] = field(default_factory=dict)
    upload_bytes: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    metrics: dict[tuple[str, str], dict] = field(default_factory=dict)
    policy: dict[str, dict] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=dict)
    revoked_tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    page_size: int = 10_000
    stream_batch: int = 10_000
    processing_polls: int = 2
    upload_outcome: str = "PROCESSED"
    ids: Any = field(default_factory=lambda: itertools.count(1001))

    def next_id(self) -> int:
        return next(self.ids)


class GoogleAdsStandin:
    """The servers + their state. ``start()`` returns self; ``stop()`` shuts both down."""

    def __init__(self, *, token_check: Callable[[str], str] | None = None):
        self.lock = threading.RLock()
        self.state = State()
        self.token_check = token_check
        self.grpc_port = 0
        self.http_port = 0
        self._grpc: Any = None
        self._http: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()
        self.reset()

    # ----- lifecycle / controls -----
    def start(self, *, grpc_port: int = 0, http_port: int = 0, host: str = "127.0.0.1") -> GoogleAdsStandin:
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._grpc.add_generic_rpc_handlers(self._handlers())
        self.grpc_port = self._grpc.add_insecure_port(f"{host}:{grpc_port}")
        self._grpc.start()
        self._http = ThreadingHTTPServer((host, http_port), _make_http_handler(self))
        self._http.daemon_threads = True
        self.http_port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, daemon=True, name="google-ads-standin-http").start()
        self.host = host
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._grpc is not None:
            self._grpc.stop(grace=0)
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def settings(self) -> dict[str, Any]:
        return {"GOOGLE_ADS_ENDPOINT": f"{self.host}:{self.grpc_port}", "GOOGLE_ADS_INSECURE_CHANNEL": True,
                "GOOGLE_YOUTUBE_UPLOAD_URL": f"http://{self.host}:{self.http_port}/resumable/upload",
                "GOOGLE_ADS_DEVELOPER_TOKEN": "standin-developer-token"}

    def reset(self) -> None:
        with self.lock:
            self.state = State()
            self.add_customer("1234567890", "Aurora Coffee (Google)")
            self.add_customer("9876543210", "Aurora Coffee — manager", manager=True)

    def add_customer(self, customer_id: str, name: str, *, currency: str = "USD", time_zone: str = "America/New_York",
                     manager: bool = False) -> None:
        with self.lock:
            self.state.customers[customer_id] = {"name": name, "currency": currency, "time_zone": time_zone, "manager": manager}

    def fail(self, method: str, kind: str = "permanent", times: int = 1) -> None:
        if kind not in FAULTS and kind != "hang":
            raise ValueError(f"kind must be one of {sorted(FAULTS) + ['hang']}")
        with self.lock:
            self.state.faults.setdefault(method, []).extend([kind] * times)

    def revoke(self, token: str) -> None:
        with self.lock:
            self.state.revoked_tokens.add(token)

    def set_policy(self, ad_group_ad: str, *, approval: str = "DISAPPROVED", review: str = "REVIEWED",
                   topics: tuple[str, ...] = ()) -> None:
        with self.lock:
            self.state.policy[ad_group_ad] = {"approval": approval, "review": review, "topics": list(topics)}

    def add_metrics(self, ad_group_ad: str, day: str, **values: Any) -> None:
        """Metrics of one ad on one day (``impressions``, ``clicks``, ``cost_micros``, ``conversions``,
        ``conversions_value``, ``video_quartile_p25_rate``…, ``video_trueview_views``)."""
        with self.lock:
            self.state.metrics[(ad_group_ad, day)] = values

    def count(self, kind: str) -> int:
        """How many resources of ``kind`` (budgets, campaigns, ad_groups, assets, ad_group_ads, uploads) exist."""
        with self.lock:
            return len(getattr(self.state, kind))

    def calls(self, method: str | None = None) -> list[tuple[str, dict]]:
        with self.lock:
            return [c for c in self.state.requests if method is None or c[0] == method]

    # ----- gRPC plumbing -----
    def _handlers(self) -> list[Any]:
        uu, us = grpc.unary_unary_rpc_method_handler, grpc.unary_stream_rpc_method_handler

        def h(fn, req, resp, stream=False):
            maker = us if stream else uu
            return maker(self._wrap(fn, stream), request_deserializer=req.deserialize, response_serializer=resp.serialize)

        return [
            grpc.method_handlers_generic_handler(f"{SERVICES}.GoogleAdsService", {
                "Mutate": h(self.mutate, gas.MutateGoogleAdsRequest, gas.MutateGoogleAdsResponse),
                "Search": h(self.search, gas.SearchGoogleAdsRequest, gas.SearchGoogleAdsResponse),
                "SearchStream": h(self.search_stream, gas.SearchGoogleAdsStreamRequest, gas.SearchGoogleAdsStreamResponse,
                                  stream=True),
            }),
            grpc.method_handlers_generic_handler(f"{SERVICES}.CustomerService", {
                "ListAccessibleCustomers": h(self.list_accessible_customers, customer_service.ListAccessibleCustomersRequest,
                                             customer_service.ListAccessibleCustomersResponse),
            }),
            grpc.method_handlers_generic_handler(f"{SERVICES}.AdGroupAdService", {
                "MutateAdGroupAds": h(self.mutate_ad_group_ads, ad_group_ad_service.MutateAdGroupAdsRequest,
                                      ad_group_ad_service.MutateAdGroupAdsResponse),
            }),
        ]

    def _take_fault(self, method: str) -> str:
        with self.lock:
            queue = self.state.faults.get(method) or []
            return queue.pop(0) if queue else ""

    def _wrap(self, fn, stream: bool):
        method = fn.__name__

        rpc = {"mutate": "Mutate", "search": "Search", "search_stream": "SearchStream",
               "list_accessible_customers": "ListAccessibleCustomers", "mutate_ad_group_ads": "MutateAdGroupAds"}[method]

        def run(request, context):
            try:
                self._check_auth(dict(context.invocation_metadata()))
                fault = self._take_fault(rpc)
                if fault == "hang":
                    while context.is_active() and not self._stopping.wait(0.05):
                        pass
                    raise Abort(grpc.StatusCode.DEADLINE_EXCEEDED, [], "Deadline exceeded")
                if fault:
                    status, code, message = FAULTS[fault]
                    raise Abort(status, [ads_error(code, message, retry_delay_s=30 if fault == "throttle" else None)]
                                if code else [], message)
                return fn(request, context)
            except Abort as exc:
                self._abort(context, exc)

        if stream:
            def run_stream(request, context):
                result = run(request, context)
                yield from result or []
            return run_stream
        return run

    def _abort(self, context, exc: Abort) -> None:
        if exc.errors:
            failure = errors_pb.GoogleAdsFailure(errors=exc.errors, request_id=secrets.token_hex(8))
            context.set_trailing_metadata(((FAILURE_KEY, errors_pb.GoogleAdsFailure.serialize(failure)),
                                           ("request-id", failure.request_id)))
        context.abort(exc.status, str(exc))

    def _check_auth(self, metadata: dict[str, str]) -> None:
        auth = metadata.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        status = "ok" if token else "invalid"
        if token and token in self.state.revoked_tokens:
            status = "revoked"
        elif token and self.token_check is not None:
            status = self.token_check(token)
        if status != "ok":
            code = {"revoked": "OAUTH_TOKEN_REVOKED", "expired": "OAUTH_TOKEN_EXPIRED"}.get(status, "OAUTH_TOKEN_INVALID")
            raise Abort(grpc.StatusCode.UNAUTHENTICATED, [ads_error(f"AuthenticationError.{code}",
                                                                     f"The OAuth token in the request is {status}.")])
        if not metadata.get("developer-token"):
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, [ads_error("RequestError.DEVELOPER_TOKEN_PARAMETER_MISSING",
                                                                      "Developer token is missing.")])

    def _customer(self, customer_id: str) -> dict:
        c = self.state.customers.get(customer_id)
        if c is None:
            raise Abort(grpc.StatusCode.PERMISSION_DENIED, [ads_error("AuthorizationError.USER_PERMISSION_DENIED",
                                                                       "User doesn't have permission to access customer.")])
        return c

    # ----- CustomerService -----
    def list_accessible_customers(self, request, context):
        with self.lock:
            self.state.requests.append(("ListAccessibleCustomers", {}))
            return customer_service.ListAccessibleCustomersResponse(
                resource_names=[f"customers/{cid}" for cid in self.state.customers])

    # ----- GoogleAdsService.Mutate -----
    def mutate(self, request, context):
        with self.lock:
            cid = request.customer_id
            ops = list(request.mutate_operations)
            kinds = [type(op).pb(op).WhichOneof("operation") or "" for op in ops]
            self.state.requests.append(("Mutate", {"customer_id": cid, "validate_only": request.validate_only,
                                                    "operations": kinds}))
            customer = self._customer(cid)
            return self._apply(cid, customer, ops, kinds, validate_only=request.validate_only)

    def _apply(self, cid: str, customer: dict, ops: list[Any], kinds: list[str], *, validate_only: bool):
        errors: list[Any] = []
        temp: dict[str, str] = {}   # temporary resource name → real one
        staged: list[tuple[str, str, Any]] = []  # (store, resource name, object)
        pending: dict[str, Any] = {}  # resource name (temp or real) → object, for references within the request

        def resolve(rn: str) -> Any:
            return pending.get(rn) or self.state.budgets.get(rn) or self.state.campaigns.get(rn) or \
                self.state.ad_groups.get(rn) or self.state.assets.get(rn) or self.state.ad_group_ads.get(rn)

        def err(i: int, kind: str, action: str, path: list[tuple[str, int | None]], code: str, message: str) -> None:
            errors.append(ads_error(code, message, [("mutate_operations", i), (kind, None), (action, None), *path]))

        def new_rn(obj_rn: str, collection: str) -> str:
            real = f"customers/{cid}/{collection}/{self.state.next_id()}"
            if obj_rn and obj_rn.rsplit("/", 1)[-1].startswith("-"):
                temp[obj_rn] = real
            return real

        budgets_for_dg: dict[str, int] = {}
        for i, (op, kind) in enumerate(zip(ops, kinds, strict=True)):
            body = getattr(op, kind)
            action = type(body).pb(body).WhichOneof("operation") or ""
            if action == "update":
                obj = body.update
                target = resolve(obj.resource_name)
                if target is None:
                    err(i, kind, action, [("resource_name", None)], "MutateError.RESOURCE_NOT_FOUND", "Resource was not found.")
                    continue
                paths = list(body.update_mask.paths)
                if kind == "campaign_budget_operation":
                    # like the API: an update names its fields in update_mask; a budget's amount must be
                    # positive and, for a Demand Gen campaign's budget, at least the per-day minimum
                    if not paths:
                        err(i, kind, action, [("update_mask", None)], "FieldMaskError.FIELD_MASK_MISSING",
                            "The field mask must be set for an update.")
                    unknown = [p for p in paths if p not in ("amount_micros", "name", "delivery_method")]
                    if unknown:
                        err(i, kind, action, [(unknown[0], None)], "FieldMaskError.FIELD_NOT_FOUND",
                            f"The field mask contained an invalid field: '{unknown[0]}'.")
                    if "amount_micros" in paths:
                        users = [c for c in self.state.campaigns.values() if c.campaign_budget == obj.resource_name]
                        minimum = DEMAND_GEN_MIN_DAILY_MICROS.get(customer["currency"], 0)
                        if obj.amount_micros <= 0:
                            err(i, kind, action, [("amount_micros", None)], "FieldError.REQUIRED", "The required field was not present.")
                        elif any(c.advertising_channel_type.name == "DEMAND_GEN" for c in users) and obj.amount_micros < minimum:
                            err(i, kind, action, [("amount_micros", None)], "CampaignBudgetError.BUDGET_BELOW_PER_DAY_MINIMUM",
                                f"The budget is below the per-day minimum of {minimum // 1_000_000} {customer['currency']} "
                                "for Demand Gen campaigns.")
                staged.append(("update", obj.resource_name, (target, obj, paths)))
                continue
            if action != "create":
                err(i, kind, action or "create", [], "RequestError.OPERATION_REQUIRED",
                    "Mutate operations must have 'create', 'update', or 'remove' specified.")
                continue
            obj = body.create
            if kind == "campaign_budget_operation":
                if not obj.name:
                    err(i, kind, action, [("name", None)], "FieldError.REQUIRED", "The required field was not present.")
                elif any(b.name == obj.name for b in self.state.budgets.values()):
                    err(i, kind, action, [("name", None)], "CampaignBudgetError.DUPLICATE_NAME", "The campaign budget name already exists.")
                if obj.amount_micros <= 0:
                    err(i, kind, action, [("amount_micros", None)], "FieldError.REQUIRED", "The required field was not present.")
                rn = new_rn(obj.resource_name, "campaignBudgets")
                pending[obj.resource_name] = obj
                staged.append(("budgets", rn, obj))
                budgets_for_dg[obj.resource_name] = i
            elif kind == "campaign_operation":
                if not obj.name:
                    err(i, kind, action, [("name", None)], "FieldError.REQUIRED", "The required field was not present.")
                elif any(c.name == obj.name for c in self.state.campaigns.values()):
                    err(i, kind, action, [("name", None)], "CampaignError.DUPLICATE_CAMPAIGN_NAME",
                        "Campaign with this name already exists.")
                if obj.advertising_channel_type.name in ("UNSPECIFIED", "UNKNOWN"):
                    err(i, kind, action, [("advertising_channel_type", None)], "FieldError.REQUIRED", "The required field was not present.")
                if obj.contains_eu_political_advertising.name in ("UNSPECIFIED", "UNKNOWN"):
                    err(i, kind, action, [("contains_eu_political_advertising", None)],
                        "MutateError.EU_POLITICAL_ADVERTISING_DECLARATION_REQUIRED",
                        "The field contains_eu_political_advertising is required for new campaigns.")
                if not type(obj).pb(obj).WhichOneof("campaign_bidding_strategy"):
                    err(i, kind, action, [("bidding_strategy_type", None)], "FieldError.REQUIRED", "The required field was not present.")
                budget = resolve(obj.campaign_budget)
                if budget is None:
                    err(i, kind, action, [("campaign_budget", None)], "MutateError.RESOURCE_NOT_FOUND", "Resource was not found.")
                elif obj.advertising_channel_type.name == "DEMAND_GEN":
                    minimum = DEMAND_GEN_MIN_DAILY_MICROS.get(customer["currency"], 0)
                    if budget.amount_micros and budget.amount_micros < minimum:
                        j = budgets_for_dg.get(obj.campaign_budget, i)
                        errors.append(ads_error(
                            "CampaignBudgetError.BUDGET_BELOW_PER_DAY_MINIMUM",
                            f"The budget is below the per-day minimum of {minimum // 1_000_000} {customer['currency']} "
                            "for Demand Gen campaigns.",
                            [("mutate_operations", j), ("campaign_budget_operation", None), ("create", None), ("amount_micros", None)]))
                    if budget.explicitly_shared:
                        err(i, kind, action, [("campaign_budget", None)], "FieldError.INVALID_VALUE",
                            "Demand Gen campaigns cannot use a shared budget.")
                rn = new_rn(obj.resource_name, "campaigns")
                pending[obj.resource_name] = obj
                staged.append(("campaigns", rn, obj))
            elif kind == "ad_group_operation":
                if not obj.name:
                    err(i, kind, action, [("name", None)], "FieldError.REQUIRED", "The required field was not present.")
                campaign = resolve(obj.campaign)
                if campaign is None:
                    err(i, kind, action, [("campaign", None)], "MutateError.RESOURCE_NOT_FOUND", "Resource was not found.")
                else:
                    if any(g.name == obj.name and g.campaign == obj.campaign for g in self.state.ad_groups.values()):
                        err(i, kind, action, [("name", None)], "AdGroupError.DUPLICATE_ADGROUP_NAME",
                            "AdGroup with the same name already exists for the campaign.")
                    controls = obj.demand_gen_ad_group_settings.channel_controls
                    if campaign.advertising_channel_type.name == "DEMAND_GEN" and controls.channel_config.name == "SELECTED_CHANNELS":
                        sel = controls.selected_channels
                        if not any(getattr(sel, c) for c in ("youtube_in_stream", "youtube_in_feed", "youtube_shorts", "discover",
                                                             "gmail", "display", "maps")):
                            err(i, kind, action, [("demand_gen_ad_group_settings", None), ("channel_controls", None),
                                                  ("selected_channels", None)], "FieldError.REQUIRED", "Select at least one channel.")
                rn = new_rn(obj.resource_name, "adGroups")
                pending[obj.resource_name] = obj
                staged.append(("ad_groups", rn, obj))
            elif kind == "asset_operation":
                which = type(obj).pb(obj).WhichOneof("asset_data")
                if which == "youtube_video_asset":
                    vid = obj.youtube_video_asset.youtube_video_id
                    if not vid:
                        err(i, kind, action, [("youtube_video_asset", None), ("youtube_video_id", None)], "FieldError.REQUIRED",
                            "The required field was not present.")
                    elif not any(u.video_id == vid and u.state.name == "PROCESSED" for u in self.state.uploads.values()):
                        err(i, kind, action, [("youtube_video_asset", None), ("youtube_video_id", None)],
                            "YouTubeVideoRegistrationError.VIDEO_NOT_FOUND", "Video to be registered wasn't found.")
                elif which == "image_asset":
                    w, h = png_dimensions(obj.image_asset.data)
                    if not w:
                        err(i, kind, action, [("image_asset", None), ("data", None)], "AssetError.ASSET_DATA_IS_MISSING",
                            "The image data is missing or not a PNG.")
                elif which == "call_to_action_asset":
                    pass
                else:
                    err(i, kind, action, [], "FieldError.REQUIRED", "The asset has no data.")
                rn = new_rn(obj.resource_name, "assets")
                pending[obj.resource_name] = obj
                staged.append(("assets", rn, obj))
            elif kind == "ad_group_ad_operation":
                self._check_ad(i, kind, obj, resolve, errors)
                ad_group_rn = obj.ad_group
                staged.append(("ad_group_ads", ad_group_rn, obj))
            else:
                err(i, kind, action, [], "MutateError.MUTATE_NOT_ALLOWED", f"{kind} is not supported by the stand-in.")
        if errors:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, errors)
        response = gas.MutateGoogleAdsResponse()
        if validate_only:
            return response
        for store, rn, obj in staged:
            res = gas.MutateOperationResponse()
            if store == "update":
                target, upd, paths = obj
                for p in paths:
                    setattr(target, p, getattr(upd, p))
                for collection, key in (("campaigns", "campaign_result"), ("ad_group_ads", "ad_group_ad_result"),
                                        ("budgets", "campaign_budget_result"), ("ad_groups", "ad_group_result")):
                    if rn in getattr(self.state, collection):
                        getattr(res, key).resource_name = rn
                response.mutate_operation_responses.append(res)
                continue
            stored = type(obj)(obj)
            if store == "ad_group_ads":
                ag_rn = temp.get(rn, rn)
                ad_id = self.state.next_id()
                stored.ad_group = ag_rn
                stored.ad.id = ad_id
                stored.ad.resource_name = f"customers/{cid}/ads/{ad_id}"
                for v in stored.ad.demand_gen_video_responsive_ad.videos:
                    v.asset = temp.get(v.asset, v.asset)
                for v in stored.ad.demand_gen_video_responsive_ad.logo_images:
                    v.asset = temp.get(v.asset, v.asset)
                for v in stored.ad.demand_gen_video_responsive_ad.call_to_actions:
                    v.asset = temp.get(v.asset, v.asset)
                rn = f"customers/{cid}/adGroupAds/{ag_rn.rsplit('/', 1)[-1]}~{ad_id}"
                res.ad_group_ad_result.resource_name = rn
            else:
                if store == "campaigns":
                    stored.campaign_budget = temp.get(stored.campaign_budget, stored.campaign_budget)
                    res.campaign_result.resource_name = rn
                elif store == "budgets":
                    res.campaign_budget_result.resource_name = rn
                elif store == "ad_groups":
                    stored.campaign = temp.get(stored.campaign, stored.campaign)
                    res.ad_group_result.resource_name = rn
                elif store == "assets":
                    res.asset_result.resource_name = rn
                stored.id = int(rn.rsplit("/", 1)[-1])
            stored.resource_name = rn
            getattr(self.state, store)[rn] = stored
            response.mutate_operation_responses.append(res)
        return response

    def _check_ad(self, i: int, kind: str, obj: Any, resolve, errors: list[Any]) -> None:
        base = [("mutate_operations", i), (kind, None), ("create", None)]

        def err(path, code, message):
            errors.append(ads_error(code, message, base + path))

        ad_group = resolve(obj.ad_group)
        if ad_group is None:
            err([("ad_group", None)], "MutateError.RESOURCE_NOT_FOUND", "Resource was not found.")
        ad = obj.ad
        info = ad.demand_gen_video_responsive_ad
        if not ad.final_urls:
            err([("ad", None), ("final_urls", None)], "FieldError.REQUIRED", "The required field was not present.")
        for name, limit in TEXT_LIMITS.items():
            items = getattr(info, name)
            if not items:
                err([("ad", None), ("demand_gen_video_responsive_ad", None), (name, None)], "FieldError.REQUIRED_NONEMPTY_LIST",
                    "Field must contain at least one element.")
            for j, item in enumerate(items):
                if not item.text.strip():
                    err([("ad", None), ("demand_gen_video_responsive_ad", None), (name, j), ("text", None)],
                        "StringLengthError.TOO_SHORT", "Too short.")
                elif len(item.text) > limit:
                    err([("ad", None), ("demand_gen_video_responsive_ad", None), (name, j), ("text", None)],
                        "StringLengthError.TOO_LONG", f"Too long: at most {limit} characters.")
        if not info.business_name.text:
            err([("ad", None), ("demand_gen_video_responsive_ad", None), ("business_name", None)], "FieldError.REQUIRED",
                "The required field was not present.")
        elif len(info.business_name.text) > BUSINESS_NAME_MAX:
            err([("ad", None), ("demand_gen_video_responsive_ad", None), ("business_name", None), ("text", None)],
                "StringLengthError.TOO_LONG", f"Too long: at most {BUSINESS_NAME_MAX} characters.")
        if not info.logo_images:
            err([("ad", None), ("demand_gen_video_responsive_ad", None), ("logo_images", None)], "FieldError.REQUIRED_NONEMPTY_LIST",
                "Field must contain at least one element.")
        for j, logo in enumerate(info.logo_images):
            asset = resolve(logo.asset)
            w, h = png_dimensions(asset.image_asset.data) if asset is not None else (0, 0)
            if asset is None:
                err([("ad", None), ("demand_gen_video_responsive_ad", None), ("logo_images", j), ("asset", None)],
                    "MutateError.RESOURCE_NOT_FOUND", "Resource was not found.")
            elif w and (w != h or w < 128):
                err([("ad", None), ("demand_gen_video_responsive_ad", None), ("logo_images", j), ("asset", None)],
                    "MediaUploadError.ASPECT_RATIO_NOT_ALLOWED", "The logo must be square (1:1), at least 128×128.")
        if not info.videos:
            err([("ad", None), ("demand_gen_video_responsive_ad", None), ("videos", None)], "FieldError.REQUIRED_NONEMPTY_LIST",
                "Field must contain at least one element.")
        for j, v in enumerate(info.videos):
            asset = resolve(v.asset)
            path = [("ad", None), ("demand_gen_video_responsive_ad", None), ("videos", j), ("asset", None)]
            if asset is None:
                err(path, "MutateError.RESOURCE_NOT_FOUND", "Resource was not found.")
                continue
            dims = next((self.state.upload_bytes.get(u.resource_name, {}).get("dims") for u in self.state.uploads.values()
                         if u.video_id == asset.youtube_video_asset.youtube_video_id), None)
            if not dims or ad_group is None:
                continue
            w, h = dims
            sel = ad_group.demand_gen_ad_group_settings.channel_controls.selected_channels
            chosen = {c for c in ("youtube_in_stream", "youtube_in_feed", "youtube_shorts", "discover", "gmail", "display")
                      if getattr(sel, c)}
            if chosen == {"youtube_shorts"} and not h > w:
                err(path, "MediaUploadError.ASPECT_RATIO_NOT_ALLOWED",
                    f"YouTube Shorts needs a vertical (9:16) video; this one is {w}×{h}.")
            if chosen == {"youtube_in_stream"} and h > w:
                err(path, "MediaUploadError.ASPECT_RATIO_NOT_ALLOWED",
                    f"YouTube in-stream needs a horizontal (16:9) video; this one is {w}×{h}.")

    # ----- AdGroupAdService -----
    def mutate_ad_group_ads(self, request, context):
        with self.lock:
            self.state.requests.append(("MutateAdGroupAds", {"customer_id": request.customer_id, "operations": [
                (op.update.resource_name, op.update.status.name, list(op.update_mask.paths)) for op in request.operations]}))
            self._customer(request.customer_id)
            response = ad_group_ad_service.MutateAdGroupAdsResponse()
            errors = []
            for i, op in enumerate(request.operations):
                if op.update.resource_name not in self.state.ad_group_ads:
                    errors.append(ads_error("MutateError.RESOURCE_NOT_FOUND", "Resource was not found.",
                                            [("operations", i), ("update", None), ("resource_name", None)]))
            if errors:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, errors)
            if request.validate_only:
                return response
            for op in request.operations:
                target = self.state.ad_group_ads[op.update.resource_name]
                for p in op.update_mask.paths:
                    setattr(target, p, getattr(op.update, p))
                response.results.append(ad_group_ad_service.MutateAdGroupAdResult(resource_name=op.update.resource_name))
            return response

    # ----- GAQL -----
    def search(self, request, context):
        with self.lock:
            self.state.requests.append(("Search", {"customer_id": request.customer_id, "query": request.query,
                                                   "page_token": request.page_token}))
            rows = self._query(request.customer_id, request.query)
            start = int(request.page_token or 0) if (request.page_token or "0").isdigit() else -1
            if start < 0 or start > len(rows):
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, [ads_error("RequestError.INVALID_PAGE_TOKEN", "Page token is invalid.")])
            page = rows[start:start + self.state.page_size]
            response = gas.SearchGoogleAdsResponse(results=page)
            if start + self.state.page_size < len(rows):
                response.next_page_token = str(start + self.state.page_size)
            return response

    def search_stream(self, request, context):
        with self.lock:
            self.state.requests.append(("SearchStream", {"customer_id": request.customer_id, "query": request.query}))
            rows = self._query(request.customer_id, request.query)
        size = self.state.stream_batch
        return [gas.SearchGoogleAdsStreamResponse(results=rows[i:i + size], request_id=secrets.token_hex(6))
                for i in range(0, len(rows), size)] or [gas.SearchGoogleAdsStreamResponse(request_id=secrets.token_hex(6))]

    _QUERY = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
                        r"(?:\s+ORDER BY\s+(?P<order>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.I | re.S)

    def _query(self, cid: str, query: str) -> list[Any]:
        m = self._QUERY.match(query)
        if not m:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, [ads_error("QueryError.QUERY_ERROR", "Error in the query.")])
        fields = [f.strip() for f in m["fields"].split(",")]
        row_desc = gas.GoogleAdsRow.pb().DESCRIPTOR
        for f in fields:
            desc = row_desc
            for part in f.split("."):
                fd = desc.fields_by_name.get(part) or desc.fields_by_name.get(part + "_")
                if fd is None:
                    raise Abort(grpc.StatusCode.INVALID_ARGUMENT, [ads_error("QueryError.UNRECOGNIZED_FIELD",
                                                                              f"Unrecognized field in the query: '{f}'.")])
                desc = fd.message_type
                if desc is None:
                    break
        customer = self._customer(cid)
        conditions = self._conditions(m["where"] or "")
        resource = m["resource"]
        rows: list[Any] = []
        if resource == "customer":
            row = gas.GoogleAdsRow()
            row.customer = customer_pb.Customer(resource_name=f"customers/{cid}", id=int(cid), descriptive_name=customer["name"],
                                                currency_code=customer["currency"], time_zone=customer["time_zone"],
                                                manager=customer["manager"])
            rows.append(row)
        elif resource == "you_tube_video_upload":
            for rn, upload in self.state.uploads.items():
                if not rn.startswith(f"customers/{cid}/"):
                    continue
                if self._match(conditions, {"you_tube_video_upload.resource_name": rn}):
                    self._advance_upload(rn)
                    row = gas.GoogleAdsRow()
                    row.you_tube_video_upload = upload
                    rows.append(row)
        elif resource == "campaign":
            for rn, campaign in self.state.campaigns.items():
                if rn.startswith(f"customers/{cid}/") and self._match(conditions, {"campaign.resource_name": rn,
                                                                                    "campaign.id": str(campaign.id)}):
                    rows.append(gas.GoogleAdsRow(campaign=campaign))
        elif resource == "ad_group_ad":
            wants_metrics = any(f.startswith(("metrics.", "segments.")) for f in fields)
            for rn, aga in self.state.ad_group_ads.items():
                if not rn.startswith(f"customers/{cid}/"):
                    continue
                values = {"ad_group_ad.resource_name": rn, "ad_group_ad.ad.id": str(aga.ad.id),
                          "ad_group.id": aga.ad_group.rsplit("/", 1)[-1]}
                if not self._match(conditions, values):
                    continue
                base = self._ad_row(rn, aga)
                if not wants_metrics:
                    rows.append(base)
                    continue
                for (m_rn, day), metrics in sorted(self.state.metrics.items(), key=lambda kv: kv[0][1]):
                    if m_rn != rn or not self._match(conditions, {**values, "segments.date": day}):
                        continue
                    row = gas.GoogleAdsRow(base)
                    row.segments.date = day
                    for k, v in metrics.items():
                        setattr(row.metrics, k, v)
                    rows.append(row)
            if wants_metrics:
                rows.sort(key=lambda r: r.segments.date)
        else:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, [ads_error("QueryError.BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                                                                      f"Resource '{resource}' is not supported here.")])
        if m["limit"]:
            rows = rows[: int(m["limit"])]
        return rows

    def _ad_row(self, rn: str, aga: Any) -> Any:
        row = gas.GoogleAdsRow()
        stored = type(aga)(aga)
        pol = self.state.policy.get(rn, {"approval": "APPROVED", "review": "REVIEWED", "topics": []})
        stored.policy_summary.approval_status = pol["approval"]
        stored.policy_summary.review_status = pol["review"]
        for topic in pol["topics"]:
            entry = stored.policy_summary.policy_topic_entries.add() if hasattr(stored.policy_summary.policy_topic_entries, "add") else None
            if entry is None:
                from google.ads.googleads.v26.common.types import policy

                stored.policy_summary.policy_topic_entries.append(policy.PolicyTopicEntry(topic=topic, type_="PROHIBITED"))
        ad_group = self.state.ad_groups.get(aga.ad_group)
        campaign = self.state.campaigns.get(ad_group.campaign) if ad_group is not None else None
        if aga.status.name != "ENABLED" or (campaign is not None and campaign.status.name != "ENABLED"):
            stored.primary_status = "PAUSED"
        elif pol["approval"] == "DISAPPROVED":
            stored.primary_status = "NOT_ELIGIBLE"
        elif pol["review"] != "REVIEWED":
            stored.primary_status = "PENDING"
        else:
            stored.primary_status = "ELIGIBLE"
        row.ad_group_ad = stored
        if ad_group is not None:
            row.ad_group = ad_group
        if campaign is not None:
            row.campaign = campaign
        return row

    def _advance_upload(self, rn: str) -> None:
        upload = self.state.uploads[rn]
        info = self.state.upload_bytes.setdefault(rn, {})
        info["polls"] = info.get("polls", 0) + 1
        if upload.state.name in ("UPLOADED", "PENDING") and info["polls"] >= self.state.processing_polls:
            upload.state = self.state.upload_outcome
            if self.state.upload_outcome == "PROCESSED":
                upload.video_id = secrets.token_urlsafe(8)[:11]

    @staticmethod
    def _conditions(where: str) -> list[tuple[str, str, Any]]:
        out: list[tuple[str, str, Any]] = []
        rest = where.strip()
        pattern = re.compile(r"^(?P<field>[\w.]+)\s+(?:(?P<between>BETWEEN)\s+'(?P<a>[^']*)'\s+AND\s+'(?P<b>[^']*)'"
                             r"|(?P<in>IN)\s*\((?P<list>[^)]*)\)|=\s*(?:'(?P<s>[^']*)'|(?P<n>[\w-]+)))\s*(?:AND\s+|$)", re.I)
        while rest:
            m = pattern.match(rest)
            if not m:
                raise Abort(grpc.StatusCode.INVALID_ARGUMENT, [ads_error("QueryError.UNEXPECTED_INPUT",
                                                                          f"Unexpected input in WHERE: {rest[:60]}")])
            if m["between"]:
                out.append((m["field"], "between", (m["a"], m["b"])))
            elif m["in"]:
                out.append((m["field"], "in", [v.strip().strip("'") for v in m["list"].split(",") if v.strip()]))
            else:
                out.append((m["field"], "=", m["s"] if m["s"] is not None else m["n"]))
            rest = rest[m.end():]
        return out

    @staticmethod
    def _match(conditions: list[tuple[str, str, Any]], values: dict[str, str]) -> bool:
        for fld, op, arg in conditions:
            if fld not in values:
                continue
            v = values[fld]
            if op == "=" and v != arg or op == "in" and v not in arg or op == "between" and not (arg[0] <= v <= arg[1]):
                return False
        return True

    # ----- REST resumable upload -----
    def http_upload(self, handler: BaseHTTPRequestHandler, path: str, body: bytes) -> tuple[int, dict, bytes]:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        command = headers.get("x-goog-upload-command", "")
        with self.lock:
            self.state.requests.append(("upload", {"path": path, "command": command,
                                                   "offset": headers.get("x-goog-upload-offset", ""), "bytes": len(body)}))
            fault = self._take_fault("upload")
        if fault and fault in HTTP_FAULTS:
            status, name = HTTP_FAULTS[fault]
            code, message = FAULTS[fault][1], FAULTS[fault][2]
            return status, {"Retry-After": "30"} if fault == "throttle" else {}, _rest_error(status, name, code, message)
        m = re.match(rf"^/resumable/upload/{VERSION}/customers/(\d+)/youTubeVideoUploads:create$", path)
        if m:
            auth = headers.get("authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else ""
            state = "ok" if token and token not in self.state.revoked_tokens else "invalid"
            if token and state == "ok" and self.token_check is not None:
                state = self.token_check(token)
            if state != "ok":
                return 401, {}, _rest_error(401, "UNAUTHENTICATED", "AuthenticationError.OAUTH_TOKEN_INVALID",
                                            f"The OAuth token in the request is {state}.")
            if not headers.get("developer-token"):
                return 400, {}, _rest_error(400, "INVALID_ARGUMENT", "RequestError.DEVELOPER_TOKEN_PARAMETER_MISSING",
                                            "Developer token is missing.")
            if command != "start" or headers.get("x-goog-upload-protocol") != "resumable":
                return 400, {}, _rest_error(400, "INVALID_ARGUMENT", "FieldError.INVALID_VALUE",
                                            "Expected X-Goog-Upload-Protocol: resumable and X-Goog-Upload-Command: start.")
            cid = m.group(1)
            if cid not in self.state.customers:
                return 403, {}, _rest_error(403, "PERMISSION_DENIED", "AuthorizationError.USER_PERMISSION_DENIED",
                                            "User doesn't have permission to access customer.")
            try:
                req = yt_service.CreateYouTubeVideoUploadRequest()
                json_format.Parse(body.decode() or "{}", yt_service.CreateYouTubeVideoUploadRequest.pb(req), ignore_unknown_fields=False)
            except Exception as exc:  # noqa: BLE001 - the API's INVALID_ARGUMENT
                return 400, {}, _rest_error(400, "INVALID_ARGUMENT", "FieldError.INVALID_VALUE", f"Invalid JSON payload: {exc}")
            upload = req.you_tube_video_upload
            problems = []
            if not upload.video_title:
                problems.append(("video_title", "FieldError.REQUIRED", "The required field was not present."))
            if upload.video_privacy.name in ("UNSPECIFIED", "UNKNOWN"):
                problems.append(("video_privacy", "FieldError.REQUIRED", "The required field was not present."))
            if problems:
                return 400, {}, _rest_error(400, "INVALID_ARGUMENT", problems[0][1], problems[0][2],
                                            field_path=["you_tube_video_upload", problems[0][0]], more=problems[1:])
            session = secrets.token_urlsafe(12)
            with self.lock:
                self.state.sessions[session] = {"customer_id": cid, "upload": upload, "data": bytearray(), "final": False,
                                                "content_type": headers.get("x-goog-upload-header-content-type", "")}
            url = f"http://{self.host}:{self.http_port}/_upload/{session}"
            return 200, {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active",
                         "X-Goog-Upload-Chunk-Granularity": "262144"}, b""
        m = re.match(r"^/_upload/([\w-]+)$", path)
        if m:
            with self.lock:
                sess = self.state.sessions.get(m.group(1))
                if sess is None:
                    return 404, {}, _rest_error(404, "NOT_FOUND", "RequestError.RESOURCE_NOT_FOUND", "Upload session not found.")
                if command == "query":
                    return 200, {"X-Goog-Upload-Status": "final" if sess["final"] else "active",
                                 "X-Goog-Upload-Size-Received": str(len(sess["data"]))}, b""
                offset = int(headers.get("x-goog-upload-offset", "-1"))
                if offset != len(sess["data"]):
                    return 400, {"X-Goog-Upload-Status": "active"}, _rest_error(
                        400, "INVALID_ARGUMENT", "FieldError.INVALID_VALUE", f"Offset {offset} != received {len(sess['data'])}.")
                sess["data"].extend(body)
                if "finalize" not in command:
                    return 200, {"X-Goog-Upload-Status": "active"}, b""
                sess["final"] = True
                cid = sess["customer_id"]
                upload = upload_pb.YouTubeVideoUpload(sess["upload"])
                upload_id = self.state.next_id()
                upload.resource_name = f"customers/{cid}/youTubeVideoUploads/{upload_id}"
                upload.video_upload_id = upload_id
                upload.state = "UPLOADED"  # type: ignore[assignment]
                upload.channel_id = "UC_standin_channel"
                self.state.uploads[upload.resource_name] = upload
                self.state.upload_bytes[upload.resource_name] = {"size": len(sess["data"]), "dims": mp4_dimensions(bytes(sess["data"])),
                                                                 "polls": 0}
                resp = yt_service.CreateYouTubeVideoUploadResponse(resource_name=upload.resource_name)
                return 200, {"X-Goog-Upload-Status": "final", "Content-Type": "application/json"}, \
                    json_format.MessageToJson(yt_service.CreateYouTubeVideoUploadResponse.pb(resp)).encode()
        return 404, {}, _rest_error(404, "NOT_FOUND", "RequestError.RESOURCE_NOT_FOUND", f"No route {path}.")

    def snapshot(self) -> dict:
        with self.lock:
            return {k: len(getattr(self.state, k)) for k in ("budgets", "campaigns", "ad_groups", "assets", "ad_group_ads", "uploads")} | {
                "requests": self.state.requests[-50:]}


def _rest_error(status: int, name: str, code: str, message: str, *, field_path: list[str] | None = None,
                more: list[tuple[str, str, str]] | None = None) -> bytes:
    """Google's REST error body, with the GoogleAdsFailure in ``details`` (JSON mapping)."""
    def one(c: str, msg: str, path: list[str] | None) -> dict:
        kind, value = c.split(".", 1)
        key = kind[0].lower() + kind[1:]
        e: dict[str, Any] = {"errorCode": {key: value}, "message": msg}
        if path:
            e["location"] = {"fieldPathElements": [{"fieldName": p} for p in path]}
        return e

    errs = [one(code, message, field_path)] + [one(c, msg, ["you_tube_video_upload", f]) for f, c, msg in (more or [])]
    return json.dumps({"error": {"code": status, "message": message, "status": name, "details": [
        {"@type": f"type.googleapis.com/google.ads.googleads.{VERSION}.errors.GoogleAdsFailure", "errors": errs}]}}).encode()


def _make_http_handler(standin: GoogleAdsStandin):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if body and "Content-Type" not in headers:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def do_GET(self):  # noqa: N802
            self._body()
            if self.path == "/_standin/state":
                return self._send(200, {}, json.dumps(standin.snapshot(), default=str).encode())
            return self._send(404, {}, b"{}")

        def do_POST(self):  # noqa: N802
            body = self._body()
            path = self.path.split("?", 1)[0]
            if path == "/_standin/fail":
                data = json.loads(body or b"{}")
                try:
                    standin.fail(data.get("method", "Mutate"), data.get("kind", "permanent"), int(data.get("times", 1)))
                except ValueError as exc:
                    return self._send(400, {}, json.dumps({"error": str(exc)}).encode())
                return self._send(200, {}, b"{}")
            if path == "/_standin/reset":
                standin.reset()
                return self._send(200, {}, b"{}")
            status, headers, out = standin.http_upload(self, path, body)
            return self._send(status, headers, out)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grpc-port", type=int, default=8441)
    parser.add_argument("--http-port", type=int, default=8442)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    standin = GoogleAdsStandin().start(grpc_port=args.grpc_port, http_port=args.http_port, host=args.host)
    print(json.dumps(standin.settings()), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
