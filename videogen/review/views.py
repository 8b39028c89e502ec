"""Review pages: the approvals page (/studio/approvals/), one render version's review page
(/studio/renders/<id>/) with its transition buttons, and the review settings form of the team page."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from kolony.accounts.models import User
from kolony.core.request_validation import query_params
from kolony.core.service_errors import errors_as_text
from kolony.tenancy import current_membership, org_queryset, org_required, role_can
from videogen.forms import PLACEMENTS

from . import selectors, services


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # org_required: signed in


class ApprovalsQueryForm(forms.Form):
    """``?tab=`` waiting | mine | approved (default waiting), ``?campaign=`` a campaign id."""

    tab = forms.ChoiceField(required=False, choices=[(k, label) for k, label in selectors.TABS])
    campaign = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


@org_required("view")
def approvals(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    org = membership.organization
    query = query_params(request, ApprovalsQueryForm)
    tab = query.get("tab") or "waiting"
    campaigns = list(org_queryset(Campaign, org).order_by("name").only("id", "name"))
    campaign_id = query.get("campaign")
    if campaign_id and campaign_id not in {c.pk for c in campaigns}:
        campaign_id = None  # another organization's campaign filters nothing in
    rows = selectors.approvals_list(organization=org, user=_user(request), tab=tab, campaign_id=campaign_id)
    counts = {key: len(selectors.approvals_list(organization=org, user=_user(request), tab=key, campaign_id=campaign_id))
              for key, _ in selectors.TABS}
    return render(request, "videogen/review/approvals.html", {
        "tabs": [{"key": k, "label": label, "count": counts[k], "active": k == tab} for k, label in selectors.TABS],
        "tab": tab, "rows": rows, "campaigns": campaigns, "campaign_id": campaign_id,
        "may_review": role_can(membership.role, "review"),
    })


@org_required("view")
def review(request: HttpRequest, render_id: int) -> HttpResponse:
    org = current_membership(request).organization
    item = selectors.render_get(organization=org, render_id=render_id)
    page = selectors.review_page(render=item, user=_user(request))
    return render(request, "videogen/review/review.html", {
        "render": item, "job": item.job, "placements": dict(PLACEMENTS), **page,
    })


def _transition(request: HttpRequest, render_id: int, transition: str, done: str) -> HttpResponse:
    org = current_membership(request).organization
    item = selectors.render_get(organization=org, render_id=render_id)
    kwargs = {"comment": request.POST.get("comment", "")} if transition != "withdraw" else {}
    try:
        services.TRANSITION_SERVICES[transition](render=item, user=_user(request), **kwargs)
    except ValidationError as exc:  # ReviewConflict too: the state changed under the user
        for message in errors_as_text(exc):
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "Your role cannot do this.")
    else:
        messages.success(request, done.format(label=services.render_label(item)))
    back = request.POST.get("next", "")
    if back == "job":
        return redirect(f"{reverse('videogen:job', args=[item.job_id])}#preview")
    return redirect("videogen:review", item.pk)


@org_required("view")
@require_POST
def review_submit(request: HttpRequest, render_id: int) -> HttpResponse:
    return _transition(request, render_id, "submit", "Submitted {label} for review. The reviewers have been told.")


@org_required("view")
@require_POST
def review_withdraw(request: HttpRequest, render_id: int) -> HttpResponse:
    return _transition(request, render_id, "withdraw", "Took {label} back from review; it is a draft again.")


@org_required("view")
@require_POST
def review_approve(request: HttpRequest, render_id: int) -> HttpResponse:
    return _transition(request, render_id, "approve", "Approved {label}. It is frozen: later edits make a new version.")


@org_required("view")
@require_POST
def review_request_changes(request: HttpRequest, render_id: int) -> HttpResponse:
    return _transition(request, render_id, "request_changes", "Sent {label} back with your comment.")


@org_required("manage_team")
@require_POST
def review_settings(request: HttpRequest) -> HttpResponse:
    """The team page's "Require a second pair of eyes" checkbox (owners and admins)."""
    org = current_membership(request).organization
    on = request.POST.get("require_second_reviewer") in ("on", "true", "1")
    services.organization_review_settings_update(organization=org, user=_user(request), require_second_reviewer=on)
    messages.success(request, "A second pair of eyes is now required: nobody approves a render they submitted or created."
                     if on else "Second pair of eyes turned off: submitters and creators may approve their own renders.")
    return redirect(f"{reverse('accounts:team')}#review-settings")
