"""A local stand-in for the OAuth 2.0 parts of Meta (Facebook Login + Graph API token endpoints)
and Google (accounts.google.com authorize + oauth2.googleapis.com token / revoke).

Run it:  python -m tests.fakes.oauth_standin --port 8431 [--graph-upstream http://127.0.0.1:8432]
(or in a thread from tests: ``OAuthStandin().start()``; tests/fixtures/platform_standins.py).

Routes (settings that point at them in brackets)
- ``GET /v26.0/dialog/oauth`` [META_OAUTH_AUTHORIZE_URL]: Meta's login dialog. Validates
  ``client_id`` (the app id), ``redirect_uri``, ``state``, ``response_type=code`` and, when sent,
  ``code_challenge`` + ``code_challenge_method`` (S256|plain; Meta's "OIDC code flow with PKCE for
  manually built login flows"). Shows a page with "Allow" / "Cancel" buttons; Allow redirects to
  ``redirect_uri?code=…&state=…``, Cancel to ``?error=access_denied&error_code=200&
  error_description=Permissions+error&error_reason=user_denied&state=…`` (Meta's documented shape).
- ``GET /{version}/oauth/access_token`` [META_GRAPH_URL]: code → short-lived token
  (``client_id, client_secret, redirect_uri, code[, code_verifier]``), or
  ``grant_type=fb_exchange_token&fb_exchange_token=…`` → long-lived token (60 days). Errors in
  the Graph shape ``{"error": {"message", "type": "OAuthException", "code", "error_subcode",
  "fbtrace_id"}}`` — a used code: code 100 / subcode 36009 "This authorization code has been used.";
  a redirect_uri mismatch 100 / 36008; a wrong secret: code 1 "Error validating client secret.".
- ``GET /{version}/me/adaccounts`` [META_GRAPH_URL]: the user's ad accounts ``{"data": [{"id":
  "act_…", "account_id", "name", "currency", "timezone_name", "account_status"}], "paging":
  {"cursors": …, "next"?}}``, ``limit`` + ``after`` paging. Bad / expired / revoked token → 400
  code 190 (subcode 463 expired, 460 revoked).
- ``DELETE /{version}/me/permissions`` [META_GRAPH_URL]: de-authorizes the app → ``{"success": true}``
  and every token of that grant stops working.
- ``GET /o/oauth2/v2/auth`` [GOOGLE_OAUTH_AUTHORIZE_URL]: Google's consent page (PKCE required
  here, as Google recommends for every client; ``access_type=offline`` gives a refresh token).
- ``POST /token`` [GOOGLE_OAUTH_TOKEN_URL]: ``authorization_code`` (with ``code_verifier``) and
  ``refresh_token`` grants; errors ``{"error": "invalid_grant" | "invalid_client" |
  "redirect_uri_mismatch" | "unsupported_grant_type", "error_description"}``; a reused code is
  ``invalid_grant``, and (as Google does) it revokes the tokens that code produced.
- ``POST /revoke`` [GOOGLE_OAUTH_REVOKE_URL]: ``token=`` (access or refresh) → 200 ``{}``; the grant's
  tokens stop working.
- ``/_standin/...`` controls: ``POST /_standin/expire`` (every access token expires now),
  ``POST /_standin/revoke`` (``{"platform"}``: every grant revoked, as if the user removed the app),
  ``POST /_standin/fail`` (``{"route": "meta_token"|"google_token"|"adaccounts", "mode":
  "transient"|"permanent"|"hang", "times": n}``), ``POST /_standin/reset``, ``GET /_standin/state``.
  Python callers use the same through :class:`OAuthStandin` methods.
- With ``graph_upstream`` set, every other path is forwarded there unchanged (the Graph API
  stand-in, tests/fakes/meta_graph.py), so one META_GRAPH_URL serves both, like graph.facebook.com;
  :meth:`OAuthStandin.token_info` tells the upstream whether an access token is valid.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.threaded_server import ThreadedHTTPStandIn

META_APP_ID = "1234567890123456"
META_APP_SECRET = "meta-standin-secret"
GOOGLE_CLIENT_ID = "kolony-standin.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "google-standin-secret"

META_ACCOUNTS = [
    {"id": "act_1234567890", "account_id": "1234567890", "name": "Aurora Coffee – Ads", "currency": "EUR",
     "timezone_name": "Europe/Berlin", "account_status": 1},
    {"id": "act_2345678901", "account_id": "2345678901", "name": "Aurora Coffee – Tests", "currency": "USD",
     "timezone_name": "America/New_York", "account_status": 1},
]
GOOGLE_CUSTOMERS = [
    {"id": "1234567890", "name": "Aurora Coffee", "currency": "EUR", "time_zone": "Europe/Berlin"},
    {"id": "9876543210", "name": "Aurora Coffee (test)", "currency": "USD", "time_zone": "America/New_York"},
]
META_SHORT_TTL = 2 * 3600          # Meta short-lived user tokens: about 1-2 hours
META_LONG_TTL = 60 * 24 * 3600     # long-lived user tokens: about 60 days (Meta: "Long-Lived Access Tokens")
GOOGLE_TTL = 3599                  # Google access tokens: 1 hour


@dataclass
class Grant:
    platform: str
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str = ""
    method: str = ""
    code_used: bool = False
    revoked: bool = False
    tokens: list[str] = field(default_factory=list)


class StandinState:
    """Everything the stand-in remembers (thread-safe): codes, grants, tokens, failure switches."""

    def __init__(self, *, meta_app_id: str = META_APP_ID, meta_app_secret: str = META_APP_SECRET,
                 google_client_id: str = GOOGLE_CLIENT_ID, google_client_secret: str = GOOGLE_CLIENT_SECRET):
        self.lock = threading.RLock()
        self.meta_app_id, self.meta_app_secret = meta_app_id, meta_app_secret
        self.google_client_id, self.google_client_secret = google_client_id, google_client_secret
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.codes: dict[str, Grant] = {}
            self.access: dict[str, dict[str, Any]] = {}    # token → {"grant", "expires_at", "long"}
            self.refresh: dict[str, Grant] = {}
            self.failures: dict[str, dict[str, Any]] = {}  # route → {"mode", "times"}
            self.requests: list[dict[str, Any]] = []       # (method, path, key params) in order
            self.revocations: list[str] = []
            self.pending: dict[str, tuple[Grant, str]] = {}  # consent-page ticket → (grant, state)

    # --- tokens ---
    def issue_code(self, grant: Grant) -> str:
        code = ("AQD" if grant.platform == "meta" else "4/0A") + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = grant
        return code

    def issue_access(self, grant: Grant, ttl: int, *, long: bool = False) -> str:
        token = ("EAAB" if grant.platform == "meta" else "ya29.") + secrets.token_urlsafe(32)
        with self.lock:
            self.access[token] = {"grant": grant, "expires_at": time.time() + ttl, "long": long}
            grant.tokens.append(token)
        return token

    def issue_refresh(self, grant: Grant) -> str:
        token = "1//0g" + secrets.token_urlsafe(32)
        with self.lock:
            self.refresh[token] = grant
            grant.tokens.append(token)
        return token

    def token_info(self, token: str) -> tuple[str, dict[str, Any] | None]:
        """("ok"|"expired"|"revoked"|"invalid", record) of an access token."""
        with self.lock:
            rec = self.access.get(token)
            if rec is None:
                return "invalid", None
            if rec["grant"].revoked:
                return "revoked", rec
            if rec["expires_at"] <= time.time():
                return "expired", rec
            return "ok", rec

    def expire_all(self) -> None:
        with self.lock:
            for rec in self.access.values():
                rec["expires_at"] = time.time() - 1

    def revoke_platform(self, platform: str) -> None:
        with self.lock:
            for grant in {id(r["grant"]): r["grant"] for r in self.access.values()}.values():
                if grant.platform == platform:
                    grant.revoked = True
            for grant in self.refresh.values():
                if grant.platform == platform:
                    grant.revoked = True

    def fail(self, route: str, mode: str, times: int = 1) -> None:
        with self.lock:
            self.failures[route] = {"mode": mode, "times": times}

    def take_failure(self, route: str) -> str:
        with self.lock:
            f = self.failures.get(route)
            if not f or f["times"] <= 0:
                return ""
            f["times"] -= 1
            return f["mode"]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "codes": len(self.codes), "access_tokens": len(self.access), "refresh_tokens": len(self.refresh),
                "revocations": list(self.revocations), "requests": list(self.requests),
            }


def _challenge_ok(grant: Grant, verifier: str) -> bool:
    if not grant.challenge:
        return True
    if not verifier:
        return False
    if grant.method == "plain":
        return secrets.compare_digest(verifier, grant.challenge)
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return secrets.compare_digest(digest, grant.challenge)


def _meta_error(message: str, code: int, subcode: int | None = None, status: int = 400) -> tuple[int, dict]:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                           "fbtrace_id": "A" + secrets.token_hex(8)}
    if subcode is not None:
        err["error_subcode"] = subcode
    return status, {"error": err}


def _consent_page(title: str, who: str, scope: str, allow_url: str, cancel_url: str) -> str:
    e = html.escape
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;background:#f0f2f5;margin:0;padding:24px}}
.card{{max-width:420px;margin:40px auto;background:#fff;border-radius:10px;padding:24px;box-shadow:0 2px 8px #0002}}
.row{{display:flex;gap:12px;margin-top:20px}} a.btn{{flex:1;text-align:center;padding:10px;border-radius:6px;
text-decoration:none;font-weight:600}} .allow{{background:#1877f2;color:#fff}} .cancel{{background:#e4e6eb;color:#050505}}
code{{word-break:break-all}}</style></head><body><div class="card"><h1>{e(title)}</h1>
<p><strong>Kolony</strong> ({e(who)}) would like to manage your ads.</p><p>Permissions: <code>{e(scope)}</code></p>
<p><small>Local stand-in — no real account is used.</small></p>
<div class="row"><a class="btn cancel" id="cancel" href="{e(cancel_url)}">Cancel</a>
<a class="btn allow" id="allow" href="{e(allow_url)}">Allow</a></div></div></body></html>"""


