"""Tenant-scoped routes of the Video Studio (see tests/integration/test_tenant_isolation.py)."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from videogen import services
from videogen.models import Render
from videogen.uploads import asset_create_from_upload

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PUBLIC = {"api:voice-detail", "videogen:voice_sample"}  # the voice library is shared by every organization
OWNER_METHOD = {name: "post" for name in (
    "videogen:job_render", "videogen:job_cancel", "videogen:job_save_template", "videogen:plan_undo",
    "videogen:scene_add", "videogen:scene_edit", "videogen:scene_move", "videogen:scene_remove",
    "api:video-job-cancel", "api:video-job-rerender",
)}
# scene_image/scene_clip need a photo/clip id in the form; their owner check is a GET (405, route exists).


def routes(ctx):
    photo = asset_create_from_upload(organization=ctx.alice_org, user=ctx.alice,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    job = services.video_job_create(organization=ctx.alice_org, user=ctx.alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ["9:16"], "images": [photo.pk]})
    Render.objects.create(job=job, number=1, outputs={"9:16": photo.pk}, created_by=ctx.alice)
    template = services.workflow_template_save(job=job, user=ctx.alice, name="Alice only")
    key = job.scenes.first().scene_key
    j = {"job_id": job.pk}
    s = {"job_id": job.pk, "scene_key": key}
    return {
        "videogen:asset_download": {"asset_id": photo.pk},
        "videogen:job": j, "videogen:job_render": j, "videogen:job_cancel": j, "videogen:job_compare": j,
        "videogen:job_save_template": j, "videogen:plan_undo": j, "videogen:scene_add": j,
        "videogen:scene_edit": s, "videogen:scene_move": s, "videogen:scene_image": s, "videogen:scene_clip": s,
        "videogen:scene_remove": s,
        "videogen:keyframe": {"job_id": job.pk, "ratio_slug": "9x16", "number": 1},
        "api:video-job-detail": {"pk": job.pk}, "api:video-job-cancel": {"pk": job.pk},
        "api:video-job-rerender": {"pk": job.pk}, "api:asset-detail": {"pk": photo.pk},
        "api:workflow-template-detail": {"pk": template.pk},
    }
