"""RQ entry points for billing (thin: they call services). Queue ``default``."""

from __future__ import annotations


def stripe_event_process(event_pk: int) -> str:
    """Processes one stored Stripe event (exactly once), then runs the grace sweep."""
    from .services import billing_grace_sweep
    from .services import stripe_event_process as process

    status = process(event_pk=event_pk)
    billing_grace_sweep()
    return status


def billing_grace_sweep() -> int:
    """Downgrades accounts whose grace period ended; returns how many."""
    from .services import billing_grace_sweep as sweep

    return sweep()
