"""Billing pages: the pricing page, the organization's billing page, Checkout and the portal.

Thin: reads come from :mod:`billing.selectors`, Stripe calls from :mod:`billing.stripe_gateway`.
Changing the plan or opening the portal is for owners and admins (capability ``manage_billing``);
anyone else gets a 403 page saying so.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from kolony.accounts.models import Organization
from kolony.tenancy import current_membership, org_required, role_can

from . import selectors
from .models import Plan
from .stripe_gateway import (
    BillingUnavailable,
    StripeGatewayError,
    checkout_session_create,
    invoice_list,
    portal_session_create,
)


def _can_manage(request: HttpRequest) -> bool:
    membership = current_membership(request)
    return membership is not None and role_can(membership.role, "manage_billing")


def _org(request: HttpRequest) -> Organization:
    membership = current_membership(request)
    if membership is None:  # org_required redirects first; never reached
        raise PermissionDenied("No organization.")
    return membership.organization


def _forbidden(request: HttpRequest, what: str) -> HttpResponse:
    membership = current_membership(request)
    role = membership.get_role_display() if membership else "none"
    return render(request, "billing/forbidden.html", {"what": what, "role": role}, status=403)


def _plan_rows(current: Plan | None) -> list[dict]:
    rows = []
    for plan in selectors.public_plans():
        rows.append({"plan": plan, "current": current is not None and plan.pk == current.pk,
                     "buyable": bool(plan.stripe_price_id), "price": plan.monthly_price_minor / 100})
    return rows


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    """GET /billing/plans/ — every public plan; open to visitors and members alike."""
    membership = current_membership(request) if request.user.is_authenticated else None
    current = selectors.effective_plan(organization=membership.organization) if membership else None
    return render(request, "billing/pricing.html", {
        "plans": _plan_rows(current), "can_manage": _can_manage(request) if membership else False,
        "signed_in": membership is not None, "billing_enabled": selectors.billing_enabled(),
        "billing_label": selectors.billing_mode_label(),
    })


@org_required("view")
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """GET /billing/ — plan, seats, credits this period with a usage chart, invoices (owners/admins)."""
    org = _org(request)
    can_manage = _can_manage(request)
    plan = selectors.effective_plan(organization=org)
    account = selectors.billing_account(organization=org)
    invoices, invoice_problem = (invoice_list(organization=org) if can_manage and selectors.billing_enabled() else ([], ""))
    seats_left = selectors.seats_available(organization=org)
    return render(request, "billing/overview.html", {
        "plan": plan, "account": account, "can_manage": can_manage,
        "billing_enabled": selectors.billing_enabled(), "billing_label": selectors.billing_mode_label(),
        "seats_used": selectors.seats_used(organization=org), "seats_total": plan.seats, "seats_left": seats_left,
        "credits": selectors.credit_summary(organization=org),
        "usage": selectors.credit_usage_by_day(organization=org, days=30),
        "plans": _plan_rows(plan), "invoices": invoices, "invoice_problem": invoice_problem,
        "has_customer": bool(account and account.stripe_customer_id),
    })


@org_required("view")
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """POST /billing/checkout/ (field ``plan``: a plan code) → 303 to Stripe Checkout.
    Refusals (unknown plan, Free, seats over the plan, billing disabled, Stripe errors) go back to
    the billing page with a message naming the problem; non-owners/admins get 403."""
    if not _can_manage(request):
        return _forbidden(request, "change the plan")
    org = _org(request)
    back = redirect("billing:overview")
    if not selectors.billing_enabled():
        messages.error(request, selectors.billing_mode_label() + ": there is nothing to buy.")
        return back
    code = str(request.POST.get("plan", "")).strip()
    plans = list(selectors.public_plans())
    plan = next((p for p in plans if p.code == code), None)
    if plan is None:
        names = ", ".join(p.name for p in plans)
        messages.error(request, f"Plan: choose one of {names}" + (f" ('{code[:40]}' is not one)." if code else "."))
        return back
    allowed, reason = selectors.plan_change_allowed(organization=org, plan=plan)
    if not allowed:
        messages.error(request, reason)
        return back
    current = selectors.effective_plan(organization=org)
    if plan.pk == current.pk:
        messages.info(request, f"Your organization is already on the {plan.name} plan.")
        return back
    account = selectors.billing_account(organization=org)
    if account is not None and account.subscription_id and account.subscription_status in ("active", "trialing", "past_due"):
        messages.info(request, f"You already subscribe to {current.name}: change or cancel it in Manage billing.")
        return back
    if not plan.stripe_price_id:
        messages.error(request, f"The {plan.name} plan cannot be bought online.")
        return back
    success = request.build_absolute_uri(reverse("billing:checkout_success")) + "?session_id={CHECKOUT_SESSION_ID}"
    cancel = request.build_absolute_uri(reverse("billing:checkout_cancel"))
    try:
        url = checkout_session_create(organization=org, plan=plan, success_url=success, cancel_url=cancel)
    except (StripeGatewayError, BillingUnavailable) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return back
    return _see_other(url)


def _see_other(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


@org_required("view")
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    """POST /billing/portal/ → 303 to the Stripe Customer Portal (owners/admins)."""
    if not _can_manage(request):
        return _forbidden(request, "manage billing")
    if not selectors.billing_enabled():
        messages.error(request, selectors.billing_mode_label() + ".")
        return redirect("billing:overview")
    org = _org(request)
    try:
        url = portal_session_create(organization=org, return_url=request.build_absolute_uri(reverse("billing:overview")))
    except (StripeGatewayError, BillingUnavailable) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("billing:overview")
    return _see_other(url)


@org_required("view")
@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    """GET /billing/checkout/success/ — back from Checkout; the plan changes when Stripe's signed
    webhook arrives (usually before this page loads)."""
    org = _org(request)
    return render(request, "billing/checkout_return.html", {
        "ok": True, "plan": selectors.effective_plan(organization=org),
        "credits": selectors.credit_summary(organization=org)})


@org_required("view")
@require_GET
def checkout_cancel(request: HttpRequest) -> HttpResponse:
    """GET /billing/checkout/cancel/ — Checkout left without paying; nothing changed."""
    org = _org(request)
    return render(request, "billing/checkout_return.html", {
        "ok": False, "plan": selectors.effective_plan(organization=org),
        "credits": selectors.credit_summary(organization=org)})
