"""A local Stripe stand-in: localstripe for what it covers, plus the few endpoints it lacks.

Run it:  python -m tests.fakes.stripe_standin --port 8420 \
             --webhook-url http://127.0.0.1:8000/billing/stripe/webhook/ --webhook-secret whsec_...

What serves what
- localstripe 1.15.10 (PyPI, maintained outside this project) serves the core objects: customers,
  payment methods, plans (a Stripe Plan is usable wherever a Price id is, so the Kolony prices are
  seeded as Plans with those ids: ``--price price_pro=4900:usd:Pro``), subscriptions, invoices,
  charges, payment intents, products, events.
- Written here (localstripe has no route for them):
  * Idempotency-Key handling on every POST (Stripe replays the first response for the same key and
    answers 400 ``idempotency_error`` if the same key comes with other parameters);
  * ``POST/GET /v1/checkout/sessions`` (+ ``/{id}``, ``/{id}/expire``) and the hosted Checkout page
    ``/checkout/pay/{id}``: "Pay" creates the customer's card and the subscription in localstripe,
    then delivers SIGNED ``checkout.session.completed``, ``customer.subscription.created`` and
    ``invoice.paid`` events (``Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.payload")``) to the
    webhook URL, in that order, before redirecting the browser to ``success_url``;
  * ``POST /v1/billing_portal/sessions`` and the portal page ``/billing_portal/{id}`` (plan,
    invoices, a link back to ``return_url``);
  * ``POST /v1/billing/meter_events`` (validates as documented: event_name ≤ 100 chars, payload with
    ``stripe_customer_id`` of an existing customer and a numeric ``value``, timestamp within the past
    35 days or ≤ 5 minutes ahead, identifier unique: a repeat answers 400 ``resource_already_exists``);
  * ``GET /_standin/meter_events`` and ``GET /_standin/deliveries`` for tests to inspect.
Errors use Stripe's shape ``{"error": {"type", "code", "message", "param"}}``.
Event objects follow the current API shape (subscription periods on the items, the invoice's
subscription under ``parent.subscription_details``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import html
import json
import logging
import random
import socket
import string
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, web
from localstripe import resources as ls_resources  # type: ignore[import-untyped]
from localstripe import server as ls_server
from localstripe.resources import Customer, Invoice, PaymentMethod, Plan, Product, Subscription  # type: ignore[import-untyped]

log = logging.getLogger("stripe_standin")

# localstripe pickles its whole store to /tmp/localstripe.pickle after every write; several
# stand-ins (parallel test runs) would share and clobber it. Keep each process's store in memory.
ls_resources.Store.dump_to_disk = lambda self: None

METER_PAST_WINDOW_S = 35 * 24 * 3600  # Stripe: "within the past 35 calendar days"
METER_FUTURE_WINDOW_S = 5 * 60  # Stripe: "or up to 5 minutes in the future"
API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1.0 pins (stripe.api_version)


def _rid(prefix: str, n: int = 24) -> str:
    return prefix + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(n))


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 type_: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "code": code, "message": message, "param": param}}

    def response(self) -> web.Response:
        return web.json_response(self.body, status=self.status)


def _missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def _invalid(param: str, message: str) -> StripeError:
    return StripeError(400, message, code="parameter_invalid_string", param=param)


def _no_such(kind: str, value: str, param: str) -> StripeError:
    return StripeError(400, f"No such {kind}: '{value}'", code="resource_missing", param=param)


@dataclass
class State:
    base_url: str = "http://127.0.0.1:8420"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    meter_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], tuple[str, int, bytes]] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


STATE = State()


# ---------------------------------------------------------------------------------------------
# Idempotency (Stripe: https://docs.stripe.com/api/idempotent_requests)
# ---------------------------------------------------------------------------------------------
_idem_lock = asyncio.Lock()


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    auth = request.headers.get("Authorization", "")
    body = await request.read()
    fingerprint = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
    async with _idem_lock:
        seen = STATE.idempotency.get((auth, key))
        if seen is not None:
            if seen[0] != fingerprint:
                return StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they were "
                    f"first used with. Try using a key other than '{key}' if you meant to execute a "
                    "different request.",
                    type_="idempotency_error",
                ).response()
            resp = web.Response(status=seen[1], body=seen[2], content_type="application/json")
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
        response = await handler(request)
        if isinstance(response, web.Response) and response.status < 500 and response.body is not None:
            raw = response.body if isinstance(response.body, bytes) else str(response.body).encode()
            STATE.idempotency[(auth, key)] = (fingerprint, response.status, raw)
        return response


PUBLIC_PREFIXES = ("/checkout/pay/", "/billing_portal/", "/_standin/")  # pages a browser opens, test hooks


@web.middleware
async def stripe_error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Outermost: our StripeError → Stripe's shape; localstripe's terse errors get Stripe's code/param;
    browser pages skip localstripe's API-key check (they are reached by the URL Stripe returned)."""
    try:
        if request.path.startswith(PUBLIC_PREFIXES):
            return await request.match_info.handler(request)
        response = await handler(request)
    except StripeError as exc:
        return exc.response()
    if isinstance(response, web.Response) and 400 <= response.status < 500 and request.path.startswith("/v1/"):
        return _stripe_shaped(request, response)
    return response


