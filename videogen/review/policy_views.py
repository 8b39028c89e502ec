"""Policy pages: accepting a policy warning from the review page's findings panel."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from kolony.core.service_errors import errors_as_text
from kolony.tenancy import current_membership, get_for_org_or_404, org_required
from videogen.review.models import PolicyFinding
from videogen.review.policy import finding_accept
from videogen.review.policy_rules import RULE_TITLES


@org_required("view")
@require_POST
def policy_finding_accept(request: HttpRequest, finding_id: int) -> HttpResponse:
    """POST ``reason``: accept the warning (reviewers, admins, owners); back to the review page's
    findings panel with what happened. Another organization's finding: 404."""
    org = current_membership(request).organization
    finding = get_for_org_or_404(PolicyFinding.objects.select_related("render"), org, pk=finding_id)
    try:
        finding_accept(finding=finding, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for message in errors_as_text(exc):
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "Your role cannot do this.")
    else:
        messages.success(request, f"Accepted the warning “{RULE_TITLES.get(finding.rule, finding.rule)}”.")
    return redirect(reverse("videogen:review", args=[finding.render_id]) + "#policy")
