"""Accepting a policy warning: who may (every role), blocking findings and empty reasons refused,
the audit trail, the API route (200/400/403/404) and the review page's findings panel."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kolony.accounts.audit_display import audit_sentence
from kolony.accounts.models import AuditEvent
from videogen.review.models import PolicyFinding
from videogen.review.policy import finding_accept

pytestmark = pytest.mark.django_db

ROLES_THAT_MAY = {"owner": True, "admin": True, "reviewer": True, "editor": False, "viewer": False}


def add_finding(render, severity="warning", rule="claims.risk_free", excerpt="Try it risk-free", key="s1"):
    return PolicyFinding.objects.create(
        render=render, rule=rule, severity=severity, message=f"{rule} message", scene_key=key, timecode_seconds="3.2",
        aspect_ratio="9:16", field="on_screen_text", excerpt=excerpt, fingerprint=f"{rule}-{severity}-{key}",
        source_url="https://support.google.com/adspolicy/answer/6086777")


@pytest.mark.parametrize("role", sorted(ROLES_THAT_MAY))
def test_who_may_accept_a_warning(review_render, member_of, role):
    finding = add_finding(review_render)
    user = member_of(role)
    if ROLES_THAT_MAY[role]:
        accepted = finding_accept(finding=finding, user=user, reason="  Refund policy   is on the page ")
        assert accepted.accepted_by == user and accepted.accepted_reason == "Refund policy is on the page"
        event = AuditEvent.objects.get(action="render.policy_warning_accepted")
        assert event.actor == user and event.metadata["rule"] == "claims.risk_free"
        assert "accepted the policy warning “Risk-free claim” on version 1" in audit_sentence(event)
        review_render.refresh_from_db()
        assert review_render.policy_status == "passed"
    else:
        with pytest.raises(PermissionDenied):
            finding_accept(finding=finding, user=user, reason="Fine")
        finding.refresh_from_db()
        assert finding.accepted_at is None and not AuditEvent.objects.filter(action="render.policy_warning_accepted").exists()


def test_another_organization_cannot_accept(review_render, charlie):
    finding = add_finding(review_render)
    with pytest.raises(PermissionDenied):
        finding_accept(finding=finding, user=charlie, reason="Fine")


def test_blocking_findings_and_empty_reasons_are_refused(review_render, dana):
    blocking = add_finding(review_render, severity="blocking", rule="claims.guaranteed_results", key="s2")
    with pytest.raises(ValidationError) as exc:
        finding_accept(finding=blocking, user=dana, reason="We really mean it")
    assert "cannot be accepted" in str(exc.value)
    warning = add_finding(review_render)
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as exc:
            finding_accept(finding=warning, user=dana, reason=reason)
        assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        finding_accept(finding=warning, user=dana, reason="x" * 501)
    warning.refresh_from_db()
    blocking.refresh_from_db()
    assert warning.accepted_at is None and blocking.accepted_at is None


def test_accepting_twice_changes_nothing(review_render, dana, alice):
    finding = add_finding(review_render)
    first = finding_accept(finding=finding, user=dana, reason="First reason")
    again = finding_accept(finding=finding, user=alice, reason="Second reason")
    assert (again.accepted_by, again.accepted_reason, again.accepted_at) == (dana, "First reason", first.accepted_at)
    assert AuditEvent.objects.filter(action="render.policy_warning_accepted").count() == 1


def test_api_accept(review_render, dana, bob, charlie, api_for):
    finding = add_finding(review_render)
    blocking = add_finding(review_render, severity="blocking", rule="claims.miracle_cure", key="s3")
    url = reverse("api:policy-finding-accept", kwargs={"pk": finding.pk})

    response = api_for(bob).post(url, {"reason": "ok"}, format="json")
    assert response.status_code == 403
    response = api_for(charlie).post(url, {"reason": "ok"}, format="json")
    assert response.status_code == 404
    response = api_for(dana).post(url, {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = api_for(dana).post(url, {"reason": "   "}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = api_for(dana).post(reverse("api:policy-finding-accept", kwargs={"pk": blocking.pk}), {"reason": "ok"}, format="json")
    assert response.status_code == 400 and "cannot be accepted" in response.json()["detail"]

    response = api_for(dana).post(url, {"reason": "Refund policy is on the page"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == finding.pk and body["accepted"] is True and body["accepted_reason"] == "Refund policy is on the page"


def test_another_organization_gets_404_on_the_accept_routes(review_render, charlie, client_for, api_for):
    finding = add_finding(review_render)
    page = reverse("videogen:policy_finding_accept", args=[finding.pk])
    assert client_for(charlie).post(page, {"reason": "mine now"}).status_code == 404
    api = reverse("api:policy-finding-accept", kwargs={"pk": finding.pk})
    assert api_for(charlie).post(api, {"reason": "mine now"}, format="json").status_code == 404
    finding.refresh_from_db()
    assert finding.accepted_at is None


def test_review_page_panel_and_accept_form(review_render, dana, bob, client_for):
    review_render.plan_snapshot = [{"scene_key": "s1", "duration": 3.0}, {"scene_key": "s2", "duration": 3.0}]
    review_render.policy_status = "blocked"
    review_render.save()
    warning = add_finding(review_render, excerpt="<script>alert(1)</script> risk-free")
    add_finding(review_render, severity="blocking", rule="claims.guaranteed_results", excerpt="Guaranteed results", key="s2")
    url = reverse("videogen:review", args=[review_render.pk])

    page = client_for(dana).get(url).content.decode()
    assert page.index("Guaranteed results") < page.index("Risk-free claim")  # blocking first
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; risk-free" in page
    assert "scene 1 at 0:03.2 · 9:16 · on screen text" in page
    assert 'data-seek="3.2"' in page
    assert page.count('data-testid="policy-accept-form"') == 1  # warnings only, not the blocking one
    assert 'href="https://support.google.com/adspolicy/answer/6086777"' in page

    assert 'data-testid="policy-accept-form"' not in client_for(bob).get(url).content.decode()  # an editor cannot accept

    accept = reverse("videogen:policy_finding_accept", args=[warning.pk])
    response = client_for(bob).post(accept, {"reason": "Looks fine"}, follow=True)
    warning.refresh_from_db()
    assert warning.accepted_at is None and "Only reviewers" in response.content.decode()

    response = client_for(dana).post(accept, {"reason": ""}, follow=True)
    warning.refresh_from_db()
    assert warning.accepted_at is None and "Say why this warning is acceptable." in response.content.decode()

    response = client_for(dana).post(accept, {"reason": "Refund policy on the page"})
    assert response.status_code == 302 and response["Location"].endswith(f"{url}#policy")
    page = client_for(dana).get(url).content.decode()
    warning.refresh_from_db()
    assert warning.accepted_by == dana
    assert "Accepted by" in page and "“Refund policy on the page”" in page and 'data-testid="policy-accept-form"' not in page
