"""policy_check on real Render rows (real Postgres): claims in every language with where they are,
blocking vs warning, accepted warnings surviving a re-check, special ad categories declared or
not, each landing-URL case, safe zones from the engine's recorded boxes, file specs per placement."""

import itertools

import pytest

from campaigns import services as campaign_services
from videogen.models import Asset
from videogen.review import policy_checks
from videogen.review.models import PolicyFinding
from videogen.review.policy import finding_accept, open_blocking_findings, policy_check

pytestmark = pytest.mark.django_db

LANDING = "https://aurora.example/shop"
NAMES = itertools.count(1)
# Inside every placement's safe zone at 9:16 (the engine's headline and caption boxes).
INSIDE_9X16 = [{"scene_key": "s1", "kind": "text", "box": [90, 930, 990, 1140]},
               {"scene_key": "s1", "kind": "captions", "box": [65, 1150, 1015, 1248]}]
INSIDE_16X9 = [{"scene_key": "s1", "kind": "text", "box": [96, 200, 940, 820]},
               {"scene_key": "s1", "kind": "captions", "box": [96, 850, 1824, 1026]}]


def scene(key, duration=3.0, text="", sub="", vo=""):
    return {"scene_key": key, "role": "benefit", "duration": duration, "voiceover": vo, "on_screen_text": text,
            "subtext": sub, "visual_source": "solid_brand", "image_asset_id": None, "layout": {}}


def clean_scenes():
    return [scene("s1", 3.0, "Cold brew, ready at 7", vo="Smooth cold brew for busy mornings."),
            scene("s2", 3.5, "Brewed for 18 hours", vo="Slow brewed, never bitter."),
            scene("s3", 3.0, "Order now", "aurora.example", vo="Order today.")]


def prepare(render, *, scenes=None, brief=None, seconds=15.0, boxes=True, quality=None):
    """A render that passes every check unless the test changes one thing."""
    render.plan_snapshot = clean_scenes() if scenes is None else scenes
    render.brief_snapshot = {"product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "language": "en",
                             "landing_url": LANDING} | (brief or {})
    render.save()
    for ratio, asset_id in render.outputs.items():
        asset = Asset.objects.get(pk=asset_id)
        asset.duration_seconds = seconds
        q = dict(quality or {})
        if boxes:
            q["text_boxes"] = INSIDE_9X16 if ratio == "9:16" else INSIDE_16X9
        asset.metadata = {**(asset.metadata or {}), "quality": q}
        asset.save()
    return render


def rules_of(findings):
    return sorted({f.rule for f in findings})


def campaign_with(org, user, *, placements=(), categories=(), destination=LANDING, platforms=("meta", "google")):
    campaign = campaign_services.campaign_create(organization=org, actor=user, name=f"Campaign {next(NAMES)}",
                                                 objective="sales", platforms=list(platforms),
                                                 special_ad_categories=list(categories))
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=user, name="Set", budget_minor=5000,
                                             placements=list(placements))
    campaign_services.ad_create(ad_set=ad_set, actor=user, name="Ad", destination_url=destination)
    return campaign


def test_a_clean_render_passes(alice_org, bob, render_for):
    render = prepare(render_for(alice_org, bob))
    findings = policy_check(render=render)
    assert findings == []
    render.refresh_from_db()
    assert render.policy_status == "passed" and render.policy_checked_at is not None


# language → (a blocking claim in it, a harmless line in it)
CLAIMS_BY_LANGUAGE = {
    "en": ("Lose 10 kg in a week", "Ready in a minute"),
    "es": ("Pierde 10 kg en una semana", "Listo en un minuto"),
    "fr": ("Perdez 10 kg en une semaine", "Prêt en une minute"),
    "de": ("10 kg in einer Woche", "In einer Minute fertig"),
    "pt": ("Perca 10 kg em uma semana", "Pronto em um minuto"),
    "it": ("Perdi 10 kg in una settimana", "Pronto in un minuto"),
}


