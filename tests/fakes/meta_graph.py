"""A local stand-in for Meta's Graph API (Marketing API v26.0), answering as the documented API does.

Run it:  python -m tests.fakes.meta_graph --port 8431      (serves both graph and graph-video hosts)

In tests: ``MetaGraphStandIn().start()`` (see tests/fixtures/platform_standins.py ``meta_graph``)
gives ``.url`` (settings META_GRAPH_URL and META_GRAPH_VIDEO_URL), a Python handle on the state
(``.objects``, ``.created`` counters, ``.requests`` log) and controls:

- ``fail(path_fragment, kind, times=1, code=..., ...)``: the next ``times`` requests whose path
  contains ``path_fragment`` (and, optionally, whose method is ``method``) answer an error:
  ``kind`` "throttle" (code 80004 + ``X-Business-Use-Case-Usage`` with
  ``estimated_time_to_regain_access``), "transient" (code 2, ``is_transient`` true), "permanent"
  (code 100 with ``error_user_msg`` and ``blame_field_specs``), "auth" (code 190) or "hang" (sleeps
  ``hang_s`` before answering normally). Also over HTTP: ``POST /_standin/fail`` with the same
  keys as JSON, ``GET /_standin/state``, ``POST /_standin/reset``, ``POST /_standin/insights``.
- ``revoke(token)``: that access token answers code 190 (OAuthException) from then on.
- ``set_insights(ad_id, rows)``: the daily rows ``/insights`` serves for that ad (otherwise a
  deterministic synthetic row per day for every ad that exists, so the demo shows results).

What it validates (the real API's rules, from developers.facebook.com/docs/marketing-api/reference/):
- campaigns: ``name``; ``objective`` one of the six ODAX ``OUTCOME_*`` values (legacy objectives
  are refused since v17); ``special_ad_categories`` required (a list; ``[]`` for none);
  ``status`` enum; without a campaign budget ``is_adset_budget_sharing_enabled`` is required
  (since v24, error_subcode 4834011).
- ad sets: ``campaign_id`` of an existing campaign; exactly one of ``daily_budget`` /
  ``lifetime_budget`` unless the campaign has a budget; a lifetime budget needs ``end_time``;
  ``billing_event`` / ``optimization_goal`` enums; budget minimum 100 minor units a day
  (error_subcode 1885272 "budget too low"); ``targeting.geo_locations`` required;
  ``targeting.targeting_automation.advantage_audience`` required (error_subcode 1870227); bid cap
  / cost cap strategies need ``bid_amount``.
- advideos: the SDK's chunked upload (``upload_phase`` start with ``file_size`` → ``video_id``,
  ``upload_session_id``, ``start_offset``/``end_offset``; transfer with ``upload_session_id``,
  ``start_offset`` and the ``video_file_chunk`` multipart part, wrong offsets → error_subcode
  1363037 with the expected offsets in ``error_data``; finish with ``upload_session_id``). The
  video's size is read from the MP4's ``tkhd`` box; ``GET /<video_id>?fields=status`` reports
  ``processing`` for ``processing_polls`` polls, then ``ready``.
- adimages: a multipart image → ``{"images": {name: {"hash": md5, "url"}}}``.
- adcreatives: ``object_story_spec.page_id`` and ``video_data.video_id`` (an uploaded, ready video),
  ``video_data.image_hash`` or ``image_url`` required (a thumbnail), ``call_to_action.type`` enum
  and ``value.link`` required for every type but NO_BUTTON.
- ads: ``adset_id``, ``creative.creative_id`` existing, ``status`` enum; the creative's video
  aspect ratio must suit the ad set's placements: Stories / Reels positions need a vertical 9:16
  video (the stand-in's own subcode 1487390, message in Meta's words).
- ``/<id>`` GET fields / POST ``status``, ``daily_budget`` / ``lifetime_budget`` (whole minor units, the
  kind it was created with, none on an ad set under a campaign budget, the daily minimum); ``/<ad_id>`` answers ``effective_status`` and
  ``ad_review_feedback``; ``/insights`` (node or ``/act_<id>/insights?level=ad``) with
  ``time_range`` + ``time_increment=1``, string numbers, ``paging.cursors.after`` + ``paging.next``.
- every request needs an ``access_token`` (code 190 when missing or revoked).
Errors use the real body ``{"error": {message, type, code, error_subcode, is_transient,
error_user_title, error_user_msg, error_data, fbtrace_id}}`` (HTTP 400; 403 for auth? Meta uses
400/401 — 400 here for OAuthException too, as Graph does for code 190).
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.message
import hashlib
import itertools
import json
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.threaded_server import ThreadedHTTPStandIn

API_VERSION = "v26.0"
OBJECTIVES = {"OUTCOME_APP_PROMOTION", "OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT", "OUTCOME_LEADS", "OUTCOME_SALES",
              "OUTCOME_TRAFFIC"}
SPECIAL_AD_CATEGORIES = {"NONE", "EMPLOYMENT", "HOUSING", "CREDIT", "FINANCIAL_PRODUCTS_SERVICES",
                         "ISSUES_ELECTIONS_POLITICS", "ONLINE_GAMBLING_AND_GAMING"}
STATUSES = {"ACTIVE", "PAUSED", "DELETED", "ARCHIVED"}
BILLING_EVENTS = {"APP_INSTALLS", "CLICKS", "IMPRESSIONS", "LINK_CLICKS", "LISTING_INTERACTION", "NONE", "OFFER_CLAIMS",
                  "PAGE_LIKES", "POST_ENGAGEMENT", "PURCHASE", "THRUPLAY"}
OPTIMIZATION_GOALS = {"NONE", "APP_INSTALLS", "AD_RECALL_LIFT", "ENGAGED_USERS", "EVENT_RESPONSES", "IMPRESSIONS",
                      "LEAD_GENERATION", "QUALITY_LEAD", "LINK_CLICKS", "OFFSITE_CONVERSIONS", "PAGE_LIKES",
                      "POST_ENGAGEMENT", "QUALITY_CALL", "REACH", "LANDING_PAGE_VIEWS", "VISIT_INSTAGRAM_PROFILE",
                      "VALUE", "THRUPLAY", "DERIVED_EVENTS", "CONVERSATIONS"}
BID_STRATEGIES = {"LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS"}
CTA_TYPES = {"LEARN_MORE", "SHOP_NOW", "ORDER_NOW", "BUY_NOW", "SIGN_UP", "SUBSCRIBE", "GET_OFFER", "GET_QUOTE",
             "BOOK_TRAVEL", "CONTACT_US", "APPLY_NOW", "DOWNLOAD", "INSTALL_APP", "USE_APP", "WATCH_MORE", "SEE_MENU",
             "GET_DIRECTIONS", "SEND_MESSAGE", "DONATE_NOW", "NO_BUTTON"}
VERTICAL_POSITIONS = {("facebook", "facebook_reels"), ("facebook", "story"), ("instagram", "reels"),
                      ("instagram", "story")}
MIN_DAILY_BUDGET_MINOR = 100   # Meta: about 1 USD a day for impression billing
DEFAULT_CHUNK = 64 * 1024       # the stand-in asks for 64 KiB chunks (Meta asks for up to ~10 MB)


class GraphError(Exception):
    def __init__(self, message: str, *, code: int = 100, subcode: int | None = None, type_: str = "OAuthException",
                 user_title: str = "", user_msg: str = "", error_data: dict | None = None, transient: bool = False,
                 status: int = 400, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.body: dict[str, Any] = {"error": {
            "message": message, "type": type_, "code": code, "is_transient": transient,
            "fbtrace_id": "A" + secrets.token_hex(10),
        }}
        if subcode is not None:
            self.body["error"]["error_subcode"] = subcode
        if user_title:
            self.body["error"]["error_user_title"] = user_title
        if user_msg:
            self.body["error"]["error_user_msg"] = user_msg
        if error_data is not None:
            self.body["error"]["error_data"] = error_data


def param_error(param: str, message: str, *, subcode: int | None = None, user_title: str = "", user_msg: str = "") -> GraphError:
    """Meta's invalid-parameter error (code 100), blaming ``param``."""
    return GraphError(f"(#100) {message}", code=100, subcode=subcode, user_title=user_title or "Invalid parameter",
                      user_msg=user_msg or message, error_data={"blame_field_specs": [[p] for p in param.split(",")]})