def _stripe_shaped(request: web.Request, response: web.Response) -> web.Response:
    try:
        body = json.loads(response.body if isinstance(response.body, bytes) else b"")
        error = body["error"]
    except (ValueError, KeyError, TypeError):
        return response
    error.setdefault("code", None)
    error.setdefault("param", None)
    parts = request.path.strip("/").split("/")  # v1, customers, cus_x
    if response.status == 404 and len(parts) >= 3 and error.get("message") == "Not Found":
        error.update(message=f"No such {parts[1].rstrip('s')}: '{parts[2]}'", code="resource_missing", param="id")
    elif response.status == 401:
        error.update(message="Invalid API Key provided.", code=None)
    return web.json_response(body, status=response.status)


# ---------------------------------------------------------------------------------------------
# Helpers over localstripe's store
# ---------------------------------------------------------------------------------------------
async def _form(request: web.Request) -> dict[str, Any]:
    data = await ls_server.get_post_data(request)
    return dict(data or {})


def _customer(customer_id: Any, param: str) -> Customer:
    if not isinstance(customer_id, str) or not customer_id:
        raise _missing(param)
    obj = ls_resources.store.get("customer:" + customer_id)
    if obj is None:
        raise _no_such("customer", customer_id, param)
    return obj


def _price(price_id: Any, param: str) -> Plan:
    if not isinstance(price_id, str) or not price_id:
        raise _missing(param)
    obj = ls_resources.store.get("plan:" + price_id)
    if obj is None:
        raise _no_such("price", price_id, param)
    return obj


def _price_json(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id, "object": "price", "active": plan.active, "currency": plan.currency,
        "unit_amount": plan.amount, "product": plan.product, "type": "recurring",
        "recurring": {"interval": plan.interval, "interval_count": plan.interval_count, "usage_type": plan.usage_type},
        "metadata": plan.metadata, "nickname": plan.nickname, "livemode": False, "created": plan.created,
    }


def _url(value: Any, param: str, *, required: bool) -> str | None:
    if value in (None, ""):
        if required:
            raise _missing(param)
        return None
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise StripeError(400, "Not a valid URL", code="url_invalid", param=param)
    return value


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise _invalid(param, "Invalid object")
    for k, v in value.items():
        if len(str(k)) > 40 or len(str(v)) > 500:
            raise _invalid(f"{param}[{k}]", "Metadata keys are at most 40 characters, values at most 500.")
    return {str(k): str(v) for k, v in value.items()}