@pytest.mark.parametrize("language", sorted(CLAIMS_BY_LANGUAGE))
def test_claims_in_every_language_with_where(alice_org, bob, render_for, language):
    bad, fine = CLAIMS_BY_LANGUAGE[language]
    scenes = [scene("s1", 3.0, fine), scene("s2", 3.2, bad), scene("s3", 3.0, fine, vo=bad)]
    render = prepare(render_for(alice_org, bob), scenes=scenes, brief={"language": language})
    policy_check(render=render)
    found = list(PolicyFinding.objects.filter(render=render, rule="claims.weight_loss").order_by("timecode_seconds", "field"))
    assert [(f.scene_key, str(f.timecode_seconds), f.field) for f in found] == [
        ("s2", "3.0", "on_screen_text"), ("s3", "6.2", "voiceover")]
    assert "shown in the captions" in found[1].message  # the captions are the voiceover burned in
    assert all(f.severity == "blocking" and f.excerpt == bad and f.source_url.startswith("https://") for f in found)
    render.refresh_from_db()
    assert render.policy_status == "blocked"
    assert set(open_blocking_findings(render)) == set(found)

    render = prepare(render_for(alice_org, bob, number=2, job=render.job), scenes=[scene("s1", 3.0, fine, vo=fine)],
                     brief={"language": language})
    assert policy_check(render=render) == []


def test_blocking_findings_come_first_and_warnings_alone_do_not_block(alice_org, bob, render_for):
    scenes = [scene("s1", 3.0, "Try it risk-free"), scene("s2", 3.0, "Guaranteed results")]
    render = prepare(render_for(alice_org, bob), scenes=scenes)
    findings = policy_check(render=render)
    assert [f.severity for f in findings] == ["blocking", "warning"]
    assert rules_of(findings) == ["claims.guaranteed_results", "claims.risk_free"]

    render = prepare(render, scenes=[scene("s1", 3.0, "Try it risk-free")])
    findings = policy_check(render=render)
    render.refresh_from_db()
    assert render.policy_status == "warnings" and not open_blocking_findings(render).exists()


def test_accepted_warning_survives_a_recheck(alice_org, bob, dana, render_for):
    render = prepare(render_for(alice_org, bob), scenes=[scene("s1", 3.0, "Try it risk-free")])
    (warning,) = policy_check(render=render)
    finding_accept(finding=warning, user=dana, reason="Refund policy is on the landing page")
    render.refresh_from_db()
    assert render.policy_status == "passed"

    (again,) = policy_check(render=render, stage="publish")
    assert again.pk != warning.pk and again.fingerprint == warning.fingerprint
    assert again.accepted_by == dana and again.accepted_reason == "Refund policy is on the landing page"
    assert again.stage == "publish"
    render.refresh_from_db()
    assert render.policy_status == "passed"

    render = prepare(render, scenes=[scene("s1", 3.0, "Totally risk free"), scene("s2", 3.0, "Try it risk-free")])
    findings = policy_check(render=render)
    assert sorted((f.excerpt, f.accepted_at is not None) for f in findings) == [("risk free", False), ("risk-free", False)]
    render.refresh_from_db()
    assert render.policy_status == "warnings"  # moved to another scene: a new finding, not the accepted one


CATEGORY_TEXT = {
    "credit": "Personal loans approved in minutes",
    "employment": "We're hiring baristas in Austin",
    "housing": "Apartments for rent near the park",
    "issues_elections_politics": "Vote for Smith on Tuesday",
}


@pytest.mark.parametrize("category", sorted(CATEGORY_TEXT))
def test_special_ad_category_blocks_unless_the_campaign_declares_it(alice_org, alice, bob, render_for, category):
    rule = f"special_category.{category}"
    render = prepare(render_for(alice_org, bob), brief={"text_prompt": CATEGORY_TEXT[category]})
    findings = [f for f in policy_check(render=render) if f.rule == rule]
    assert [(f.severity, f.field, f.excerpt != "") for f in findings] == [("blocking", "brief.text_prompt", True)]
    assert "not linked to a campaign" in findings[0].message

    undeclared = campaign_with(alice_org, alice)
    render.job.campaign = undeclared
    render.job.save()
    findings = [f for f in policy_check(render=render) if f.rule == rule]
    assert len(findings) == 1 and undeclared.name in findings[0].message

    declared = campaign_with(alice_org, alice, categories=[category])
    render.job.campaign = declared
    render.job.save()
    assert [f for f in policy_check(render=render) if f.rule.startswith("special_category.")] == []


