"""The results page, the list, creative insights and the API, for every verdict state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from campaigns import services as campaign_services
from campaigns.experiments.selectors import learnings_for, set_results
from tests.integration.experiments.conftest import HOOKS, STATES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", sorted(STATES))
def test_results_page_shows_the_verdict_table_and_chart(state, make_set, alice_client):
    built = make_set(**STATES[state])
    html = alice_client.get(reverse("experiments:detail", args=[built.set.pk])).content.decode()
    assert f'data-metric="ctr" data-state="{state}"' in html
    verdict = set_results(built.set).result.primary
    assert verdict.state == state
    assert verdict.message.replace("“", "&ldquo;")[:20] in html or verdict.message[:20] in html
    for render in built.renders:
        assert f'data-render-id="{render.pk}"' in html
    assert 'id="experiment-chart-data"' in html and "chart-4.6.1.umd.min.js" in html
    assert ('data-testid="winner-badge"' in html) == (state == "winner")
    # nothing is live on a platform here, so no action is offered (test_actions.py: live on the stand-in)
    assert 'data-testid="move-budget"' not in html and 'data-testid="pause-losers"' not in html
    assert "(the first publish; fixed)" in html
    for metric in ("roas", "cpa", "thruplay_rate"):
        assert f'data-metric="{metric}"' in html


def test_too_early_names_how_many_more_impressions(make_set, alice_client):
    built = make_set(**STATES["too_early"])
    verdict = set_results(built.set).result.primary
    assert verdict.more_needed > 0
    html = alice_client.get(reverse("experiments:detail", args=[built.set.pk])).content.decode()
    assert f"Too early: about {verdict.more_needed:,} more impressions needed" in html


def test_a_set_not_published_yet_says_so(make_set, alice_client):
    built = make_set(published=False)
    html = alice_client.get(reverse("experiments:detail", args=[built.set.pk])).content.decode()
    assert 'data-testid="no-results"' in html


def test_unequal_delivery_warning_on_the_page(make_set, alice_client):
    built = make_set(levels=HOOKS[:2])
    day = dt.date.today() - dt.timedelta(days=5)
    for ad, impressions in zip(built.ads, (30_000, 9_000), strict=True):
        campaign_services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": day, "impressions": impressions,
                                                        "clicks": impressions // 100}])
    html = alice_client.get(reverse("experiments:detail", args=[built.set.pk])).content.decode()
    assert 'data-testid="delivery-warning"' in html and "3.3× the impressions" in html


def test_days_before_the_first_publish_are_not_compared(make_set):
    built = make_set(levels=HOOKS[:2], started_days_ago=3)
    before = dt.date.today() - dt.timedelta(days=10)
    campaign_services.insights_upsert(ad=built.ads[1], rows=[{"platform": "meta", "date": before, "impressions": 90_000,
                                                             "clicks": 9_000}])
    results = set_results(built.set)
    assert results.result.totals[built.renders[1].pk]["impressions"] == 0
    assert results.series["labels"] == []


def test_list_page_shows_every_set_with_its_verdict(make_set, alice_client):
    sets = {state: make_set(name=f"Test {state}", **STATES[state]) for state in STATES}
    html = alice_client.get(reverse("experiments:list")).content.decode()
    for state, built in sets.items():
        assert f'data-set-id="{built.set.pk}"' in html and f'data-verdict="{state}"' in html
    assert 'href="/experiments/"' in html  # the nav entry


def test_creative_insights_page_and_learnings_for(make_set, alice_client, alice_org):
    built = make_set(**STATES["winner"])
    make_set(name="Early", **STATES["too_early"])
    learnings = learnings_for(alice_org)
    assert [(lr.factor, lr.level, lr.beaten_level, lr.placement, lr.objective, lr.tests) for lr in learnings
            if lr.metric == "ctr"] == [("hook", HOOKS[1], HOOKS[0], "instagram_reels", "sales", 1)]
    ctr = next(lr for lr in learnings if lr.metric == "ctr")
    assert ctr.ci_low < ctr.lift < ctr.ci_high and ctr.ci_low > 0
    assert ctr.summary.startswith(f"Hook line “{HOOKS[1]}” beat “{HOOKS[0]}” on Instagram Reels (sales): CTR +")
    assert ctr.summary.endswith("1 test")
    html = alice_client.get(reverse("experiments:insights")).content.decode()
    assert ctr.summary.replace("“", "&ldquo;")[:10] in html or ctr.summary[:10] in html
    assert 'data-testid="learning"' in html
    assert learnings_for(alice_org, placement="facebook_feed") == []
    assert learnings_for(alice_org, objective="awareness") == []
    assert learnings_for(alice_org, placement="instagram_reels", objective="sales") == learnings
    html = alice_client.get(reverse("experiments:insights") + "?placement=facebook_feed").content.decode()
    assert 'data-testid="insights-empty"' in html
    assert alice_client.get(reverse("experiments:insights") + "?placement=moon").status_code == 400
    with pytest.raises(ValueError, match="Unknown placement"):
        learnings_for(alice_org, placement="moon")
    assert built.set.pk


def test_tests_of_the_same_pair_are_pooled(make_set, alice_org):
    make_set(name="One", **STATES["winner"])
    make_set(name="Two", results={"lift": 0.25, "days": 14, "seed": 9})
    ctr = [lr for lr in learnings_for(alice_org) if lr.metric == "ctr"]
    assert len(ctr) == 1 and ctr[0].tests == 2 and ctr[0].summary.endswith("2 tests")


@pytest.mark.parametrize("state", sorted(STATES))
def test_api_detail_for_every_state(state, make_set, alice_api):
    built = make_set(**STATES[state])
    data = alice_api.get(reverse("api:experiment-detail", args=[built.set.pk])).json()
    assert data["verdicts"]["ctr"]["state"] == state
    assert [a["render"] for a in data["arms"]] == [r.pk for r in built.renders]
    assert data["arms"][0]["control"] and not any(a["control"] for a in data["arms"][1:])
    assert data["window_start"] == set_results(built.set).start.isoformat()
    for arm in data["arms"]:
        low, high = arm["ctr_ci"]
        assert low <= arm["ctr"] <= high
    comparisons = data["verdicts"]["ctr"]["comparisons"]
    assert len(comparisons) == len(built.renders) - 1
    if state != "too_early":
        assert all(c["p_adjusted"] is not None for c in comparisons)
    assert data["verdicts"]["roas"]["state"] in ("interval", "too_early") and data["verdicts"]["roas"]["winner"] is None
    listed = alice_api.get(reverse("api:experiment-list")).json()
    assert [(row["id"], row["state"]) for row in listed] == [(built.set.pk, state)]


def test_api_insights_and_bad_filter(make_set, alice_api):
    make_set(**STATES["winner"])
    rows = alice_api.get(reverse("api:experiment-insights")).json()
    assert {r["metric"] for r in rows} >= {"ctr"} and all(r["tests"] == 1 for r in rows)
    assert alice_api.get(reverse("api:experiment-insights") + "?objective=sales&placement=instagram_reels").json() == rows
    bad = alice_api.get(reverse("api:experiment-insights") + "?objective=fame")
    assert bad.status_code == 400 and "objective" in bad.json()["errors"]


def test_another_organizations_set_is_not_found(make_set, charlie_client, charlie_api):
    built = make_set(**STATES["winner"])
    assert charlie_client.get(reverse("experiments:detail", args=[built.set.pk])).status_code == 404
    assert charlie_api.get(reverse("api:experiment-detail", args=[built.set.pk])).status_code == 404
    assert charlie_api.get(reverse("api:experiment-list")).json() == []
    assert charlie_api.get(reverse("api:experiment-insights")).json() == []
