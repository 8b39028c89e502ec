"""The engine records every box it draws (text, captions, logo) per scene and format, and a real
render checked against every placement passes its safe zones and file specs (a 6 s render: a
YouTube bumper exactly 6 s long)."""

import pytest

from videogen.engine.brief import brief_from_dict
from videogen.engine.pipeline import run_pipeline
from videogen.engine.render.formats import FORMATS, Box
from videogen.models import AssetKind, Render, VideoJob
from videogen.review.policy import policy_check
from videogen.uploads import asset_create_from_file

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_render_records_boxes_and_passes_safe_zones_and_specs(brief_data, brief_dir, tmp_path, alice_org, bob):
    brief_data.update(duration=6, aspect_ratios=["9:16", "16:9"], landing_url="https://aurora.example/shop")
    brief = brief_from_dict(brief_data, brief_dir)
    res = run_pipeline(brief, out_dir=tmp_path / "out")
    for ratio in ("9:16", "16:9"):
        boxes = res.quality[ratio]["text_boxes"]
        kinds = {b["kind"] for b in boxes}
        assert {"text", "captions"} <= kinds and ("logo" in kinds) == bool(brief.brand.logo)
        assert {b["scene_key"] for b in boxes if b["kind"] == "text"} == {s.id for s in res.plan.scenes}
        safe = FORMATS[ratio].safe
        for b in boxes:  # the engine lays everything out inside the format's own safe area
            assert safe.contains(Box(*b["box"])), (ratio, b)

    job = VideoJob.objects.create(organization=alice_org, created_by=bob, title="Aurora", brief=brief_data)
    outputs = {}
    for ratio, path in res.outputs.items():
        spec = FORMATS[ratio]
        asset = asset_create_from_file(organization=alice_org, user=bob, path=path, kind=AssetKind.RENDER, name=path.name,
                                       width=spec.width, height=spec.height, duration_seconds=res.plan.total_duration,
                                       metadata={"ratio": ratio, "quality": res.quality[ratio]})
        outputs[ratio] = asset.pk
    from videogen.plan_store import snapshot_from_plan

    render = Render.objects.create(job=job, number=1, outputs=outputs, created_by=bob, brief_snapshot=brief_data,
                                   plan_snapshot=snapshot_from_plan(res.plan, []))
    findings = policy_check(render=render)
    assert [(f.rule, f.placement, f.aspect_ratio, f.message) for f in findings
            if f.rule.startswith(("safe_zone", "spec"))] == []
