"""Whether an organization may render now: the seam between the Studio and billing.

The Studio calls these at each render event; billing (:mod:`billing.services.gate`) checks the
plan, reserves the render's credits before it is queued, debits what was delivered and refunds a
failed or cancelled render. With billing disabled every organization may render, nothing recorded.
1 credit = 1 second of delivered video in one format; storyboard previews are free.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class RenderRefused(PermissionDenied):
    """A render billing refused. ``code``: ``"out_of_credits"`` or ``"plan_limit"`` (the page then
    offers the free storyboard preview and an upgrade)."""

    def __init__(self, reason: str, code: str = ""):
        super().__init__(reason)
        self.code = code


def render_allowed(*, organization, job) -> tuple[bool, str]:
    """(allowed, reason); when allowed, the render's estimated credits are now reserved (inside
    the caller's transaction). ``reason`` is shown to the user when not allowed."""
    from billing.services.gate import render_reserve

    allowed, reason, _code = render_reserve(organization=organization, job=job)
    return allowed, reason


def require_render_allowed(*, organization, job) -> None:
    """:func:`render_allowed` that raises :class:`RenderRefused` (a PermissionDenied) when refused."""
    from billing.services.gate import render_reserve

    allowed, reason, code = render_reserve(organization=organization, job=job)
    if not allowed:
        raise RenderRefused(reason, code)


def render_delivered(*, job, render, seconds: float, formats: int) -> None:
    """A render version was stored: debit ``ceil(seconds) × formats`` credits, release the
    reservation. Call inside the transaction that creates the Render."""
    from billing.services.gate import render_settle

    render_settle(job=job, render=render, seconds=seconds, formats=formats)


def render_failed(*, job, reason: str = "Render failed: credits returned") -> None:
    """The job's render failed or was cancelled: its reserved credits go back."""
    from billing.services.gate import render_refund

    render_refund(job=job, reason=reason)


def refusal_html(*, reason: str, job_url: str) -> str:
    """The flash message for a refused render: the (escaped) reason, then links to the free
    storyboard preview on the job page and to the billing pages (``billing:pricing``,
    ``billing:overview``) when they exist. Returns safe HTML (every variable part escaped)."""
    from django.urls import NoReverseMatch, reverse
    from django.utils.html import format_html, format_html_join

    links = [(f"{job_url}#storyboard", "Preview the storyboard (free)")]
    for name, label in (("billing:pricing", "Compare plans and upgrade"), ("billing:overview", "See your credits")):
        try:
            links.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return format_html('<span data-testid="render-refused">{}</span> {}', reason,
                       format_html_join(" · ", '<a href="{}">{}</a>', links))