# ---------------------------------------------------------------------------------------------
# Checkout Sessions
# ---------------------------------------------------------------------------------------------
async def checkout_session_create(request: web.Request) -> web.Response:
    data = await _form(request)
    mode = data.get("mode")
    if not mode:
        raise _missing("mode")
    if mode not in ("payment", "setup", "subscription"):
        raise StripeError(400, "Invalid mode: must be one of payment, setup, or subscription",
                          code="parameter_invalid_string", param="mode")
    if mode != "subscription":
        raise StripeError(400, "This stand-in only implements mode=subscription.", param="mode")
    success_url = _url(data.get("success_url"), "success_url", required=True)
    cancel_url = _url(data.get("cancel_url"), "cancel_url", required=False)
    customer = _customer(data["customer"], "customer").id if data.get("customer") else None
    line_items = data.get("line_items")
    if not line_items:
        raise StripeError(400, "You must provide at least one recurring price in `subscription` mode when using prices.",
                          code="parameter_missing", param="line_items")
    if not isinstance(line_items, list):
        raise _invalid("line_items", "Invalid array")
    items = []
    for i, item in enumerate(line_items):
        if not isinstance(item, dict):
            raise _invalid(f"line_items[{i}]", "Invalid object")
        plan = _price(item.get("price"), f"line_items[{i}][price]")
        try:
            quantity = int(item.get("quantity", 1))
        except (TypeError, ValueError):
            raise StripeError(400, "Invalid integer: " + str(item.get("quantity")), code="parameter_invalid_integer",
                              param=f"line_items[{i}][quantity]") from None
        if quantity < 1:
            raise StripeError(400, "Quantity must be at least 1.", param=f"line_items[{i}][quantity]")
        items.append({"price": plan.id, "quantity": quantity, "amount": plan.amount * quantity, "currency": plan.currency})
    if len(items) != 1:
        raise StripeError(400, "This stand-in only implements one subscription line item.", param="line_items")
    client_reference_id = data.get("client_reference_id")
    if client_reference_id is not None and (not isinstance(client_reference_id, str) or len(client_reference_id) > 200):
        raise _invalid("client_reference_id", "client_reference_id must be a string of at most 200 characters.")
    subscription_data = data.get("subscription_data") or {}
    if not isinstance(subscription_data, dict):
        raise _invalid("subscription_data", "Invalid object")
    now = int(time.time())
    sid = _rid("cs_test_", 40)
    session = {
        "id": sid, "object": "checkout.session", "mode": mode, "status": "open", "payment_status": "unpaid",
        "customer": customer, "customer_email": data.get("customer_email"), "client_reference_id": client_reference_id,
        "metadata": _metadata(data.get("metadata"), "metadata"),
        "success_url": success_url, "cancel_url": cancel_url, "subscription": None, "invoice": None,
        "url": f"{STATE.base_url}/checkout/pay/{sid}", "created": now, "expires_at": now + 24 * 3600,
        "amount_total": items[0]["amount"], "amount_subtotal": items[0]["amount"], "currency": items[0]["currency"],
        "livemode": False,
        "_items": items, "_subscription_metadata": _metadata(subscription_data.get("metadata"), "subscription_data[metadata]"),
    }
    STATE.sessions[sid] = session
    return web.json_response(_public(session))


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _session(sid: str) -> dict[str, Any]:
    session = STATE.sessions.get(sid)
    if session is None:
        raise StripeError(404, f"No such checkout.session: '{sid}'", code="resource_missing", param="session")
    return session


async def checkout_session_retrieve(request: web.Request) -> web.Response:
    return web.json_response(_public(_session(request.match_info["id"])))


async def checkout_session_expire(request: web.Request) -> web.Response:
    session = _session(request.match_info["id"])
    if session["status"] != "open":
        raise StripeError(400, 'Only Checkout Sessions with a status in ["open"] can be expired. '
                          f'This Checkout Session has a status of "{session["status"]}".')
    session["status"] = "expired"
    return web.json_response(_public(session))


