"""Two reviewers approve the same render at the same moment (two tabs, two connections): exactly
one wins, the other gets a conflict naming the state it found."""

import threading

import pytest
from django.db import connection

from tests.conftest import api_client_for
from tests.integration.review.helpers import passing_policy
from videogen.models import Render
from videogen.review import services
from videogen.review.models import ReviewStatus
from videogen.review.services import ReviewConflict

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _policy(monkeypatch):
    monkeypatch.setattr("videogen.review.policy.policy_check", passing_policy)


def _race(*calls):
    """Runs each call in its own thread (own database connection), released together."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test checks
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_services_approving_at_once_exactly_one_wins(review_render, bob, dana, alice):
    services.render_submit(render=review_render, user=bob)
    stale_a, stale_b = Render.objects.get(pk=review_render.pk), Render.objects.get(pk=review_render.pk)
    results = _race(lambda: services.render_approve(render=stale_a, user=dana),
                    lambda: services.render_approve(render=stale_b, user=alice))
    wins = [r for kind, r in results if kind == "ok"]
    losses = [r for kind, r in results if kind == "error"]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], ReviewConflict) and losses[0].current_state == ReviewStatus.APPROVED
    assert "is approved" in losses[0].messages[0]
    render = Render.objects.get(pk=review_render.pk)
    assert render.review_status == ReviewStatus.APPROVED and render.decided_by == wins[0].decided_by


def test_two_tabs_approving_via_api_one_200_one_409(review_render, bob, dana, alice):
    services.render_submit(render=review_render, user=bob)
    url = f"/api/v1/renders/{review_render.pk}/approve/"
    clients = [api_client_for(dana), api_client_for(alice)]
    results = _race(*[lambda c=c: c.post(url, {}, format="json") for c in clients])
    statuses = sorted(r.status_code for kind, r in results if kind == "ok")
    assert statuses == [200, 409], results
    conflict = next(r for _, r in results if r.status_code == 409)
    assert "is approved" in conflict.json()["detail"]
