"""Tenant-scoped routes of variant tests (issue 17; see tests/integration/test_tenant_isolation.py)."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from videogen import services
from videogen.uploads import asset_create_from_upload
from videogen.variants.services import variant_set_create

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PUBLIC: set[str] = set()
OWNER_METHOD = {name: "post" for name in (
    "videogen:variant_set_submit", "videogen:variant_set_approve", "videogen:variant_set_publish",
    "api:variant-set-submit", "api:variant-set-approve", "api:variant-set-publish",
)}


def routes(ctx):
    photo = asset_create_from_upload(organization=ctx.alice_org, user=ctx.alice,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    job = services.video_job_create(organization=ctx.alice_org, user=ctx.alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ["9:16"], "images": [photo.pk]})
    variant_set = variant_set_create(user=ctx.alice, job=job, factor="call_to_action", levels=["Learn more", "Shop now"],
                                     enqueue=False)
    s = {"set_id": variant_set.pk}
    return {
        "videogen:variant_new": {"job_id": job.pk},
        "videogen:variant_set": s, "videogen:variant_set_submit": s, "videogen:variant_set_approve": s,
        "videogen:variant_set_publish": s,
        "api:variant-set-detail": {"pk": variant_set.pk}, "api:variant-set-submit": {"pk": variant_set.pk},
        "api:variant-set-approve": {"pk": variant_set.pk}, "api:variant-set-publish": {"pk": variant_set.pk},
    }
