"""The demo's two creative tests (``make run``) and ``manage.py simulate_variant_results``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from campaigns.demo import seed as seed_campaigns
from campaigns.experiments.selectors import learnings_for, set_results
from campaigns.models import InsightDaily
from tests.integration.experiments.conftest import STATES
from videogen.models import VariantSet

pytestmark = pytest.mark.django_db


def test_demo_has_a_finished_test_with_a_winner_and_one_too_early(alice_org, alice, alice_client):
    seed_campaigns(organization=alice_org, user=alice)
    finished = VariantSet.objects.get(organization=alice_org, name="Hook test – Reels")
    early = VariantSet.objects.get(organization=alice_org, name="Call-to-action test – Feed")
    assert finished.status == "concluded" and finished.decision["action"] == "pause_losers"
    verdict = set_results(finished).result.primary
    assert verdict.state == "winner" and verdict.winner == finished.decision["winner_render"]
    assert set_results(early).result.primary.state == "too_early" and early.status == "running"
    assert any(lr.level == "Tired of bitter coffee?" for lr in learnings_for(alice_org, placement="instagram_reels"))
    for vs in (finished, early):
        assert alice_client.get(f"/experiments/{vs.pk}/").status_code == 200
    rows = InsightDaily.objects.count()
    seed_campaigns(organization=alice_org, user=alice)  # idempotent
    assert InsightDaily.objects.count() == rows
    assert VariantSet.objects.filter(organization=alice_org).count() == 2


def test_simulate_command_writes_rows_through_the_upsert(make_set):
    built = make_set()
    out = io.StringIO()
    call_command("simulate_variant_results", str(built.set.pk), "--days", "5", "--seed", "4", "--lift", "0.3", stdout=out)
    assert "15 daily insight rows written" in out.getvalue()
    assert InsightDaily.objects.filter(ad__in=built.ads).count() == 15
    call_command("simulate_variant_results", str(built.set.pk), "--days", "5", "--seed", "4", stdout=io.StringIO())
    assert InsightDaily.objects.filter(ad__in=built.ads).count() == 15  # upserted, not duplicated


@pytest.mark.parametrize("args,message", [(["999999"], "No variant set with id 999999"), (["SET", "--lift", "-2"], "--lift"),
                                          (["UNPUBLISHED"], "publish the control")])
def test_simulate_command_refuses_bad_input(args, message, make_set):
    built, draft = make_set(**STATES["too_early"]), make_set(name="Draft", published=False)
    args = [str(built.set.pk) if a == "SET" else str(draft.set.pk) if a == "UNPUBLISHED" else a for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("simulate_variant_results", *args, stdout=io.StringIO())
