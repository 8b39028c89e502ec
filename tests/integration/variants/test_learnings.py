"""What won feeds the next brief (issue 17): a finished hook test where the question hook won makes
the next job of the organization open with a question hook, and the trace and the storyboard say why."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.experiments.selectors import learnings_for
from campaigns.experiments.simulator import simulate_variant_results
from campaigns.platforms import publishing
from tests.integration.platforms.publish_helpers import (
    ad_set_for,
    connect,
)
from tests.integration.studio.conftest import brief
from videogen import services as studio
from videogen.engine.planner.variants import hook_kind
from videogen.plan_store import plan_snapshot
from videogen.variants import services

pytestmark = pytest.mark.django_db
HOOKS = ["Meet Aurora Cold Brew.", "Tired of bitter coffee?", "Stop scrolling: cold brew is here."]


def test_the_next_plan_starts_from_the_winning_hook_and_the_trace_says_why(base_job, bob, dana, alice, alice_org, photos,
                                                                           rendered, fake, client_for):
    before = studio.video_job_create(organization=alice_org, user=bob, brief_data=brief([photos[0].pk], duration=15))
    assert hook_kind(plan_snapshot(before)[0]["voiceover"]) == "statement" and "learnings" not in before.trace

    vs = services.variant_set_create(user=bob, job=base_job, factor="hook", levels=HOOKS)
    rendered(vs, bob)
    services.variant_set_submit(user=bob, variant_set=vs)
    services.variant_set_approve(user=dana, variant_set=vs)
    connect(alice_org)
    for pub in services.variant_set_publish(user=bob, variant_set=vs, ad_set=ad_set_for(alice_org, alice), platform="meta"):
        publishing.run_publication(pub.pk)
    control, question, _ = [r.pk for r in (j.renders.get() for j in vs.jobs.order_by("pk"))]
    vs.refresh_from_db()
    vs.first_published_at = timezone.now() - dt.timedelta(days=20)  # the test ran for three weeks
    vs.save(update_fields=["first_published_at"])
    simulate_variant_results(vs, days=14, seed=3, lift=0.5, winner_key=question)
    learned = [lr for lr in learnings_for(alice_org) if lr.factor == "hook"]
    assert learned and learned[0].level == HOOKS[1], learnings_for(alice_org)

    after = studio.video_job_create(organization=alice_org, user=bob, brief_data=brief([photos[0].pk], duration=15))
    hook = plan_snapshot(after)[0]
    assert hook_kind(hook["voiceover"]) == "question" and hook["voiceover"] != plan_snapshot(before)[0]["voiceover"]
    (note,) = [n for n in after.trace["learnings"] if n["factor"] == "hook"]
    assert note["scene"] == hook["scene_key"] and note["to"] == hook["voiceover"] and note["tests"] == 1
    assert note["because"] == learned[0].summary and note["badge"] == "based on 1 test"
    page = client_for(bob).get(f"/studio/jobs/{after.pk}/").content.decode()
    assert "Question hook based on 1 test" in page and "change it" in page
