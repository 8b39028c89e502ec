"""Tenant-scoped routes of the Video Studio (see tests/integration/test_tenant_isolation.py)."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from videogen import services
from videogen.models import Asset, AssetKind, Render
from videogen.review.models import PolicyFinding, RenderComment
from videogen.uploads import asset_create_from_upload

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PUBLIC = {"api:voice-detail", "videogen:voice_sample"}  # the voice library is shared by every organization
OWNER_METHOD = {name: "post" for name in (
    "videogen:job_render", "videogen:job_cancel", "videogen:job_save_template", "videogen:plan_undo",
    "videogen:scene_add", "videogen:scene_edit", "videogen:scene_move", "videogen:scene_remove",
    "videogen:scene_generate", "videogen:scene_regenerate",
    "api:video-job-cancel", "api:video-job-rerender",
    # review (videogen/review/)
    "videogen:review_submit", "videogen:review_withdraw", "videogen:review_approve", "videogen:review_request_changes",
    "api:render-submit", "api:render-withdraw", "api:render-approve", "api:render-request-changes",
    # policy findings (videogen/review/policy_views.py, policy_api.py)
    "videogen:policy_finding_accept", "api:policy-finding-accept",
    # comments (videogen/review/comment_views.py, comments_api.py)
    "videogen:comment_post", "videogen:comment_resolve", "videogen:comment_unresolve",
    "api:comment-resolve", "api:comment-unresolve",
)}
# scene_image/scene_clip need a photo/clip id in the form; their owner check is a GET (405, route exists).


def routes(ctx):
    photo = asset_create_from_upload(organization=ctx.alice_org, user=ctx.alice,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    job = services.video_job_create(organization=ctx.alice_org, user=ctx.alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ["9:16"], "images": [photo.pk]})
    render = Render.objects.create(job=job, number=1, outputs={"9:16": photo.pk}, created_by=ctx.alice)
    template = services.workflow_template_save(job=job, user=ctx.alice, name="Alice only")
    # on a version of its own: submitting `render` above re-runs its policy check, which replaces its findings
    checked = Render.objects.create(job=job, number=2, outputs={"9:16": photo.pk}, created_by=ctx.alice)
    finding = PolicyFinding.objects.create(render=checked, rule="claims.risk_free", severity="warning", message="Risk-free",
                                           fingerprint="tenant-routes")
    comment = RenderComment.objects.create(render=render, author=ctx.alice, body="Alice's note")
    key = job.scenes.first().scene_key
    # a voice brief's recording (issue 15): an AUDIO asset with its transcription state
    recording = Asset.objects.create(organization=ctx.alice_org, kind=AssetKind.AUDIO, original_name="brief.webm",
                                     created_by=ctx.alice, metadata={"voice_brief": {"task_id": "tenant-routes",
                                                                                     "requested_at": 0, "status": "done",
                                                                                     "text": "Alice's brief"}})
    j = {"job_id": job.pk}
    s = {"job_id": job.pk, "scene_key": key}
    return {
        "videogen:asset_download": {"asset_id": photo.pk},
        "videogen:voice_brief_status": {"asset_id": recording.pk},
        "videogen:job": j, "videogen:job_render": j, "videogen:job_cancel": j, "videogen:job_compare": j,
        "videogen:job_save_template": j, "videogen:plan_undo": j, "videogen:scene_add": j,
        "videogen:scene_edit": s, "videogen:scene_move": s, "videogen:scene_image": s, "videogen:scene_clip": s,
        "videogen:scene_remove": s, "videogen:scene_generate": s, "videogen:scene_regenerate": s,
        "videogen:keyframe": {"job_id": job.pk, "ratio_slug": "9x16", "number": 1},
        "api:video-job-detail": {"pk": job.pk}, "api:video-job-cancel": {"pk": job.pk},
        "api:video-job-rerender": {"pk": job.pk}, "api:asset-detail": {"pk": photo.pk},
        "api:workflow-template-detail": {"pk": template.pk},
        # review (videogen/review/)
        "videogen:review": {"render_id": render.pk}, "videogen:review_submit": {"render_id": render.pk},
        "videogen:review_withdraw": {"render_id": render.pk}, "videogen:review_approve": {"render_id": render.pk},
        "videogen:review_request_changes": {"render_id": render.pk},
        "api:render-detail": {"pk": render.pk}, "api:render-submit": {"pk": render.pk},
        "api:render-withdraw": {"pk": render.pk}, "api:render-approve": {"pk": render.pk},
        "api:render-request-changes": {"pk": render.pk},
        # policy findings
        "videogen:policy_finding_accept": {"finding_id": finding.pk}, "api:policy-finding-accept": {"pk": finding.pk},
        # comments
        "videogen:comment_post": {"render_id": render.pk}, "api:render-comments": {"render_id": render.pk},
        "videogen:comment_resolve": {"comment_id": comment.pk}, "videogen:comment_unresolve": {"comment_id": comment.pk},
        "api:comment-resolve": {"pk": comment.pk}, "api:comment-unresolve": {"pk": comment.pk},
    }