class OAuthHandler(BaseHTTPRequestHandler):
    server_version = "KolonyOAuthStandin/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> StandinState:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # --- plumbing ---
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, *, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        body = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, url: str) -> None:
        self._send(302, b"", content_type="text/plain", headers={"Location": url})

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw = self._body()
        form: dict[str, str] = {}
        ctype = self.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            try:
                form = json.loads(raw)
            except ValueError:
                form = {}
        elif raw and "x-www-form-urlencoded" in ctype:
            form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        path = parts.path.rstrip("/") or "/"
        segs = [s for s in path.split("/") if s]
        versioned = bool(segs) and segs[0].startswith("v") and segs[0][1:].replace(".", "").isdigit()
        graph_path = "/" + "/".join(segs[1:] if versioned else segs)
        params = {**query, **form}
        with self.state.lock:
            self.state.requests.append({"method": method, "path": path, "keys": sorted(k for k in params if k not in (
                "client_secret", "access_token", "fb_exchange_token", "code", "code_verifier", "refresh_token", "token"))})

        if path.startswith("/_standin/"):
            return self._control(method, path, params)
        if method == "GET" and graph_path == "/dialog/oauth":
            return self._meta_dialog(query)
        if method == "GET" and graph_path == "/dialog/oauth/decide":
            return self._decide(query)
        if method == "GET" and graph_path == "/oauth/access_token":
            return self._meta_token(query)
        if method == "GET" and graph_path == "/me/adaccounts":
            return self._meta_adaccounts(query, parts.path)
        if method == "DELETE" and graph_path == "/me/permissions":
            return self._meta_revoke(params)
        if method == "GET" and path == "/o/oauth2/v2/auth":
            return self._google_authorize(query)
        if method == "GET" and path == "/o/oauth2/v2/auth/decide":
            return self._decide(query)
        if method == "POST" and path == "/token":
            return self._google_token(form)
        if method == "POST" and path == "/revoke":
            return self._google_revoke(params)
        upstream = getattr(self.server, "graph_upstream", "")
        if upstream:
            return self._proxy(method, upstream, raw)
        self._send(404, {"error": {"message": f"Unknown path components: {path}", "type": "OAuthException", "code": 2500}})

    do_GET = lambda self: self._dispatch("GET")  # noqa: E731
    do_POST = lambda self: self._dispatch("POST")  # noqa: E731
    do_DELETE = lambda self: self._dispatch("DELETE")  # noqa: E731

    def _proxy(self, method: str, upstream: str, raw: bytes) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(upstream.rstrip("/") + self.path, data=raw or None, method=method,  # noqa: S310 - local
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - a local stand-in URL
                status, body, rh = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as exc:
            status, body, rh = exc.code, exc.read(), exc.headers
        extra = {k: v for k, v in rh.items() if k.lower() not in ("content-length", "content-type", "connection",
                                                                   "transfer-encoding", "date", "server")}
        self._send(status, body, content_type=rh.get("Content-Type", "application/json"), headers=extra)

    def _failure(self, route: str) -> bool:
        mode = self.state.take_failure(route)
        if not mode:
            return False
        if mode == "hang":
            time.sleep(float(getattr(self.server, "hang_seconds", 30)))
            self._send(504, {"error": "timeout"})
        elif route == "google_token":
            self._send(503 if mode == "transient" else 400, {"error": "temporarily_unavailable" if mode == "transient"
                                                             else "invalid_request", "error_description": "Stand-in failure."})
        elif mode == "transient":
            self._send(500, {"error": {"message": "An unexpected error has occurred. Please retry your request later.",
                                       "type": "OAuthException", "code": 2, "is_transient": True,
                                       "fbtrace_id": "A" + secrets.token_hex(8)}})
        else:
            self._send(*_meta_error("Invalid OAuth access token signature.", 190))
        return True

    # --- controls ---
    def _control(self, method: str, path: str, params: dict) -> None:
        st = self.state
        if path == "/_standin/state":
            return self._send(200, st.snapshot())
        if method != "POST":
            return self._send(405, {"error": "POST only"})
        if path == "/_standin/expire":
            st.expire_all()
        elif path == "/_standin/revoke":
            st.revoke_platform(str(params.get("platform", "meta")))
        elif path == "/_standin/fail":
            st.fail(str(params.get("route", "")), str(params.get("mode", "permanent")), int(params.get("times", 1)))
        elif path == "/_standin/reset":
            st.reset()
        else:
            return self._send(404, {"error": "unknown control"})
        self._send(200, {"ok": True})

    # --- dialogs ---
    def _dialog_problem(self, query: dict, client_id: str, *, pkce_required: bool) -> str:
        if query.get("client_id") != client_id:
            return "Invalid App ID: the client_id is not a known app."
        redirect = query.get("redirect_uri", "")
        if urlsplit(redirect).scheme not in ("http", "https") or not urlsplit(redirect).netloc:
            return "URL blocked: redirect_uri is missing or not an absolute http(s) URL."
        if query.get("response_type", "code") != "code":
            return "response_type must be 'code'."
        if not query.get("state"):
            return "The state parameter is required."
        method = query.get("code_challenge_method", "")
        if query.get("code_challenge") and method not in ("S256", "plain"):
            return "code_challenge_method must be S256 or plain."
        if pkce_required and not query.get("code_challenge"):
            return "Missing required parameter: code_challenge"
        return ""

    def _begin(self, query: dict, platform: str, client_id: str, title: str, scope_default: str, decide_path: str,
               *, pkce_required: bool) -> None:
        problem = self._dialog_problem(query, client_id, pkce_required=pkce_required)
        if problem:
            return self._send(400, f"<!doctype html><title>Error</title><h1>Error</h1><p>{html.escape(problem)}</p>",
                              content_type="text/html; charset=utf-8")
        grant = Grant(platform=platform, client_id=client_id, redirect_uri=query["redirect_uri"],
                      scope=query.get("scope", scope_default), challenge=query.get("code_challenge", ""),
                      method=query.get("code_challenge_method", "S256") if query.get("code_challenge") else "")
        ticket = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.pending[ticket] = (grant, query["state"])
        allow = f"{decide_path}?{urlencode({'ticket': ticket, 'decision': 'allow'})}"
        cancel = f"{decide_path}?{urlencode({'ticket': ticket, 'decision': 'cancel'})}"
        self._send(200, _consent_page(title, platform.title(), grant.scope, allow, cancel), content_type="text/html; charset=utf-8")

    def _meta_dialog(self, query: dict) -> None:
        version = urlsplit(self.path).path.strip("/").split("/")[0]
        self._begin(query, "meta", self.state.meta_app_id, "Continue to Kolony? (Facebook)", "ads_management",
                    f"/{version}/dialog/oauth/decide", pkce_required=False)

    def _google_authorize(self, query: dict) -> None:
        self._begin(query, "google", self.state.google_client_id, "Sign in with Google — Kolony wants access",
                    "https://www.googleapis.com/auth/adwords", "/o/oauth2/v2/auth/decide", pkce_required=True)

    def _decide(self, query: dict) -> None:
        with self.state.lock:
            pending = self.state.pending.pop(query.get("ticket", ""), None)
        if pending is None:
            return self._send(400, "<!doctype html><title>Error</title><p>This dialog has expired.</p>",
                              content_type="text/html; charset=utf-8")
        grant, state = pending
        sep = "&" if "?" in grant.redirect_uri else "?"
        if query.get("decision") != "allow":
            if grant.platform == "meta":
                err = {"error": "access_denied", "error_code": "200", "error_description": "Permissions error",
                       "error_reason": "user_denied", "state": state}
            else:
                err = {"error": "access_denied", "state": state}
            return self._redirect(grant.redirect_uri + sep + urlencode(err))
        code = self.state.issue_code(grant)
        self._redirect(grant.redirect_uri + sep + urlencode({"code": code, "state": state}))

    # --- Meta ---
    def _meta_token(self, q: dict) -> None:
        st = self.state
        if self._failure("meta_token"):
            return None
        if q.get("client_id") != st.meta_app_id:
            return self._send(*_meta_error("Error validating application. Invalid application ID.", 101))
        if q.get("client_secret") != st.meta_app_secret:
            return self._send(*_meta_error("Error validating client secret.", 1))
        if q.get("grant_type") == "fb_exchange_token":
            status, rec = st.token_info(q.get("fb_exchange_token", ""))
            if status != "ok" or rec is None:
                sub = {"expired": 463, "revoked": 460}.get(status)
                msg = {"expired": "Error validating access token: Session has expired.",
                       "revoked": "Error validating access token: The user has not authorized application "
                                  f"{st.meta_app_id}."}.get(status, "Invalid OAuth access token - Cannot parse access token")
                return self._send(*_meta_error(msg, 190, sub))
            token = st.issue_access(rec["grant"], META_LONG_TTL, long=True)
            return self._send(200, {"access_token": token, "token_type": "bearer", "expires_in": META_LONG_TTL})
        code = q.get("code", "")
        with st.lock:
            grant = st.codes.get(code)
        if grant is None or grant.platform != "meta":
            return self._send(*_meta_error("Invalid verification code format.", 100))
        if grant.code_used:
            return self._send(*_meta_error("This authorization code has been used.", 100, 36009))
        if q.get("redirect_uri") != grant.redirect_uri:
            return self._send(*_meta_error("Error validating verification code. Please make sure your redirect_uri "
                                           "is identical to the one you used in the OAuth dialog request", 100, 36008))
        if not _challenge_ok(grant, q.get("code_verifier", "")):
            return self._send(*_meta_error("Invalid code verifier.", 100))
        grant.code_used = True
        token = st.issue_access(grant, META_SHORT_TTL)
        self._send(200, {"access_token": token, "token_type": "bearer", "expires_in": META_SHORT_TTL})

    def _meta_token_problem(self, token: str) -> tuple[int, dict] | None:
        status, _ = self.state.token_info(token)
        if status == "ok":
            return None
        if status == "expired":
            return _meta_error("Error validating access token: Session has expired.", 190, 463)
        if status == "revoked":
            return _meta_error(f"Error validating access token: The user has not authorized application "
                               f"{self.state.meta_app_id}.", 190, 460)
        return _meta_error("Invalid OAuth access token - Cannot parse access token", 190)

    def _meta_adaccounts(self, q: dict, path: str) -> None:
        if self._failure("adaccounts"):
            return None
        token = q.get("access_token") or (self.headers.get("Authorization", "").removeprefix("OAuth ").strip())
        problem = self._meta_token_problem(token)
        if problem:
            return self._send(*problem)
        try:
            limit = max(1, min(int(q.get("limit", 25)), 100))
            start = int(base64.urlsafe_b64decode(q["after"].encode()).decode()) if q.get("after") else 0
        except (ValueError, KeyError, UnicodeDecodeError):
            return self._send(*_meta_error("(#100) Invalid parameter", 100))
        fields = [f for f in q.get("fields", "id").split(",") if f] or ["id"]
        rows = [{k: a[k] for k in ["id", *fields] if k in a} for a in META_ACCOUNTS[start:start + limit]]
        body: dict[str, Any] = {"data": rows}
        if rows:
            cursors = {"before": base64.urlsafe_b64encode(str(start).encode()).decode(),
                       "after": base64.urlsafe_b64encode(str(start + len(rows) - 1 + 1).encode()).decode()}
            body["paging"] = {"cursors": cursors}
            if start + limit < len(META_ACCOUNTS):
                host = self.headers.get("Host", "127.0.0.1")
                nq = {k: v for k, v in q.items() if k != "after"} | {"after": cursors["after"]}
                body["paging"]["next"] = f"http://{host}{path}?{urlencode(nq)}"
        self._send(200, body)

    def _meta_revoke(self, params: dict) -> None:
        token = params.get("access_token", "")
        problem = self._meta_token_problem(token)
        if problem:
            return self._send(*problem)
        _, rec = self.state.token_info(token)
        assert rec is not None
        rec["grant"].revoked = True
        with self.state.lock:
            self.state.revocations.append("meta")
        self._send(200, {"success": True})

    # --- Google ---
    def _google_error(self, error: str, description: str, status: int = 400) -> None:
        self._send(status, {"error": error, "error_description": description})

    def _google_token(self, f: dict) -> None:
        st = self.state
        if self._failure("google_token"):
            return None
        if f.get("client_id") != st.google_client_id or f.get("client_secret") != st.google_client_secret:
            return self._google_error("invalid_client", "The OAuth client was not found.", 401)
        grant_type = f.get("grant_type")
        if grant_type == "authorization_code":
            with st.lock:
                grant = st.codes.get(f.get("code", ""))
            if grant is None or grant.platform != "google":
                return self._google_error("invalid_grant", "Malformed auth code.")
            if grant.code_used:
                grant.revoked = True  # RFC 6749 §4.1.2: a reused code SHOULD revoke what it issued
                return self._google_error("invalid_grant", "Bad Request")
            if f.get("redirect_uri") != grant.redirect_uri:
                return self._google_error("redirect_uri_mismatch", "Bad Request")
            if not f.get("code_verifier"):
                return self._google_error("invalid_grant", "Missing code verifier.")
            if not _challenge_ok(grant, f.get("code_verifier", "")):
                return self._google_error("invalid_grant", "Invalid code verifier.")
            grant.code_used = True
            return self._send(200, {"access_token": st.issue_access(grant, GOOGLE_TTL), "expires_in": GOOGLE_TTL,
                                    "refresh_token": st.issue_refresh(grant), "scope": grant.scope, "token_type": "Bearer"})
        if grant_type == "refresh_token":
            with st.lock:
                grant = st.refresh.get(f.get("refresh_token", ""))
            if grant is None or grant.revoked:
                return self._google_error("invalid_grant", "Token has been expired or revoked.")
            return self._send(200, {"access_token": st.issue_access(grant, GOOGLE_TTL), "expires_in": GOOGLE_TTL,
                                    "scope": grant.scope, "token_type": "Bearer"})
        self._google_error("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")

    def _google_revoke(self, params: dict) -> None:
        token = params.get("token", "")
        with self.state.lock:
            grant = self.state.refresh.get(token) or (self.state.access.get(token) or {}).get("grant")
            if grant is None or grant.revoked:
                return self._send(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
            grant.revoked = True
            self.state.revocations.append("google")
        self._send(200, {})


class OAuthStandin(ThreadedHTTPStandIn):
    """The stand-in as a Python handle: ``start()`` serves on 127.0.0.1 (``port=0``: a free one) in a
    daemon thread; ``base_url``; ``settings()`` the Django settings that point Kolony at it; the
    controls as methods; ``stop()``."""

    def __init__(self, *, port: int = 0, graph_upstream: str = "", verbose: bool = False, hang_seconds: float = 30):
        self.state = StandinState()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), OAuthHandler)
        self.server.state = self.state  # type: ignore[attr-defined]
        self.server.graph_upstream = graph_upstream  # type: ignore[attr-defined]
        self.server.verbose = verbose  # type: ignore[attr-defined]
        self.server.hang_seconds = hang_seconds  # type: ignore[attr-defined]

    thread_name = "oauth-standin"

    @property
    def base_url(self) -> str:
        return self.url

    def settings(self, version: str = "v26.0") -> dict[str, str]:
        b = self.base_url
        return {
            "META_APP_ID": self.state.meta_app_id, "META_APP_SECRET": self.state.meta_app_secret,
            "META_API_VERSION": version, "META_OAUTH_AUTHORIZE_URL": f"{b}/{version}/dialog/oauth", "META_GRAPH_URL": b,
            "GOOGLE_ADS_CLIENT_ID": self.state.google_client_id, "GOOGLE_ADS_CLIENT_SECRET": self.state.google_client_secret,
            "GOOGLE_OAUTH_AUTHORIZE_URL": f"{b}/o/oauth2/v2/auth", "GOOGLE_OAUTH_TOKEN_URL": f"{b}/token",
            "GOOGLE_OAUTH_REVOKE_URL": f"{b}/revoke",
        }

    # controls
    def expire_all(self) -> None:
        self.state.expire_all()

    def revoke(self, platform: str) -> None:
        self.state.revoke_platform(platform)

    def fail(self, route: str, mode: str = "permanent", times: int = 1) -> None:
        self.state.fail(route, mode, times)

    def token_info(self, token: str) -> str:
        return self.state.token_info(token)[0]

    def grant_tokens(self, platform: str) -> dict[str, str]:
        """Tokens for a connection made without the browser (``make run``'s demo): runs the real
        code grant internally. ``{"access_token", "refresh_token"?, "expires_in"}``."""
        grant = Grant(platform=platform, client_id="", redirect_uri="", scope="ads_management" if platform == "meta"
                      else "https://www.googleapis.com/auth/adwords", code_used=True)
        if platform == "meta":
            return {"access_token": self.state.issue_access(grant, META_LONG_TTL, long=True), "expires_in": str(META_LONG_TTL)}
        return {"access_token": self.state.issue_access(grant, GOOGLE_TTL), "refresh_token": self.state.issue_refresh(grant),
                "expires_in": str(GOOGLE_TTL)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8431)
    parser.add_argument("--graph-upstream", default="", help="forward other Graph paths here (tests/fakes/meta_graph.py)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    standin = OAuthStandin(port=args.port, graph_upstream=args.graph_upstream, verbose=args.verbose)
    print(f"OAuth stand-in at {standin.base_url}", flush=True)
    try:
        standin.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
