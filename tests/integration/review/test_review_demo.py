"""``make run``'s demo organization has a reviewer, an approved render to publish and a render waiting for review."""

import io
import json
import subprocess

import pytest
from django.contrib.auth import authenticate

from kolony.core.demo import seed_demo_org
from tests.integration.review.helpers import passing_policy
from videogen import demo
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.models import Render
from videogen.review.demo import REVIEWER_EMAIL
from videogen.review.models import ReviewStatus
from videogen.review.selectors import approvals_list

pytestmark = pytest.mark.django_db


def test_demo_has_a_reviewer_and_a_render_waiting_for_them(tmp_path, monkeypatch):
    monkeypatch.setattr("videogen.review.policy.policy_check", passing_policy)
    for stem, size in (("ad_9x16", "108x192"), ("ad_1x1", "108x108"), ("ad_4x5", "108x136"), ("ad_16x9", "192x108")):
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c=navy:s={size}:d=2", "-pix_fmt", "yuv420p",
                        str(tmp_path / f"{stem}.mp4")], check=True)
    (tmp_path / "trace.json").write_text(json.dumps({"generation_time_seconds": 3.0, "job": {"engine_version": "t"}}))
    monkeypatch.setenv("KOLONY_SAMPLE_AD_DIR", str(tmp_path))
    monkeypatch.setenv("KOLONY_DEMO_PASSWORD", "demo-pass-long-1")
    org, owner = seed_demo_org(password="demo-pass-long-1")
    out = io.StringIO()
    demo.seed(organization=org, user=owner, stdout=out)
    reviewer = authenticate(username=REVIEWER_EMAIL, password="demo-pass-long-1")
    assert reviewer is not None and reviewer.memberships.get(organization=org).role == "reviewer"
    first, second = Render.objects.filter(job__organization=org).order_by("number")
    assert first.review_status == ReviewStatus.APPROVED and first.decided_by == reviewer  # ready to publish
    assert second.review_status == ReviewStatus.IN_REVIEW and second.submitted_by == owner
    assert second.outputs == first.outputs  # the same files: v1 stays frozen, nothing re-rendered
    assert approvals_list(organization=org, user=reviewer, tab="waiting") == [second]
    assert f"/studio/renders/{second.pk}/" in out.getvalue()
    demo.seed(organization=org, user=owner, stdout=out)  # again: nothing new
    assert Render.objects.filter(job__organization=org).count() == 2 and org.memberships.count() == 2
