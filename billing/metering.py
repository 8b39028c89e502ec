"""Usage metering for overage on paid plans: sending MeterEventRecords to Stripe's Billing Meter.

B1's render-delivered hook creates one :class:`~billing.models.MeterEventRecord` per render
(identifier ``render-<render id>``, value = credits beyond the included balance) and queues
:func:`meter_event_send` with ``enqueue_on_commit`` and RQ retries (billing/services/gate.py). Sending is idempotent three ways:
the record's status (``sent`` → nothing to do), Stripe's identifier uniqueness (≥ 24 h) and the
idempotency key ``meter-<identifier>`` — so an RQ retry after a lost answer never bills twice.

Stripe's accepted timestamp window (https://docs.stripe.com/api/billing/meter-event/create):
"within the past 35 calendar days or up to 5 minutes in the future".
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import MeterEventRecord, MeterStatus
from .stripe_gateway import BillingUnavailable, StripeGatewayError, meter_event_create

log = logging.getLogger(__name__)

PAST_WINDOW = timedelta(days=35)
FUTURE_WINDOW = timedelta(minutes=5)


def meter_timestamp(*, record: MeterEventRecord) -> int | None:
    """Unix seconds to send for ``record``: its usage time, clamped to now when it lies in the
    future; ``None`` when it is older than Stripe accepts (35 days)."""
    now = timezone.now()
    ts = record.timestamp
    if ts < now - PAST_WINDOW + timedelta(minutes=1):  # a minute's margin for the request in flight
        return None
    return int(min(ts, now).timestamp())


def meter_event_send(record_id: int) -> str:
    """RQ job: sends the meter event ``record_id`` once. Returns the record's resulting status.

    - already ``sent`` (or unknown id) → nothing sent;
    - Stripe records it, or says the identifier already exists → ``sent``;
    - a permanent refusal (bad customer, too old, billing disabled) → ``failed`` with the reason,
      not retried;
    - a passing failure (network, 429, 5xx) → stays ``pending`` with ``last_error`` and raises
      StripeGatewayError so RQ retries it.
    The row is locked while sending, so two workers never send the same record at once."""
    with transaction.atomic():
        record = MeterEventRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None or record.status == MeterStatus.SENT:
            return record.status if record else "missing"
        record.attempts += 1
        ts = meter_timestamp(record=record)
        if ts is None:
            return _finish(record, MeterStatus.FAILED, "Usage is older than the 35 days Stripe accepts; not billed.")
        try:
            meter_event_create(event_name=record.event_name or settings.STRIPE_METER_EVENT_NAME,
                               stripe_customer_id=record.stripe_customer_id, value=record.value,
                               identifier=record.identifier, timestamp=ts)
        except BillingUnavailable as exc:
            return _finish(record, MeterStatus.FAILED, str(exc))
        except StripeGatewayError as exc:
            if not exc.retryable:
                return _finish(record, MeterStatus.FAILED, exc.message)
            record.last_error = exc.message
            record.save(update_fields=["attempts", "last_error"])
            failure: StripeGatewayError = exc
        else:
            return _finish(record, MeterStatus.SENT, "")
    log.warning("meter event %s not sent yet: %s", record_id, failure.message)
    raise failure  # after the commit, so attempts and last_error are kept


def _finish(record: MeterEventRecord, status: str, error: str) -> str:
    record.status = status
    record.last_error = error
    if status == MeterStatus.SENT:
        record.sent_at = timezone.now()
    record.save(update_fields=["status", "last_error", "sent_at", "attempts"])
    return status
