"""An approved render is frozen: editing the plan and rendering again (a real render, with the
shared scene cache) makes a new draft version; the approved version's files stay byte for byte
the same and downloadable, and its snapshots do not change."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.integration.review.helpers import passing_policy
from videogen import services as studio_services
from videogen.models import Asset, Render, Scene
from videogen.rendering import video_job_render
from videogen.review import services
from videogen.review.models import ReviewStatus
from videogen.uploads import asset_create_from_upload

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _files(render: Render) -> dict[int, str]:
    """{asset id: sha256} of every file of ``render``: its MP4s and their posters."""
    ids = set(render.outputs.values()) | ({render.poster_id} if render.poster_id else set())
    for asset in Asset.objects.filter(pk__in=list(render.outputs.values())):
        if isinstance((asset.metadata or {}).get("poster"), int):
            ids.add(asset.metadata["poster"])
    return {a.pk: hashlib.sha256(Path(a.file.path).read_bytes()).hexdigest() for a in Asset.objects.filter(pk__in=ids)}


def test_edit_after_approval_makes_a_new_draft_and_the_approved_files_never_change(monkeypatch, alice_org, alice, bob, dana,
                                                                                  client_for):
    monkeypatch.setattr("videogen.review.policy.policy_check", passing_policy)
    photo = asset_create_from_upload(organization=alice_org, user=bob,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    job = studio_services.video_job_create(organization=alice_org, user=bob, brief_data={
        "product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings", "duration": 6,
        "aspect_ratios": ["9:16", "1:1"], "call_to_action": "Order today", "landing_url": "https://example.com/cold-brew",
        "images": [photo.pk], "seed": 7})
    v1 = video_job_render(job.pk)
    services.render_submit(render=v1, user=bob)
    services.render_approve(render=v1, user=dana)
    v1 = Render.objects.get(pk=v1.pk)
    before_files = _files(v1)
    before = (v1.plan_snapshot, v1.brief_snapshot, dict(v1.outputs), v1.poster_id, v1.quality_metrics)
    assert len(before_files) >= 3

    # edit every scene (each re-renders), then re-render: the scene cache and a new version
    for scene in Scene.objects.filter(job=job):
        studio_services.scene_update(job=job, user=bob, scene_key=scene.scene_key,
                                     changes={"on_screen_text": f"New line {scene.number}"})
    studio_services.video_job_enqueue_render(job=job, user=bob)
    v2 = video_job_render(job.pk)
    assert v2.number == 2 and v2.review_status == ReviewStatus.DRAFT and v2.submitted_by is None
    assert set(v2.outputs.values()).isdisjoint(v1.outputs.values())

    v1 = Render.objects.get(pk=v1.pk)
    assert v1.review_status == ReviewStatus.APPROVED
    assert (v1.plan_snapshot, v1.brief_snapshot, dict(v1.outputs), v1.poster_id, v1.quality_metrics) == before
    assert _files(v1) == before_files, "an approved render's files changed"
    for asset_id, digest in before_files.items():  # still downloadable, the same bytes
        response = client_for(dana).get(reverse("videogen:asset_download", args=[asset_id]))
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == digest

    # the new version needs its own review; the approved one stays approved
    services.render_submit(render=v2, user=bob)
    assert Render.objects.get(pk=v1.pk).review_status == ReviewStatus.APPROVED
    services.render_approve(render=v2, user=dana)
    assert Render.objects.get(pk=v1.pk).review_status == ReviewStatus.APPROVED


@pytest.mark.parametrize("state", [ReviewStatus.DRAFT, ReviewStatus.APPROVED])
def test_ops_admin_cannot_edit_or_delete_an_approved_render(state, monkeypatch, rf, review_render, bob, dana, alice_org):
    from django.contrib.admin.sites import site

    from kolony.accounts.models import User

    monkeypatch.setattr("videogen.review.policy.policy_check", passing_policy)
    if state == ReviewStatus.APPROVED:
        services.render_submit(render=review_render, user=bob)
        services.render_approve(render=review_render, user=dana)
    review_render.refresh_from_db()
    request = rf.get("/admin/")
    request.user = User.objects.create_superuser(email="ops@example.com", password="ops-pass-long-1")
    render_admin, asset_admin = site._registry[Render], site._registry[Asset]
    readonly = set(render_admin.get_readonly_fields(request, review_render))
    assert ({"outputs", "plan_snapshot", "poster"} <= readonly) == (state == ReviewStatus.APPROVED)
    output = Asset.objects.get(pk=review_render.outputs["9:16"])
    assert asset_admin.has_delete_permission(request, output) == (state != ReviewStatus.APPROVED)
    other = Asset.objects.create(organization=alice_org, kind="image", file="x.png", checksum="0" * 64)
    assert asset_admin.has_delete_permission(request, other)
