"""The payment-failed banner on every page (templates/billing/_payment_banner.html, included by base.html)."""

from __future__ import annotations

from django.http import HttpRequest

from kolony.tenancy import current_membership, role_can


def payment_banner(request: HttpRequest) -> dict:
    """``{"billing_payment_problem": {...} | None, "billing_can_manage": bool}`` for signed-in
    members of an organization whose last payment failed (see billing.selectors.payment_problem)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    if membership is None:
        return {}
    from .selectors import payment_problem

    return {"billing_payment_problem": payment_problem(organization=membership.organization),
            "billing_can_manage": role_can(membership.role, "manage_billing")}
