"""``{% render_results render %}`` / ``{% render_results job=job %}``: the results-per-version table
(``templates/campaigns/_render_results.html``) for one render version or every version of a job,
read for the request's organization (another organization's render shows no numbers)."""

from __future__ import annotations

from django import template

from campaigns.platforms.results import job_results_by_version
from campaigns.platforms.results import render_results as _render_results
from kolony.tenancy import current_membership

register = template.Library()


@register.inclusion_tag("campaigns/_render_results.html", takes_context=True)
def render_results(context, render=None, job=None) -> dict:
    request = context.get("request")
    membership = current_membership(request) if request is not None else None
    versions: list[dict] = []
    if membership is not None:
        organization = membership.organization
        if job is not None:
            versions = job_results_by_version(organization=organization, job=job)
        elif render is not None:
            versions = [_render_results(organization=organization, render=render)]
    return {"versions": versions, "single": job is None,
            "has_data": any(v["has_data"] for v in versions), "has_ads": any(v["ads"] for v in versions)}
