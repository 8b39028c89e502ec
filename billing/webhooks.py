"""``POST /billing/stripe/webhook/``: Stripe's webhook endpoint (a plain Django view, no session).

The ``Stripe-Signature`` header is verified with :func:`stripe.Webhook.construct_event` and
``STRIPE_WEBHOOK_SECRET`` (tolerance 300 s, Stripe's default: https://docs.stripe.com/webhooks#verify-events).
A missing, forged or stale signature, a wrong secret, or a body that is not a Stripe event answers
400 and stores nothing. A verified event is stored by its id and queued for processing on RQ;
a replay of a stored id answers 200 and changes nothing. Body: ``{"received": true,
"duplicate": bool}``; errors ``{"detail": str, "errors": {}}`` as the API's.
"""

from __future__ import annotations

import json

import stripe
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import stripe_event_record

TOLERANCE_S = 300


def _bad(detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": {}}, status=400)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return _bad("Stripe webhooks are not configured here (no STRIPE_WEBHOOK_SECRET).")
    signature = request.headers.get("Stripe-Signature", "")
    if not signature:
        return _bad("Missing Stripe-Signature header.")
    try:
        payload = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _bad("The body is not UTF-8 JSON.")
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_S)
    except stripe.SignatureVerificationError:
        return _bad("The Stripe-Signature does not match this endpoint's secret, or its timestamp is older than 5 minutes.")
    except ValueError:
        return _bad("The body is not valid JSON.")
    try:
        data = json.loads(payload)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        _event, created = stripe_event_record(payload=data)
    except ValueError as exc:
        return _bad(str(exc) if "Stripe event" in str(exc) else "The body is not a Stripe event.")
    return JsonResponse({"received": True, "duplicate": not created})
