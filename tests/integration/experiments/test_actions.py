"""Pause the losers / move budget to the winner: the confirmation step, the calls the Meta Graph
stand-in receives, the decision, the audit log, roles, and refusals for every state."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kolony.accounts.audit_display import audit_sentence
from kolony.accounts.models import AuditEvent
from tests.integration.experiments.conftest import STATES

pytestmark = pytest.mark.django_db


def meta_status(meta, ad):
    return meta.state.objects[ad.external["meta"]["id"]]["status"]


def test_pause_losers_asks_first_then_pauses_them_on_meta(make_set, live_meta, alice_client, alice):
    built = make_set(meta=live_meta, **STATES["winner"])
    url = reverse("experiments:pause_losers", args=[built.set.pk])
    detail = alice_client.get(reverse("experiments:detail", args=[built.set.pk])).content.decode()
    assert 'data-testid="pause-losers"' in detail and 'data-testid="move-budget"' in detail
    page = alice_client.get(url).content.decode()
    assert 'data-testid="confirm-step"' in page
    for loser in (built.renders[0], built.renders[2]):
        assert f'data-render-id="{loser.pk}"' in page
    assert f'data-render-id="{built.renders[1].pk}"' not in page  # the winner is not paused
    # without the confirmation nothing happens
    alice_client.post(url, {})
    assert [meta_status(live_meta, ad) for ad in built.ads] == ["ACTIVE"] * 3
    built.set.refresh_from_db()
    assert built.set.status == "running"
    response = alice_client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert [meta_status(live_meta, ad) for ad in built.ads] == ["PAUSED", "ACTIVE", "PAUSED"]
    posts = [r for r in live_meta.requests if r.get("method") == "POST" and (r.get("params") or {}).get("status") == "PAUSED"]
    assert len(posts) == 2
    built.set.refresh_from_db()
    assert built.set.status == "concluded" and built.set.concluded_at is not None
    decision = built.set.decision
    assert decision["action"] == "pause_losers" and decision["winner_render"] == built.renders[1].pk
    assert sorted(decision["paused"]) == sorted([built.renders[0].pk, built.renders[2].pk])
    assert decision["by"] == alice.pk
    event = AuditEvent.objects.get(action="variant_set.losers_paused")
    assert audit_sentence(event) == "Alice Owner paused the losing variants of the set ‘Hook test’ and concluded the test"
    assert AuditEvent.objects.filter(action="ad.platform_status_changed").count() == 2
    html = alice_client.get(reverse("experiments:detail", args=[built.set.pk])).content.decode()
    assert 'data-testid="decision"' in html and 'data-testid="pause-losers"' not in html
    # a concluded test cannot be decided twice
    again = alice_client.post(url, {"confirm": "yes"}, follow=True).content.decode()
    assert "already taken" in again


def test_move_budget_through_the_api_sets_the_ad_sets_budget_on_meta(make_set, live_meta, alice_api):
    built = make_set(meta=live_meta, **STATES["winner"])
    url = reverse("api:experiment-move-budget", args=[built.set.pk])
    refused = alice_api.post(url, {"confirm": False, "budget_minor": 8000}, format="json")
    assert refused.status_code == 400 and "confirm" in refused.json()["errors"]
    response = alice_api.post(url, {"confirm": True, "budget_minor": 8000}, format="json")
    assert response.status_code == 200, response.json()
    decision = response.json()
    assert decision["budget_minor"] == 8000 and decision["previous_budget_minor"] == 5000
    assert 0 < decision["budget_moved_minor"] < 5000  # the losers' share of the spend, now the winner's
    assert live_meta.state.objects[built.ids["adset"]]["daily_budget"] == "8000"
    assert [meta_status(live_meta, ad) for ad in built.ads] == ["PAUSED", "ACTIVE", "PAUSED"]
    built.ad_set.refresh_from_db()
    assert built.ad_set.budget_minor == 8000
    event = AuditEvent.objects.get(action="ad_set.budget_changed")
    assert event.metadata["previous_budget_minor"] == 5000
    assert "changed the budget feeding the ad set" in audit_sentence(event)
    assert AuditEvent.objects.filter(action="variant_set.budget_moved").count() == 1
    conflict = alice_api.post(url, {"confirm": True}, format="json")
    assert conflict.status_code == 409


def test_a_budget_below_metas_minimum_is_refused_with_metas_words(make_set, live_meta, alice_api):
    built = make_set(meta=live_meta, **STATES["winner"])
    response = alice_api.post(reverse("api:experiment-move-budget", args=[built.set.pk]),
                              {"confirm": True, "budget_minor": 50}, format="json")
    assert response.status_code == 400
    assert "minimum budget" in str(response.json()["errors"])
    built.set.refresh_from_db()
    assert built.set.status == "running"  # not concluded; the losers paused before stay paused


@pytest.mark.parametrize("state", ["no_difference", "too_early"])
def test_no_winner_no_action(state, make_set, live_meta, alice_api, alice_client):
    built = make_set(meta=live_meta, **STATES[state])
    for name in ("api:experiment-pause-losers", "api:experiment-move-budget"):
        response = alice_api.post(reverse(name, args=[built.set.pk]), {"confirm": True}, format="json")
        assert response.status_code == 400
    page = alice_client.get(reverse("experiments:move_budget", args=[built.set.pk])).content.decode()
    assert 'data-testid="action-refused"' in page and "no winner" in page
    assert all(meta_status(live_meta, ad) == "ACTIVE" for ad in built.ads)


def test_a_reviewer_cannot_act(make_set, live_meta, dana, client_for, api_for):
    built = make_set(meta=live_meta, **STATES["winner"])
    assert client_for(dana).post(reverse("experiments:pause_losers", args=[built.set.pk]), {"confirm": "yes"}).status_code == 403
    response = api_for(dana).post(reverse("api:experiment-pause-losers", args=[built.set.pk]), {"confirm": True}, format="json")
    assert response.status_code == 403
    html = client_for(dana).get(reverse("experiments:detail", args=[built.set.pk])).content.decode()
    assert 'data-testid="pause-losers"' not in html
    assert all(meta_status(live_meta, ad) == "ACTIVE" for ad in built.ads)