@dataclass
class Failure:
    fragment: str
    kind: str
    times: int = 1
    method: str = ""
    code: int | None = None
    subcode: int | None = None
    message: str = ""
    user_msg: str = ""
    blame: str = ""
    minutes: int = 1
    hang_s: float = 5.0


@dataclass
class State:
    accounts: dict[str, dict] = field(default_factory=dict)
    objects: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    images: dict[str, dict] = field(default_factory=dict)
    insights: dict[str, list[dict]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)


def mp4_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from the first video ``tkhd`` box (16.16 fixed point), or None."""
    pos = 0
    while True:
        pos = data.find(b"tkhd", pos)
        if pos < 4:
            return None
        size = struct.unpack(">I", data[pos - 4:pos])[0]
        box = data[pos - 4:pos - 4 + size]
        if len(box) >= 84:
            w, h = struct.unpack(">II", box[-8:])
            if w and h:
                return w >> 16, h >> 16
        pos += 4


class MetaGraphStandIn(ThreadedHTTPStandIn):
    thread_name = "meta-graph-standin"

    """A stateful Graph API server on ``host:port`` (0 = a free port) in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, chunk_size: int = DEFAULT_CHUNK,
                 processing_polls: int = 1, page_size: int = 25, token_check: Callable[[str], str] | None = None):
        self.state = State()
        # token → "ok" | "expired" | "revoked" | "invalid" (the OAuth stand-in's ``token_info``); None: any
        # non-empty, not revoked token is accepted
        self.token_check = token_check
        self.lock = threading.RLock()
        self.chunk_size = chunk_size
        self.processing_polls = processing_polls
        self.page_size = page_size
        self._ids = itertools.count(120000000000001)
        self.reset()
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer((host, port), handler)

    # --- controls ---
    def reset(self) -> None:
        with self.lock:
            self.state = State()
            # the same accounts as the OAuth stand-in's /me/adaccounts (tests/fakes/oauth_standin.py)
            self.add_account("act_1234567890", name="Aurora Coffee – Ads", currency="EUR", timezone_name="Europe/Berlin")
            self.add_account("act_2345678901", name="Aurora Coffee – Tests", currency="USD")

    def add_account(self, account_id: str, *, name: str, currency: str = "USD", timezone_name: str = "America/New_York",
                    page_id: str = "104000000000001") -> None:
        with self.lock:
            self.state.accounts[account_id] = {"id": account_id, "account_id": account_id[4:], "name": name,
                                               "currency": currency, "timezone_name": timezone_name,
                                               "account_status": 1, "page_id": page_id}

    def fail(self, fragment: str, kind: str, **kw) -> None:
        """The next ``times`` requests with ``fragment`` in their path fail as ``kind``."""
        if kind not in ("throttle", "transient", "permanent", "auth", "hang"):
            raise ValueError(kind)
        with self.lock:
            self.state.failures.append(Failure(fragment=fragment, kind=kind, **kw))

    def revoke(self, token: str) -> None:
        with self.lock:
            self.state.revoked.add(token)

    def set_insights(self, ad_id: str, rows: list[dict]) -> None:
        with self.lock:
            self.state.insights[ad_id] = rows

    def of_type(self, kind: str) -> list[dict]:
        with self.lock:
            return [o for o in self.state.objects.values() if o["_type"] == kind]

    def created(self) -> dict[str, int]:
        """How many of each object exist: campaign, adset, video (finished uploads), image, creative, ad."""
        with self.lock:
            counts = {k: 0 for k in ("campaign", "adset", "video", "creative", "ad")}
            for o in self.state.objects.values():
                if o["_type"] in counts and (o["_type"] != "video" or o.get("_finished")):
                    counts[o["_type"]] += 1
            counts["image"] = len(self.state.images)
            return counts

    @property
    def requests(self) -> list[dict]:
        return self.state.requests

    def new_id(self) -> str:
        return str(next(self._ids))