def test_special_category_found_in_a_scene_says_where(alice_org, bob, render_for):
    scenes = clean_scenes()
    scenes[1]["voiceover"] = "Ask about our 0% financing"
    render = prepare(render_for(alice_org, bob), scenes=scenes)
    (f,) = [f for f in policy_check(render=render) if f.rule == "special_category.credit"]
    assert (f.scene_key, str(f.timecode_seconds), f.field, f.excerpt) == ("s2", "3.0", "voiceover", "0% financing")


@pytest.mark.parametrize(("url", "destination", "expected"), [
    ("", LANDING, [("landing_url.missing", "warning")]),
    ("not a url", LANDING, [("landing_url.malformed", "blocking")]),
    ("ftp://aurora.example/shop", LANDING, [("landing_url.malformed", "blocking")]),
    ("https://localhost/shop", LANDING, [("landing_url.malformed", "blocking")]),
    ("https://co.uk/", LANDING, [("landing_url.malformed", "blocking")]),
    ("http://aurora.example/shop", LANDING, [("landing_url.not_https", "warning")]),
    ("https://www.aurora.example/offer?utm=1", LANDING, []),  # same site: registrable domain
    ("https://shop.aurora.co.uk/", "https://aurora.co.uk/", []),
    ("https://aurora.co.uk/", "https://other.co.uk/", [("landing_url.mismatch", "blocking")]),
    ("https://cheap-offers.example/aurora", LANDING, [("landing_url.mismatch", "blocking")]),
])
def test_landing_url(alice_org, alice, bob, render_for, url, destination, expected):
    render = prepare(render_for(alice_org, bob), brief={"landing_url": url})
    render.job.campaign = campaign_with(alice_org, alice, destination=destination)
    render.job.save()
    findings = [(f.rule, f.severity) for f in policy_check(render=render) if f.rule.startswith("landing_url.")]
    assert findings == expected


def test_landing_url_without_campaign_is_not_compared(alice_org, bob, render_for):
    render = prepare(render_for(alice_org, bob), brief={"landing_url": "https://anything.example/"})
    assert policy_check(render=render) == []


def boxes_render(render_for, org, user, boxes, **kw):
    render = prepare(render_for(org, user, ratios=("9:16",), **kw))
    asset = Asset.objects.get(pk=render.outputs["9:16"])
    asset.metadata = {"quality": {"text_boxes": boxes}}
    asset.save()
    return render


OUTSIDE = [{"scene_key": "s2", "kind": "text", "box": [90, 120, 990, 300]},  # in Reels/Stories' top 14 %
           {"scene_key": "s1", "kind": "captions", "box": [65, 1300, 1015, 1400]}]  # in Reels' bottom 35 %, not Stories' 20 %


def test_safe_zone_outside_on_automatic_placements_is_a_warning(alice_org, bob, render_for):
    render = boxes_render(render_for, alice_org, bob, OUTSIDE)
    found = {(f.placement, f.scene_key, f.field, f.severity) for f in policy_check(render=render) if f.rule == "safe_zone.outside"}
    assert ("instagram_reels", "s2", "text", "warning") in found
    assert ("instagram_reels", "s1", "captions", "warning") in found
    assert ("instagram_stories", "s2", "text", "warning") in found
    assert ("instagram_stories", "s1", "captions", "warning") not in found  # Stories only cover the bottom 20 %
    f = PolicyFinding.objects.get(render=render, rule="safe_zone.outside", placement="instagram_reels", field="text")
    assert str(f.timecode_seconds) == "3.0" and f.aspect_ratio == "9:16" and "top" in f.message


def test_safe_zone_outside_a_chosen_placement_blocks(alice_org, alice, bob, render_for):
    campaign = campaign_with(alice_org, alice, placements=["instagram_reels"])
    render = boxes_render(render_for, alice_org, bob, OUTSIDE, campaign=campaign)
    found = {(f.placement, f.field, f.severity) for f in policy_check(render=render) if f.rule.startswith("safe_zone")}
    assert found == {("instagram_reels", "text", "blocking"), ("instagram_reels", "captions", "blocking")}


