"""Billing writes, one module per domain: ``ledger`` (account, grants, adjustments), ``gate`` (the
Studio's render reservations), ``events`` (Stripe webhooks), ``grace`` (downgrade after a failed
payment), ``seats`` (invitation limits), ``notify`` (e-mails)."""

from .events import stripe_event_process, stripe_event_record, stripe_event_reprocess
from .gate import render_cost, render_estimate, render_refund, render_reserve, render_settle
from .grace import billing_grace_sweep
from .ledger import (
    billing_account_get_or_create,
    billing_account_lock,
    billing_account_refresh,
    billing_account_set_customer,
    credit_adjust,
    credit_grant_for_period,
)
from .seats import seat_require_available

__all__ = [
    "billing_account_get_or_create", "billing_account_lock", "billing_account_refresh", "billing_account_set_customer",
    "billing_grace_sweep", "credit_adjust", "credit_grant_for_period", "render_cost", "render_estimate", "render_refund",
    "render_reserve", "render_settle", "seat_require_available", "stripe_event_process", "stripe_event_record",
    "stripe_event_reprocess",
]
