"""Fixtures for variant tests: bob's (an editor's) planned job with two real photos, and helpers
to give each variant a finished render version (tiny real MP4s) as the render worker would."""

import pytest

from tests.integration.campaigns.studio_helpers import make_render
from tests.integration.studio.conftest import brief, upload
from videogen import services
from videogen.models import JobStatus, VideoJob
from videogen.variants.services import label_variant_render


@pytest.fixture
def photos(alice_org, bob):
    return [upload(alice_org, bob), upload(alice_org, bob, name="rocket.jpg",
                                            data=(__import__("pathlib").Path("examples/rocket.jpg").read_bytes()))]


@pytest.fixture
def base_job(alice_org, bob, photos):
    return services.video_job_create(organization=alice_org, user=bob, brief_data=brief([p.pk for p in photos], duration=15),
                                     title="Aurora")


def render_variants(variant_set, user):
    """One finished render (v1) per variant job, labelled as the render worker labels them; control last,
    so the labels of renders made before the control's are filled in too."""
    jobs = list(variant_set.jobs.order_by("pk"))
    renders = {}
    for job in jobs[1:] + jobs[:1]:
        render = make_render(variant_set.organization, user, job=job, ratios=("9:16",))
        VideoJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED, phase="done", progress=100)
        label_variant_render(render)
        renders[job.pk] = render
    for r in renders.values():
        r.refresh_from_db()
    return [renders[j.pk] for j in jobs]


@pytest.fixture
def rendered():
    return render_variants