class _Handler(BaseHTTPRequestHandler):
    standin: MetaGraphStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    # --- plumbing ---
    def _read(self) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        """Query + body params (form or multipart; JSON-looking values decoded) and uploaded files."""
        parts = urlsplit(self.path)
        params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        files: dict[str, tuple[str, bytes]] = {}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if body and ctype.startswith("multipart/form-data"):
            for name, filename, payload in _multipart(body, ctype):
                if filename is not None:
                    files[name] = (filename, payload)
                else:
                    params[name] = payload.decode()
        elif body and ctype.startswith("application/json"):
            params.update(json.loads(body))
        elif body:
            params.update(dict(parse_qsl(body.decode(), keep_blank_values=True)))
        for key, value in list(params.items()):
            if isinstance(value, str) and (value[:1] in ("[", "{") or value in ("true", "false")):
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    pass
        return params, files

    def _send(self, status: int, body: Any, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        s = self.standin
        try:
            params, files = self._read()
        except Exception:  # noqa: BLE001 - junk body → Graph's own "bad request"
            self._send(400, GraphError("Unsupported request body", code=100).body)
            return
        path = urlsplit(self.path).path
        if path.startswith("/_standin/"):
            self._control(method, path, params)
            return
        with s.lock:
            s.state.requests.append({"method": method, "path": path,
                                     "params": {k: v for k, v in params.items() if k not in ("access_token", "appsecret_proof")},
                                     "files": sorted(files)})
            failure = next((f for f in s.state.failures if f.fragment in path and (not f.method or f.method == method)), None)
            if failure:
                failure.times -= 1
                if failure.times <= 0:
                    s.state.failures.remove(failure)
        try:
            if failure and failure.kind == "hang":
                time.sleep(failure.hang_s)
            elif failure:
                raise self._failure_error(failure)
            token = params.pop("access_token", "")
            params.pop("appsecret_proof", None)
            verdict = "revoked" if token in s.state.revoked else (s.token_check(token) if s.token_check and token else "ok")
            if verdict == "expired":
                raise GraphError("Error validating access token: Session has expired.", code=190, subcode=463)
            if not token or verdict != "ok":
                raise GraphError("Error validating access token: The session has been invalidated because the user changed "
                                 "their password or Facebook has changed the session for security reasons.",
                                 code=190, subcode=460 if verdict == "revoked" else None, type_="OAuthException")
            prefix = f"/{API_VERSION}/"
            if not path.startswith(prefix):
                raise GraphError(f"Unknown path components: {path}", code=2500)
            segments = [p for p in path[len(prefix):].split("/") if p]
            with s.lock:
                status, body = self._route(method, segments, params, files)
            self._send(status, body)
        except GraphError as exc:
            self._send(exc.status, exc.body, exc.headers)

    def _failure_error(self, f: Failure) -> GraphError:
        if f.kind == "throttle":
            usage = {"1234567890": [{"type": "ads_management", "call_count": 100, "total_cputime": 35, "total_time": 40,
                                     "estimated_time_to_regain_access": f.minutes, "ads_api_access_tier": "standard_access"}]}
            return GraphError(f.message or "(#80004) There have been too many calls to this ad-account. Wait a bit and try again.",
                              code=f.code or 80004, subcode=f.subcode or 2446079, type_="OAuthException", transient=False,
                              headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        if f.kind == "transient":
            return GraphError(f.message or "An unexpected error has occurred. Please retry your request later.",
                              code=f.code or 2, type_="OAuthException", transient=True, status=500)
        if f.kind == "auth":
            return GraphError(f.message or "Error validating access token: Session has expired.", code=f.code or 190,
                              subcode=f.subcode or 463, type_="OAuthException")
        blame = f.blame or "name"
        return GraphError(f.message or "Invalid parameter", code=f.code or 100, subcode=f.subcode or 1487301,
                          user_title="Invalid parameter", user_msg=f.user_msg or f"The value of {blame} is not valid.",
                          error_data={"blame_field_specs": [[blame]]})

    def _control(self, method: str, path: str, params: dict) -> None:
        s = self.standin
        name = path[len("/_standin/"):]
        if name == "state":
            with s.lock:
                self._send(200, {"created": s.created(), "objects": list(s.state.objects.values()),
                                 "requests": s.state.requests[-200:]})
        elif name == "reset" and method == "POST":
            s.reset()
            self._send(200, {"ok": True})
        elif name == "fail" and method == "POST":
            try:
                s.fail(str(params.pop("path")), str(params.pop("kind")), **params)
            except (KeyError, TypeError, ValueError) as exc:
                self._send(400, {"error": str(exc)})
                return
            self._send(200, {"ok": True})
        elif name == "insights" and method == "POST":
            s.set_insights(str(params["ad_id"]), list(params["rows"]))
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "unknown control"})

    # --- the Graph API ---
    def _route(self, method: str, seg: list[str], p: dict, files: dict) -> tuple[int, Any]:
        s = self.standin
        st = s.state
        if seg[:2] == ["me", "adaccounts"] and method == "GET":
            rows = [{k: v for k, v in a.items() if k != "page_id"} for a in st.accounts.values()]
            return self._page(rows, p)
        node = seg[0]
        if node.startswith("act_"):
            if node not in st.accounts:
                raise GraphError(f"(#100) Ad account owner has NOT grant ads_management or ads_read permission, or "
                                 f"the ad account {node} does not exist", code=100, subcode=33)
            if len(seg) == 1 and method == "GET":
                return 200, self._fields(st.accounts[node], p)
            edge = seg[1] if len(seg) > 1 else ""
            if method == "POST" and edge in ("campaigns", "adsets", "advideos", "adimages", "adcreatives", "ads"):
                return 200, getattr(self, f"_create_{edge}")(node, p, files)
            if method == "GET" and edge == "insights":
                return self._insights(node, p)
            if method == "GET" and edge == "promote_pages":
                acct = st.accounts[node]
                return self._page([{"id": acct["page_id"], "name": "Kolony Demo Page"}], p)
            if method == "GET" and edge in ("campaigns", "adsets", "ads", "adcreatives", "advideos"):
                kind = {"campaigns": "campaign", "adsets": "adset", "ads": "ad", "adcreatives": "creative",
                        "advideos": "video"}[edge]
                return self._page([self._public(o) for o in st.objects.values() if o["_type"] == kind and o["_account"] == node], p)
            raise GraphError(f"(#100) Unknown edge {edge} on ad account", code=100)
        obj = st.objects.get(node)
        if obj is None:
            raise GraphError(f"(#100) Object with ID '{node}' does not exist, cannot be loaded due to missing "
                             f"permissions, or does not support this operation", code=100, subcode=33)
        if len(seg) == 2 and seg[1] == "insights" and method == "GET":
            return self._insights(node, p)
        if len(seg) == 2 and seg[1] == "thumbnails" and method == "GET" and obj["_type"] == "video":
            return self._page([{"id": obj["id"] + "1", "uri": f"{s.url}/_thumbs/{obj['id']}.jpg", "is_preferred": True,
                                "width": 1080, "height": 1920}], p)
        if len(seg) == 1 and method == "GET":
            if obj["_type"] == "video":
                self._advance_video(obj)
            return 200, self._fields(self._public(obj), p)
        if len(seg) == 1 and method == "POST":
            if "status" in p:
                if p["status"] not in STATUSES:
                    raise param_error("status", f"Param status must be one of {{{', '.join(sorted(STATUSES))}}}")
                obj["status"] = obj["configured_status"] = p["status"]
                obj["effective_status"] = self._effective(obj)
            for k in ("daily_budget", "lifetime_budget"):
                if k in p:
                    self._check_budget_update(obj, k, p[k])
            for k in ("name", "daily_budget", "lifetime_budget"):
                if k in p:
                    obj[k] = str(p[k])
            return 200, {"success": True}
        if len(seg) == 1 and method == "DELETE":
            obj["status"] = obj["effective_status"] = "DELETED"
            return 200, {"success": True}
        raise GraphError(f"Unsupported {method} request.", code=100, subcode=33)

    def _check_budget_update(self, obj: dict, key: str, value: Any) -> None:
        """Like the Graph API: a budget is a whole number of minor units, only campaigns and ad sets
        have one, it stays the kind it was created as (daily / lifetime), an ad set under an
        Advantage campaign budget takes none, and a daily budget is at least the minimum."""
        if obj["_type"] not in ("campaign", "adset"):
            raise param_error(key, f"Param {key} is not valid for this object")
        try:
            amount = int(str(value))
        except ValueError:
            raise param_error(key, f"Param {key} must be an integer") from None
        other = "lifetime_budget" if key == "daily_budget" else "daily_budget"
        if obj.get(other) and not obj.get(key):
            raise param_error(key, f"This object has a {other}; it cannot be changed to a {key}")
        if obj["_type"] == "adset":
            campaign = self.standin.state.objects.get(str(obj.get("campaign_id")))
            if campaign and (campaign.get("daily_budget") or campaign.get("lifetime_budget")):
                raise GraphError("Invalid parameter", code=100, user_title="Budget Is Set on the Campaign",
                                 user_msg="This ad set's campaign uses Advantage campaign budget; change the "
                                          "campaign's budget instead.", error_data={"blame_field_specs": [[key]]})
        elif not (obj.get("daily_budget") or obj.get("lifetime_budget")):
            raise param_error(key, "This campaign has no campaign budget; set the budget on its ad sets")
        if key == "daily_budget" and amount < MIN_DAILY_BUDGET_MINOR:
            raise GraphError("Invalid parameter", code=100, subcode=1885272, user_title="Your Budget Is Too Low",
                             user_msg="The minimum budget for this ad set is $1.00 a day.",
                             error_data={"blame_field_specs": [[key]]})

    def _page(self, rows: list[dict], p: dict) -> tuple[int, dict]:
        limit = int(p.get("limit") or self.standin.page_size)
        start = int(p.get("after") or 0) if str(p.get("after") or "0").isdigit() else 0
        chunk = rows[start:start + limit]
        body: dict[str, Any] = {"data": chunk}
        if rows:
            body["paging"] = {"cursors": {"before": str(start), "after": str(start + len(chunk))}}
            if start + limit < len(rows):
                query = {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in p.items()}
                query["after"] = str(start + len(chunk))
                body["paging"]["next"] = f"{self.standin.url}{urlsplit(self.path).path}?{urlencode(query)}"
        return 200, body

    @staticmethod
    def _fields(obj: dict, p: dict) -> dict:
        fields = [f for f in str(p.get("fields") or "").split(",") if f]
        if not fields:
            return {k: v for k, v in obj.items() if k in ("id", "name")}
        return {"id": obj["id"], **{f: obj[f] for f in fields if f in obj}}

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _store(self, kind: str, account: str, data: dict) -> dict:
        oid = self.standin.new_id()
        obj = {"id": oid, "_type": kind, "_account": account, **data}
        self.standin.state.objects[oid] = obj
        return obj

    def _effective(self, obj: dict) -> str:
        st = self.standin.state
        if obj.get("status") != "ACTIVE":
            return str(obj.get("status"))
        for parent_key, label in (("adset_id", "ADSET_PAUSED"), ("campaign_id", "CAMPAIGN_PAUSED")):
            parent = st.objects.get(str(obj.get(parent_key, "")))
            if parent is not None and parent.get("status") != "ACTIVE":
                return label
        return "ACTIVE"

    @staticmethod
    def _require(p: dict, *names: str) -> None:
        for name in names:
            if p.get(name) in (None, ""):
                raise param_error(name, f"The parameter {name} is required")

    @staticmethod
    def _enum(p: dict, name: str, allowed: set[str]) -> None:
        if name in p and p[name] not in allowed:
            raise param_error(name, f"Param {name} must be one of {{{', '.join(sorted(allowed))}}}")

    def _create_campaigns(self, account: str, p: dict, files: dict) -> dict:
        self._require(p, "name", "objective")
        self._enum(p, "objective", OBJECTIVES)
        self._enum(p, "status", STATUSES)
        self._enum(p, "bid_strategy", BID_STRATEGIES)
        if "special_ad_categories" not in p:
            raise GraphError("(#100) The parameter special_ad_categories is required", code=100,
                             error_data={"blame_field_specs": [["special_ad_categories"]]})
        cats = p["special_ad_categories"]
        if not isinstance(cats, list) or any(c not in SPECIAL_AD_CATEGORIES for c in cats):
            raise param_error("special_ad_categories", "Param special_ad_categories[0] must be one of "
                              f"{{{', '.join(sorted(SPECIAL_AD_CATEGORIES))}}}")
        has_budget = bool(p.get("daily_budget") or p.get("lifetime_budget"))
        if not has_budget and not isinstance(p.get("is_adset_budget_sharing_enabled"), bool):
            raise GraphError("Invalid parameter", code=100, subcode=4834011,
                             user_title="Must specify True or False in is_adset_budget_sharing_enabled field",
                             user_msg="To create a campaign without a campaign budget, set is_adset_budget_sharing_enabled "
                                      "to True or False.",
                             error_data={"blame_field_specs": [["is_adset_budget_sharing_enabled"]]})
        obj = self._store("campaign", account, {
            "name": p["name"], "objective": p["objective"], "status": p.get("status", "ACTIVE"),
            "special_ad_categories": cats, "daily_budget": p.get("daily_budget"), "lifetime_budget": p.get("lifetime_budget"),
            "bid_strategy": p.get("bid_strategy"), "is_adset_budget_sharing_enabled": p.get("is_adset_budget_sharing_enabled")})
        obj["configured_status"] = obj["status"]
        obj["effective_status"] = obj["status"]
        return {"id": obj["id"]}

    def _create_adsets(self, account: str, p: dict, files: dict) -> dict:
        st = self.standin.state
        self._require(p, "name", "campaign_id", "billing_event", "optimization_goal", "targeting")
        self._enum(p, "billing_event", BILLING_EVENTS)
        self._enum(p, "optimization_goal", OPTIMIZATION_GOALS)
        self._enum(p, "status", STATUSES)
        self._enum(p, "bid_strategy", BID_STRATEGIES)
        campaign = st.objects.get(str(p["campaign_id"]))
        if campaign is None or campaign["_type"] != "campaign":
            raise param_error("campaign_id", "Campaign does not exist", subcode=1885015)
        campaign_budget = bool(campaign.get("daily_budget") or campaign.get("lifetime_budget"))
        daily, lifetime = p.get("daily_budget"), p.get("lifetime_budget")
        if not campaign_budget:
            if bool(daily) == bool(lifetime):
                raise param_error("daily_budget,lifetime_budget", "Either daily_budget or lifetime_budget must be set",
                                  subcode=1885621)
            if lifetime and not p.get("end_time"):
                raise param_error("end_time", "An ad set with a lifetime budget needs an end time", subcode=1885617)
            per_day = int(daily or 0)
            if lifetime:
                days = max(1, (_parse_time(p["end_time"]) - _parse_time(p.get("start_time"))).days)
                per_day = int(lifetime) // days
            if per_day < MIN_DAILY_BUDGET_MINOR:
                raise GraphError("Invalid parameter", code=100, subcode=1885272, user_title="Your Budget Is Too Low",
                                 user_msg="The minimum budget for this ad set is $1.00 a day.",
                                 error_data={"blame_field_specs": [["daily_budget" if daily else "lifetime_budget"]]})
        if p.get("bid_strategy") in ("LOWEST_COST_WITH_BID_CAP", "COST_CAP") and not p.get("bid_amount"):
            raise param_error("bid_amount", "Bid amount required for the bid strategy provided", subcode=1815857)
        targeting = p["targeting"]
        if not isinstance(targeting, dict) or not targeting.get("geo_locations"):
            raise param_error("targeting", "Your audience is missing a location. Add a location to your targeting.",
                              subcode=1487079)
        if "advantage_audience" not in (targeting.get("targeting_automation") or {}):
            raise GraphError("Invalid parameter", code=100, subcode=1870227, user_title="Advantage Audience Flag Required",
                             user_msg="To create your ad set, enable or disable the Advantage audience feature with the "
                                      "advantage_audience flag in targeting_automation.",
                             error_data={"blame_field_specs": [["targeting", "targeting_automation", "advantage_audience"]]})
        obj = self._store("adset", account, {
            "name": p["name"], "campaign_id": str(p["campaign_id"]), "status": p.get("status", "ACTIVE"),
            "daily_budget": daily, "lifetime_budget": lifetime, "billing_event": p["billing_event"],
            "optimization_goal": p["optimization_goal"], "targeting": targeting, "start_time": p.get("start_time"),
            "end_time": p.get("end_time"), "bid_strategy": p.get("bid_strategy"), "bid_amount": p.get("bid_amount")})
        obj["configured_status"] = obj["status"]
        obj["effective_status"] = self._effective(obj)
        return {"id": obj["id"]}

    def _create_advideos(self, account: str, p: dict, files: dict) -> dict:
        s = self.standin
        phase = p.get("upload_phase")
        if phase == "start":
            self._require(p, "file_size")
            size = int(p["file_size"])
            video = self._store("video", account, {"status": {"video_status": "upload"}, "title": ""})
            sid = s.new_id()
            s.state.sessions[sid] = {"video_id": video["id"], "size": size, "data": bytearray(), "account": account}
            return {"video_id": video["id"], "upload_session_id": sid, "start_offset": "0",
                    "end_offset": str(min(size, s.chunk_size))}
        session = s.state.sessions.get(str(p.get("upload_session_id")))
        if session is None or session["account"] != account:
            raise param_error("upload_session_id", "Invalid upload session id", subcode=1363019)
        if phase == "transfer":
            start = int(p.get("start_offset", -1))
            got = len(session["data"])
            if start != got or "video_file_chunk" not in files:
                raise GraphError("(#6000) There was a problem uploading your video file. Please try again.", code=6000,
                                 subcode=1363037, user_title="Upload failed",
                                 user_msg="The chunk did not start where the last one ended.",
                                 error_data={"start_offset": str(got), "end_offset": str(min(session["size"], got + s.chunk_size))})
            session["data"] += files["video_file_chunk"][1]
            got = len(session["data"])
            return {"start_offset": str(got), "end_offset": str(min(session["size"], got + s.chunk_size))}
        if phase == "finish":
            if len(session["data"]) != session["size"]:
                raise GraphError("(#6000) There was a problem uploading your video file.", code=6000, subcode=1363030,
                                 user_msg="The upload ended before the whole file arrived.")
            video = s.state.objects[session["video_id"]]
            data = bytes(session["data"])
            video.update({"_finished": True, "_polls": 0, "_size": mp4_size(data), "_md5": hashlib.md5(data).hexdigest(),  # noqa: S324
                          "title": p.get("title", ""), "status": {"video_status": "processing", "processing_progress": 0}})
            return {"success": True}
        raise param_error("upload_phase", "Param upload_phase must be one of {start, transfer, finish, cancel}")

    def _advance_video(self, video: dict) -> None:
        if not video.get("_finished") or video["status"]["video_status"] != "processing":
            return
        video["_polls"] += 1
        if video["_polls"] > self.standin.processing_polls:
            if video.get("_size") is None:
                video["status"] = {"video_status": "error", "processing_phase": {"status": "error", "errors": [
                    {"code": 1363008, "message": "The video file you tried to upload is not a supported format."}]}}
            else:
                video["status"] = {"video_status": "ready", "processing_progress": 100}
        else:
            video["status"]["processing_progress"] = 50

    def _create_adimages(self, account: str, p: dict, files: dict) -> dict:
        if not files and not p.get("bytes"):
            raise param_error("filename", "No image was uploaded", subcode=1487242)
        out = {}
        for _field, (filename, data) in files.items():
            digest = hashlib.md5(data).hexdigest()  # noqa: S324 - Meta's image hash is an MD5
            self.standin.state.images[digest] = {"hash": digest, "account": account}
            name = filename.rsplit("/", 1)[-1]
            out[name] = {"hash": digest, "url": f"{self.standin.url}/_images/{digest}.png"}
        return {"images": out}

    def _create_adcreatives(self, account: str, p: dict, files: dict) -> dict:
        st = self.standin.state
        spec = p.get("object_story_spec")
        if not isinstance(spec, dict):
            raise param_error("object_story_spec", "The parameter object_story_spec is required")
        if not spec.get("page_id"):
            raise param_error("object_story_spec,page_id", "The parameter page_id is required")
        video_data = spec.get("video_data")
        if not isinstance(video_data, dict) or not video_data.get("video_id"):
            raise param_error("object_story_spec,video_data,video_id", "The parameter video_id is required")
        video = st.objects.get(str(video_data["video_id"]))
        if video is None or video["_type"] != "video" or video["status"].get("video_status") != "ready":
            raise GraphError("Invalid parameter", code=100, subcode=1885252, user_title="Video not ready",
                             user_msg="The video you selected is still processing or was not uploaded.",
                             error_data={"blame_field_specs": [["object_story_spec", "video_data", "video_id"]]})
        if not video_data.get("image_hash") and not video_data.get("image_url"):
            raise GraphError("Invalid parameter", code=100, subcode=1443226, user_title="Video thumbnail required",
                             user_msg="Your video ad needs a thumbnail: set image_hash or image_url in video_data.",
                             error_data={"blame_field_specs": [["object_story_spec", "video_data", "image_hash"]]})
        if video_data.get("image_hash") and video_data["image_hash"] not in st.images:
            raise param_error("object_story_spec,video_data,image_hash", "Image hash does not exist", subcode=1487242)
        cta = video_data.get("call_to_action")
        if cta is not None:
            if not isinstance(cta, dict) or cta.get("type") not in CTA_TYPES:
                raise param_error("object_story_spec,video_data,call_to_action,type",
                                  f"Param call_to_action[type] must be one of {{{', '.join(sorted(CTA_TYPES))}}}")
            if cta["type"] != "NO_BUTTON" and not (cta.get("value") or {}).get("link"):
                raise GraphError("Invalid parameter", code=100, subcode=1487930, user_title="Missing link",
                                 user_msg="A call to action button needs a website URL.",
                                 error_data={"blame_field_specs": [["object_story_spec", "video_data", "call_to_action", "value", "link"]]})
        obj = self._store("creative", account, {"name": p.get("name", ""), "object_story_spec": spec, "status": "ACTIVE"})
        return {"id": obj["id"]}

    def _create_ads(self, account: str, p: dict, files: dict) -> dict:
        st = self.standin.state
        self._require(p, "name", "adset_id", "creative")
        self._enum(p, "status", STATUSES)
        adset = st.objects.get(str(p["adset_id"]))
        if adset is None or adset["_type"] != "adset":
            raise param_error("adset_id", "Ad set does not exist", subcode=1885015)
        creative_ref = p["creative"] if isinstance(p["creative"], dict) else {}
        creative = st.objects.get(str(creative_ref.get("creative_id", "")))
        if creative is None or creative["_type"] != "creative":
            raise param_error("creative", "The creative_id does not exist", subcode=1487301)
        video = st.objects.get(str(creative["object_story_spec"]["video_data"]["video_id"]), {})
        size = video.get("_size")
        targeting = adset.get("targeting") or {}
        positions = {(plat, pos) for plat in ("facebook", "instagram")
                     for pos in targeting.get(f"{plat}_positions") or []}
        if size and positions & VERTICAL_POSITIONS and abs(size[0] / size[1] - 9 / 16) > 0.01:
            raise GraphError("Invalid parameter", code=100, subcode=1487390, user_title="Video aspect ratio not supported",
                             user_msg=f"Stories and Reels placements need a vertical 9:16 video; this video is "
                                      f"{size[0]}x{size[1]}.",
                             error_data={"blame_field_specs": [["creative"]]})
        obj = self._store("ad", account, {
            "name": p["name"], "adset_id": adset["id"], "campaign_id": adset["campaign_id"], "creative": {"id": creative["id"]},
            "status": p.get("status", "ACTIVE")})
        obj["configured_status"] = obj["status"]
        obj["effective_status"] = self._effective(obj) if obj["status"] != "ACTIVE" else "PENDING_REVIEW"
        obj["ad_review_feedback"] = {}
        return {"id": obj["id"]}

    def _insights(self, node: str, p: dict) -> tuple[int, dict]:
        st = self.standin.state
        tr = p.get("time_range")
        if not isinstance(tr, dict) or not tr.get("since") or not tr.get("until"):
            raise param_error("time_range", "time_range must be {'since':'YYYY-MM-DD','until':'YYYY-MM-DD'}")
        try:
            since, until = dt.date.fromisoformat(tr["since"]), dt.date.fromisoformat(tr["until"])
        except (TypeError, ValueError):
            raise param_error("time_range", "time_range dates must be YYYY-MM-DD") from None
        if node.startswith("act_"):
            if p.get("level") != "ad":
                raise param_error("level", "Only level=ad is served by the stand-in")
            ads = [o for o in st.objects.values() if o["_type"] == "ad" and o["_account"] == node]
            for flt in p.get("filtering") or []:
                if flt.get("field") == "ad.id" and flt.get("operator") == "IN":
                    wanted = {str(v) for v in flt.get("value") or []}
                    ads = [a for a in ads if a["id"] in wanted]
        else:
            ads = [st.objects[node]] if st.objects[node]["_type"] == "ad" else []
        account = st.accounts.get(ads[0]["_account"], {}) if ads else {}
        rows = []
        for ad in ads:
            for row in st.insights.get(ad["id"]) or self._synthetic(ad, since, until):
                day = dt.date.fromisoformat(row["date_start"])
                if since <= day <= until:
                    rows.append({"ad_id": ad["id"], "account_currency": account.get("currency", "USD"), **row,
                                 "date_stop": row["date_start"]})
        rows.sort(key=lambda r: (r["date_start"], r["ad_id"]))
        return self._page(rows, p)

    @staticmethod
    def _synthetic(ad: dict, since: dt.date, until: dt.date) -> list[dict]:
        out = []
        seed = int(ad["id"]) % 97
        day = since
        while day <= until and day <= dt.date.today():
            n = (day.toordinal() + seed) % 50
            impressions = 1000 + 37 * n
            out.append({"date_start": day.isoformat(), "impressions": str(impressions), "reach": str(impressions * 8 // 10),
                        "clicks": str(12 + n), "spend": f"{5 + n * 0.37:.2f}",
                        "actions": [{"action_type": "video_view", "value": str(impressions // 2)},
                                    {"action_type": "omni_purchase", "value": str(n % 5)}],
                        "action_values": [{"action_type": "omni_purchase", "value": f"{(n % 5) * 24.5:.2f}"}],
                        "video_thruplay_watched_actions": [{"action_type": "video_view", "value": str(impressions // 5)}],
                        "video_p25_watched_actions": [{"action_type": "video_view", "value": str(impressions // 2)}],
                        "video_p50_watched_actions": [{"action_type": "video_view", "value": str(impressions // 3)}],
                        "video_p75_watched_actions": [{"action_type": "video_view", "value": str(impressions // 4)}],
                        "video_p100_watched_actions": [{"action_type": "video_view", "value": str(impressions // 6)}]})
            day += dt.timedelta(days=1)
        return out


def _multipart(body: bytes, ctype: str) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename or None, bytes) of each part of a multipart/form-data body (RFC 7578)."""
    header = email.message.Message()
    header["Content-Type"] = ctype
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ValueError("multipart body without a boundary")
    out = []
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, payload = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        disposition = email.message.Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip():
                disposition[key.strip()] = value.strip()
        name = disposition.get_param("name", header="content-disposition")
        filename = disposition.get_param("filename", header="content-disposition")
        out.append((str(name), str(filename) if filename is not None else None, payload.removesuffix(b"\r\n")))
    return out


def _parse_time(value: Any) -> dt.datetime:
    if not value:
        return dt.datetime.now(dt.UTC)
    if isinstance(value, (int, float)) or str(value).isdigit():
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Meta Graph API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8431)
    args = parser.parse_args()
    standin = MetaGraphStandIn(args.host, args.port)
    print(f"Meta Graph stand-in on {standin.url}", flush=True)
    try:
        standin.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
