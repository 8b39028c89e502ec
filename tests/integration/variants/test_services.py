"""Variant sets: making them (one job per level, only the factor changed, same seed), the labels
on their renders, approving the set in one go and publishing it as sibling ads (issue 17)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.models import Publication
from campaigns.platforms import publishing
from campaigns.platforms.publishing import PublishConflict
from kolony.accounts.models import AuditEvent
from kolony.outbox.models import OutboxMessage
from tests.integration.platforms.publish_helpers import (
    ad_set_for,
    connect,
)
from tests.integration.studio.conftest import upload
from videogen.models import VariantSet, VideoJob
from videogen.plan_store import plan_snapshot
from videogen.review.services import ReviewConflict, render_submit
from videogen.variants import services

pytestmark = pytest.mark.django_db

LEVELS = {
    "hook": ["Meet Aurora.", "Tired of bitter coffee?", "20% off cold brew this week."],
    "voice": ["en-us", "en-gb"],
    "call_to_action": ["Order today", "Shop now", "Get the offer"],
    "music_mood": ["upbeat", "calm"],
    "layout_family": ["full_bleed", "split", "card"],
}


def _diff(a: dict, b: dict, path="") -> set[str]:
    keys = set(a) | set(b)
    out = set()
    for k in keys:
        if isinstance(a.get(k), dict) and isinstance(b.get(k), dict):
            out |= _diff(a[k], b[k], f"{path}{k}.")
        elif a.get(k) != b.get(k):
            out.add(f"{path}{k}")
    return out


@pytest.mark.parametrize("factor", [*LEVELS, "first_scene_image"])
def test_each_variant_copies_the_job_with_only_the_factor_changed(factor, base_job, bob, photos):
    levels = [str(p.pk) for p in reversed(photos)] if factor == "first_scene_image" else LEVELS[factor]
    vs = services.variant_set_create(user=bob, job=base_job, factor=factor, levels=levels)
    jobs = list(vs.jobs.order_by("pk"))
    assert [j.variant_level for j in jobs] == levels
    base_plan = plan_snapshot(base_job)
    for i, job in enumerate(jobs):
        assert job.brief["seed"] == base_job.brief["seed"]
        assert job.title.startswith("Aurora — ") and job.title.endswith(f"(v{i + 1})")
        changed_brief = _diff(base_job.brief, job.brief)
        plan = plan_snapshot(job)
        changed_scenes = {(k, f) for k, (a, b) in enumerate(zip(base_plan, plan, strict=True)) for f in _diff(a, b)}
        if factor == "hook":
            assert changed_brief == set() and {f for _, f in changed_scenes} <= {"voiceover", "on_screen_text"}
            assert {k for k, _ in changed_scenes} <= {0} and plan[0]["voiceover"] == levels[i]
        elif factor == "voice":
            assert changed_brief <= {"voice", "voice.voice"} and not changed_scenes and job.brief["voice"]["voice"] == levels[i]
        elif factor == "call_to_action":
            assert changed_brief <= {"call_to_action"} and job.brief["call_to_action"] == levels[i]
            assert levels[i] in plan[-1]["on_screen_text"]
            assert {f for _, f in changed_scenes} <= {"voiceover", "on_screen_text", "subtext"}
        elif factor == "music_mood":
            assert changed_brief <= {"music", "music.mood"} and not changed_scenes and job.brief["music"]["mood"] == levels[i]
        elif factor == "layout_family":
            assert changed_brief == set() and {f for _, f in changed_scenes} <= {"layout.layout"}
            assert all(s["layout"]["layout"] == levels[i] for s in plan)
        else:
            assert changed_brief == set() and {f for _, f in changed_scenes} <= {"image_asset_id"}
            assert plan[0]["image_asset_id"] == int(levels[i])
    # each variant is queued to render through the outbox, the base job is untouched
    assert OutboxMessage.objects.filter(func="videogen.tasks.render_video_job").count() == len(levels)
    assert {j.phase for j in jobs} == {"queued"}
    assert AuditEvent.objects.filter(action="variant_set.created", target_id=str(vs.pk)).count() == 1
    assert base_job.variant_set_id is None


@pytest.mark.parametrize("levels, field, words", [
    (["Only one"], "levels", "2–5 levels"),
    (["a", "b", "c", "d", "e", "f"], "levels", "2–5 levels"),
    (["Same line", "same  line"], "levels[1]", "same as level 1"),
    (["Fine", ""], "levels[1]", "empty"),
    (["Fine", "x" * 121], "levels[1]", "at most 120"),
    ("not a list", "levels", "list"),
])
def test_bad_levels_are_refused_and_nothing_is_written(levels, field, words, base_job, bob):
    jobs_before = VideoJob.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.variant_set_create(user=bob, job=base_job, factor="hook", levels=levels)
    assert words in " ".join(exc.value.message_dict[field])
    assert VariantSet.objects.count() == 0 and VideoJob.objects.count() == jobs_before and OutboxMessage.objects.count() == 0


@pytest.mark.parametrize("factor, levels, words", [
    ("tagline", ["a", "b"], "Unknown factor"),
    ("music_mood", ["upbeat", "disco"], "not a music mood"),
    ("layout_family", ["card", "mosaic"], "not a layout family"),
    ("call_to_action", ["Shop now", "Click here to order the cold brew today, now"], "at most 40"),
])
def test_bad_factor_values_name_the_problem(factor, levels, words, base_job, bob):
    with pytest.raises(ValidationError) as exc:
        services.variant_set_create(user=bob, job=base_job, factor=factor, levels=levels)
    assert words in " ".join(exc.value.messages)
    assert VariantSet.objects.count() == 0


def test_another_organizations_job_or_photo_is_refused(base_job, charlie, charlie_org, bob, alice_org):
    with pytest.raises(ValidationError) as exc:
        services.variant_set_create(user=charlie, job=base_job, factor="hook", levels=["A?", "B!"])
    assert "No video job" in exc.value.message_dict["job"][0]
    theirs = upload(charlie_org, charlie)
    with pytest.raises(ValidationError) as exc:
        services.variant_set_create(user=bob, job=base_job, factor="first_scene_image", levels=[str(theirs.pk), "999999"])
    assert set(exc.value.message_dict) == {"levels[0]", "levels[1]"}
    assert VariantSet.objects.count() == 0


def test_viewers_and_reviewers_cannot_make_variants(base_job, member_of, alice_org):
    for role in ("viewer", "reviewer"):
        with pytest.raises(PermissionDenied):
            services.variant_set_create(user=member_of(role), job=base_job, factor="hook", levels=["A?", "B!"])


def test_renders_point_at_the_control(base_job, bob, rendered):
    vs = services.variant_set_create(user=bob, job=base_job, factor="hook", levels=LEVELS["hook"])
    control, *others = rendered(vs, bob)
    assert control.variant_of is None
    for r, level in zip([control, *others], LEVELS["hook"], strict=True):
        assert (r.variant_factor, r.variant_level) == ("hook", level)
    assert all(r.variant_of_id == control.pk for r in others)


def test_proposal_starts_from_the_control(base_job, photos):
    for factor in services.FACTORS:
        levels = services.variant_levels_propose(job=base_job, factor=factor, n=3)
        assert levels[0]["source"] == "control" and 2 <= len(levels) <= 3
        if factor == "first_scene_image":
            assert {int(lv["value"]) for lv in levels} <= {p.pk for p in photos}
    with pytest.raises(ValidationError):
        services.variant_levels_propose(job=base_job, factor="hook", n=7)


def test_approve_the_set_then_publish_it_as_sibling_ads(base_job, bob, dana, alice, alice_org, rendered, fake):
    vs = services.variant_set_create(user=bob, job=base_job, factor="hook", levels=LEVELS["hook"])
    renders = rendered(vs, bob)
    connect(alice_org)
    ad_set = ad_set_for(alice_org, alice)
    with pytest.raises(PublishConflict) as exc:  # nothing approved yet
        services.variant_set_publish(user=bob, variant_set=vs, ad_set=ad_set, platform="meta")
    assert "v1 (draft)" in exc.value.messages[0]
    with pytest.raises(ReviewConflict):  # nothing in review
        services.variant_set_approve(user=dana, variant_set=vs)
    with pytest.raises(PermissionDenied):  # editors submit, reviewers approve
        services.variant_set_approve(user=bob, variant_set=vs)
    assert len(services.variant_set_submit(user=bob, variant_set=vs)) == 3
    approved = services.variant_set_approve(user=dana, variant_set=vs)
    assert [r.review_status for r in approved] == ["approved"] * 3
    assert AuditEvent.objects.filter(action="render.approved").count() == 3  # each through the review service
    assert AuditEvent.objects.filter(action="variant_set.approved").count() == 1

    pubs = services.variant_set_publish(user=bob, variant_set=vs, ad_set=ad_set, platform="meta")
    for pub in pubs:
        publishing.run_publication(pub.pk)
    assert [Publication.objects.get(pk=p.pk).status for p in pubs] == ["succeeded"] * 3
    names = sorted(p.ad.name for p in pubs)
    assert names == sorted(f"Aurora — hook: {lv} (v{i})" for i, lv in enumerate(LEVELS["hook"], start=1))
    assert {p.ad.ad_set_id for p in pubs} == {ad_set.pk} and {p.render_id for p in pubs} == {r.pk for r in renders}
    vs.refresh_from_db()
    first = vs.first_published_at
    assert vs.status == "running" and vs.ad_set_id == ad_set.pk and first is not None
    # publishing again (e.g. after a failure) never moves the start of the comparison window
    services.variant_set_publish(user=bob, variant_set=vs, ad_set=ad_set, platform="meta")
    vs.refresh_from_db()
    assert vs.first_published_at == first
    other = ad_set_for(alice_org, alice, name="Other")
    with pytest.raises(ValidationError) as exc:
        services.variant_set_publish(user=bob, variant_set=vs, ad_set=other, platform="meta")
    assert "already runs in the ad set" in exc.value.message_dict["ad_set"][0]


def test_set_approval_is_all_or_nothing(base_job, bob, dana, rendered, alice_org):
    vs = services.variant_set_create(user=bob, job=base_job, factor="hook", levels=LEVELS["hook"])
    renders = rendered(vs, bob)
    for r in renders:
        render_submit(render=r, user=bob)
    alice_org.require_second_reviewer = True
    alice_org.save()
    with pytest.raises(PermissionDenied):
        services.variant_set_approve(user=bob, variant_set=vs)  # bob can't review at all
    renders[2].job.created_by = dana
    renders[2].job.save()
    with pytest.raises(PermissionDenied):  # dana made one variant: the second pair of eyes refuses it, so none is approved
        services.variant_set_approve(user=dana, variant_set=vs)
    for r in renders:
        r.refresh_from_db()
        assert r.review_status == "in_review"