def test_safe_zone_inside_and_not_recorded(alice_org, bob, render_for):
    render = boxes_render(render_for, alice_org, bob, INSIDE_9X16)
    assert [f for f in policy_check(render=render) if f.rule.startswith("safe_zone")] == []

    older = prepare(render_for(alice_org, bob, ratios=("9:16",), title="Old"), boxes=False)
    (f,) = [f for f in policy_check(render=older) if f.rule.startswith("safe_zone")]
    assert (f.rule, f.severity) == ("safe_zone.not_recorded", "warning") and "Re-render" in f.message


@pytest.mark.parametrize(("placement", "ratio", "seconds", "expected"), [
    ("youtube_instream", "16:9", 6.0, []),
    ("youtube_instream", "16:9", 5.0, [("spec.duration", "blocking")]),  # a bumper must be exactly 6 s
    ("youtube_instream", "16:9", 8.0, [("spec.duration", "warning")]),  # skippable: ≥ 12 s recommended
    ("instagram_reels", "9:16", 90.0, []),
    ("instagram_reels", "9:16", 95.0, [("spec.duration", "blocking")]),
    ("facebook_stories", "9:16", 61.0, [("spec.duration", "blocking")]),
    ("facebook_feed", "16:9", 95.0, []),
])
def test_spec_per_chosen_placement(alice_org, alice, bob, render_for, placement, ratio, seconds, expected):
    campaign = campaign_with(alice_org, alice, placements=[placement])
    render = prepare(render_for(alice_org, bob, ratios=(ratio,), campaign=campaign), seconds=seconds)
    found = [(f.rule, f.severity) for f in policy_check(render=render) if f.rule.startswith("spec.")]
    assert found == expected
    assert all(f.placement == placement and f.aspect_ratio == ratio
               for f in PolicyFinding.objects.filter(render=render, rule__startswith="spec."))


def test_spec_on_automatic_placements_warns_only(alice_org, bob, render_for):
    render = prepare(render_for(alice_org, bob, ratios=("9:16",)), seconds=95.0)
    found = {(f.placement, f.severity) for f in policy_check(render=render) if f.rule == "spec.duration"}
    assert ("instagram_reels", "warning") in found and ("facebook_stories", "warning") in found
    assert all(sev == "warning" for _, sev in found)


def test_spec_no_file_for_a_chosen_placement(alice_org, alice, bob, render_for):
    campaign = campaign_with(alice_org, alice, placements=["instagram_stories"])
    render = prepare(render_for(alice_org, bob, ratios=("16:9",), campaign=campaign))
    (f,) = [f for f in policy_check(render=render) if f.rule.startswith("spec.")]
    assert (f.rule, f.severity, f.placement) == ("spec.no_format", "blocking", "instagram_stories")


def test_spec_reads_the_real_file_and_the_engines_measurements(alice_org, bob, render_for):
    """No stored probe: the MP4 itself is probed (real H.264: no codec finding); stored loudness
    and codec from the engine's checks are used when present."""
    render = prepare(render_for(alice_org, bob, ratios=("9:16",)))
    assert [f for f in policy_check(render=render) if f.rule.startswith("spec.")] == []

    render = prepare(render, quality={"probe": {"video_codec": "vp9", "avg_frame_rate": "30/1"}, "integrated_lufs": -20.5,
                                      "true_peak_dbtp": 0.4})
    found = {f.rule for f in policy_check(render=render) if f.rule.startswith("spec.")}
    assert {"spec.codec", "spec.loudness", "spec.true_peak"} <= found


def test_a_crashing_rule_is_a_warning_and_the_others_still_run(alice_org, bob, render_for, monkeypatch):
    def boom(ctx):
        raise RuntimeError("broken")

    monkeypatch.setattr(policy_checks, "RULES", (("special check", boom),) + policy_checks.RULES)
    render = prepare(render_for(alice_org, bob), scenes=[scene("s1", 3.0, "Guaranteed results")])
    found = {(f.rule, f.severity) for f in policy_check(render=render)}
    assert found == {("policy.check_failed", "warning"), ("claims.guaranteed_results", "blocking")}