async def checkout_session_list(request: web.Request) -> web.Response:
    data = [_public(s) for s in STATE.sessions.values()]
    return web.json_response({"object": "list", "data": data, "has_more": False, "url": "/v1/checkout/sessions"})


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;background:#f6f9fc;margin:0;padding:2rem 1rem;color:#1a1f36}}
main{{max-width:28rem;margin:auto;background:#fff;border-radius:8px;padding:1.5rem;box-shadow:0 2px 8px #0002}}
.muted{{color:#697386}} button{{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.7rem 1.2rem;font-size:1rem;width:100%}}
a{{color:#635bff}} table{{width:100%;border-collapse:collapse}} td{{padding:.3rem 0;border-bottom:1px solid #eee}}</style>
</head><body><main><p class="muted">Stripe stand-in (test mode)</p>{body}</main></body></html>"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(text=_PAGE.format(title=html.escape(title), body=body), status=status, content_type="text/html")


async def checkout_page(request: web.Request) -> web.Response:
    session = STATE.sessions.get(request.match_info["id"])
    if session is None:
        return _page("Not found", "<h1>This Checkout link is not valid.</h1>", 404)
    if session["status"] != "open":
        return _page("Closed", f"<h1>This Checkout Session is {html.escape(session['status'])}.</h1>", 410)
    item = session["_items"][0]
    plan = _price(item["price"], "price")
    product = ls_resources.store.get("product:" + plan.product)
    name = product.name if product is not None else plan.id
    amount = f"{item['amount'] / 100:.2f} {item['currency'].upper()}"
    cancel = (f'<p><a href="{html.escape(session["cancel_url"])}">← Back</a></p>' if session["cancel_url"] else "")
    body = (f"<h1>Subscribe to {html.escape(name)}</h1><p><strong>{html.escape(amount)}</strong> per {html.escape(plan.interval)}</p>"
            '<p class="muted">Test card 4242 4242 4242 4242</p>'
            f'<form method="post"><button type="submit">Pay</button></form>{cancel}')
    return _page("Checkout", body)


async def checkout_pay(request: web.Request) -> web.Response:
    session = STATE.sessions.get(request.match_info["id"])
    if session is None or session["status"] != "open":
        return _page("Closed", "<h1>This Checkout Session is no longer open.</h1>", 410)
    item = session["_items"][0]
    if session["customer"] is None:
        session["customer"] = Customer(email=session.get("customer_email")).id
    customer = _customer(session["customer"], "customer")
    pm = PaymentMethod(type="card", card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"})
    PaymentMethod._api_attach(pm.id, customer=customer.id)
    customer.invoice_settings["default_payment_method"] = pm.id
    sub = Subscription(customer=customer.id, items=[{"plan": item["price"], "quantity": item["quantity"]}],
                       metadata=dict(session["_subscription_metadata"]))
    invoice = Invoice._api_retrieve(sub.latest_invoice) if isinstance(sub.latest_invoice, str) else None
    session.update(status="complete", payment_status="paid", subscription=sub.id,
                   invoice=invoice.id if invoice is not None else None)
    events = [("checkout.session.completed", _public(session)),
              ("customer.subscription.created", subscription_json(sub))]
    if invoice is not None:
        events.append(("invoice.paid", invoice_json(invoice, sub)))
    for event_type, obj in events:
        await deliver(event_type, obj)
    target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    raise web.HTTPSeeOther(target)


def subscription_json(sub: Subscription) -> dict[str, Any]:
    """A subscription in the current API shape (periods live on the items since 2025-03-31)."""
    start = sub.current_period_start
    end = sub.current_period_end
    items = [{
        "id": si.id, "object": "subscription_item", "price": _price_json(_price(si.plan.id, "price")),
        "quantity": si.quantity, "current_period_start": start, "current_period_end": end,
        "subscription": sub.id, "metadata": si.metadata or {}, "created": si.created,
    } for si in sub.items._list]
    return {
        "id": sub.id, "object": "subscription", "customer": sub.customer, "status": sub.status,
        "created": sub.created, "start_date": sub.start_date, "cancel_at_period_end": sub.cancel_at_period_end,
        "cancel_at": sub.cancel_at, "canceled_at": sub.canceled_at, "ended_at": sub.ended_at,
        "metadata": sub.metadata, "latest_invoice": sub.latest_invoice, "livemode": False,
        "items": {"object": "list", "data": items, "has_more": False, "url": f"/v1/subscription_items?subscription={sub.id}"},
    }


def invoice_json(invoice: Invoice, sub: Subscription | None) -> dict[str, Any]:
    exported = invoice._export()
    period_start = sub.current_period_start if sub is not None else exported.get("period_start")
    period_end = sub.current_period_end if sub is not None else exported.get("period_end")
    lines = []
    if sub is not None:
        for si in sub.items._list:
            lines.append({
                "id": _rid("il_", 14), "object": "line_item", "amount": si.plan.amount * si.quantity,
                "currency": si.plan.currency, "quantity": si.quantity,
                "period": {"start": period_start, "end": period_end},
                "pricing": {"type": "price_details", "price_details": {"price": si.plan.id, "product": si.plan.product}},
                "parent": {"type": "subscription_item_details",
                           "subscription_item_details": {"subscription": sub.id, "subscription_item": si.id}},
            })
    return {
        "id": invoice.id, "object": "invoice", "customer": invoice.customer, "status": exported.get("status"),
        "amount_due": exported.get("amount_due"), "amount_paid": exported.get("amount_paid"),
        "total": exported.get("total"), "currency": exported.get("currency"), "created": invoice.created,
        "number": exported.get("number") or invoice.id.upper(), "billing_reason": "subscription_create",
        "period_start": period_start, "period_end": period_end,
        "hosted_invoice_url": f"{STATE.base_url}/invoices/{invoice.id}",
        "status_transitions": exported.get("status_transitions"), "livemode": False,
        "parent": ({"type": "subscription_details", "subscription_details": {"subscription": sub.id, "metadata": sub.metadata}}
                   if sub is not None else None),
        "lines": {"object": "list", "data": lines, "has_more": False, "url": f"/v1/invoices/{invoice.id}/lines"},
    }


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Stripe-Signature header value as Stripe computes it: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_json(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": _rid("evt_", 24), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
            "type": event_type, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}}


async def deliver(event_type: str, obj: dict[str, Any]) -> None:
    """POST one signed event to the webhook URL (when configured); the outcome is kept in STATE.deliveries."""
    event = event_json(event_type, obj)
    record: dict[str, Any] = {"id": event["id"], "type": event_type, "status": None, "error": None}
    STATE.deliveries.append(record)
    if not STATE.webhook_url or not STATE.webhook_secret:
        record["error"] = "no webhook configured"
        return
    payload = json.dumps(event)
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(payload, STATE.webhook_secret)}
    try:
        async with ClientSession() as client, client.post(STATE.webhook_url, data=payload.encode(), headers=headers) as r:
            record["status"] = r.status
    except ClientError as exc:
        record["error"] = str(exc)
    log.info("webhook %s -> %s %s", event_type, record["status"], record["error"] or "")


# ---------------------------------------------------------------------------------------------
# Billing portal
# ---------------------------------------------------------------------------------------------
async def portal_session_create(request: web.Request) -> web.Response:
    data = await _form(request)
    customer = _customer(data.get("customer"), "customer")
    return_url = _url(data.get("return_url"), "return_url", required=False)
    pid = _rid("bps_", 24)
    session = {"id": pid, "object": "billing_portal.session", "customer": customer.id, "return_url": return_url,
               "url": f"{STATE.base_url}/billing_portal/{pid}", "created": int(time.time()), "livemode": False,
               "configuration": "bpc_standin", "locale": None, "on_behalf_of": None, "flow": None}
    STATE.portal_sessions[pid] = session
    return web.json_response(session)


async def portal_page(request: web.Request) -> web.Response:
    session = STATE.portal_sessions.get(request.match_info["id"])
    if session is None:
        return _page("Not found", "<h1>This portal link is not valid.</h1>", 404)
    subs = [s for k, s in ls_resources.store.items() if k.startswith("subscription:") and s.customer == session["customer"]]
    invoices = [i for k, i in ls_resources.store.items() if k.startswith("invoice:") and i.customer == session["customer"]]
    rows = ("".join(f"<tr><td>{html.escape(s.plan.id)}</td><td>{html.escape(s.status)}</td></tr>" for s in subs)
            or "<tr><td>No subscription</td></tr>")
    inv = "".join(f"<tr><td>{html.escape(i.id)}</td><td>{(i._export().get('total') or 0) / 100:.2f}</td></tr>" for i in invoices)
    back = f'<p><a href="{html.escape(session["return_url"])}">Return to Kolony</a></p>' if session["return_url"] else ""
    body = f"<h1>Manage billing</h1><h2>Subscriptions</h2><table>{rows}</table><h2>Invoices</h2><table>{inv}</table>{back}"
    return _page("Billing portal", body)


# ---------------------------------------------------------------------------------------------
# Billing meter events (v1)
# ---------------------------------------------------------------------------------------------
async def meter_event_create(request: web.Request) -> web.Response:
    data = await _form(request)
    event_name = data.get("event_name")
    if not event_name:
        raise _missing("event_name")
    if not isinstance(event_name, str) or len(event_name) > 100:
        raise _invalid("event_name", "event_name must be a string of at most 100 characters.")
    payload = data.get("payload")
    if not payload:
        raise _missing("payload")
    if not isinstance(payload, dict):
        raise _invalid("payload", "Invalid object")
    if not payload.get("stripe_customer_id"):
        raise _missing("payload[stripe_customer_id]")
    _customer(payload["stripe_customer_id"], "payload[stripe_customer_id]")
    if payload.get("value") in (None, ""):
        raise _missing("payload[value]")
    try:
        float(payload["value"])
    except (TypeError, ValueError):
        raise _invalid("payload[value]", f"Invalid value: '{payload['value']}' is not a number.") from None
    now = int(time.time())
    raw_ts = data.get("timestamp")
    try:
        timestamp = now if raw_ts in (None, "") else int(raw_ts)
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {raw_ts}", code="parameter_invalid_integer", param="timestamp") from None
    if timestamp < now - METER_PAST_WINDOW_S:
        raise StripeError(400, "Timestamp must be within the past 35 calendar days.", code="timestamp_too_far_in_past", param="timestamp")
    if timestamp > now + METER_FUTURE_WINDOW_S:
        raise StripeError(400, "Timestamp must not be more than 5 minutes in the future.", code="timestamp_in_future", param="timestamp")
    identifier = data.get("identifier") or _rid("mev_", 20)
    if not isinstance(identifier, str) or len(identifier) > 100:
        raise _invalid("identifier", "identifier must be a string of at most 100 characters.")
    if identifier in STATE.meter_events:
        raise StripeError(400, f"An event with identifier '{identifier}' already exists.",
                          code="resource_already_exists", param="identifier")
    event = {"object": "billing.meter_event", "created": now, "event_name": event_name, "identifier": identifier,
             "livemode": False, "payload": {str(k): str(v) for k, v in payload.items()}, "timestamp": timestamp}
    STATE.meter_events[identifier] = event
    return web.json_response(event)


async def standin_meter_events(request: web.Request) -> web.Response:
    return web.json_response({"data": list(STATE.meter_events.values())})


async def standin_deliveries(request: web.Request) -> web.Response:
    return web.json_response({"data": STATE.deliveries})


async def standin_config(request: web.Request) -> web.Response:
    """POST /_standin/config {webhook_url, webhook_secret}: point event delivery elsewhere (tests)."""
    data = await _form(request)
    if "webhook_url" in data:
        STATE.webhook_url = _url(data.get("webhook_url"), "webhook_url", required=False)
    if "webhook_secret" in data:
        STATE.webhook_secret = data.get("webhook_secret") or None
    return web.json_response({"webhook_url": STATE.webhook_url})


# ---------------------------------------------------------------------------------------------
# App assembly
# ---------------------------------------------------------------------------------------------
def seed_price(spec: str) -> None:
    """``price_pro=4900:usd:Pro`` → a monthly Plan (usable as a Price) with that id, amount and product name."""
    price_id, _, rest = spec.partition("=")
    amount, currency, name = (rest.split(":", 2) + ["", ""])[:3]
    if ls_resources.store.get("plan:" + price_id) is None:
        product = Product(name=name or price_id, type="service")
        Plan(id=price_id, amount=int(amount), currency=currency or "usd", interval="month", product=product.id)


def build_app(*, base_url: str, webhook_url: str | None, webhook_secret: str | None, prices: list[str]) -> web.Application:
    STATE.base_url = base_url.rstrip("/")
    STATE.webhook_url = webhook_url
    STATE.webhook_secret = webhook_secret
    app = ls_server.app
    app.middlewares.insert(0, stripe_error_middleware)
    app.middlewares.insert(3, idempotency_middleware)  # after localstripe's error and auth middlewares
    routes = [
        ("POST", "/v1/checkout/sessions", checkout_session_create),
        ("GET", "/v1/checkout/sessions", checkout_session_list),
        ("GET", "/v1/checkout/sessions/{id}", checkout_session_retrieve),
        ("POST", "/v1/checkout/sessions/{id}/expire", checkout_session_expire),
        ("POST", "/v1/billing_portal/sessions", portal_session_create),
        ("POST", "/v1/billing/meter_events", meter_event_create),
        ("GET", "/checkout/pay/{id}", checkout_page),
        ("POST", "/checkout/pay/{id}", checkout_pay),
        ("GET", "/billing_portal/{id}", portal_page),
        ("GET", "/_standin/meter_events", standin_meter_events),
        ("GET", "/_standin/deliveries", standin_deliveries),
        ("POST", "/_standin/config", standin_config),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    for spec in prices:
        seed_price(spec)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret")
    parser.add_argument("--price", action="append", default=[], help="PRICE_ID=AMOUNT_MINOR:CURRENCY:PRODUCT_NAME (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="stripe-standin: %(message)s")
    app = build_app(base_url=f"http://{args.host}:{args.port}", webhook_url=args.webhook_url,
                    webhook_secret=args.webhook_secret, prices=args.price)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    web.run_app(app, sock=sock, print=lambda *_: log.info("listening on %s:%s", args.host, args.port))


if __name__ == "__main__":
    main()
