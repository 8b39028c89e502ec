"""The job page's preview: sentences a marketer can act on, the scores only inside "Details"."""

import re

from django.urls import reverse

from tests.integration.studio.test_preview_posters import make_render
from videogen.models import VideoJob


def _outside_details(html: str) -> str:
    preview = html[html.index('id="preview"'):]
    return re.sub(r'<details class="quality-details".*?</details>', "", preview, flags=re.S)


def test_findings_are_sentences_and_scores_sit_in_details(alice_client, job):
    make_render(job, ["9:16"])
    scenes = [{"id": s.scene_key, "duration": s.duration_seconds} for s in job.scenes.order_by("number")]
    VideoJob.objects.filter(pk=job.pk).update(trace={
        "plan": {"scenes": scenes},
        "quality": {"9:16": {"integrated_lufs": -20.1, "true_peak_dbtp": -2.0, "black_segments": [], "clipping": True,
                             "frame_coherence_score": 0.91, "visual_quality_score": 0.75, "problems": ["audio clips"]}}})
    html = alice_client.get(reverse("videogen:job", args=[job.pk])).content.decode()
    shown = _outside_details(html)
    assert "The voiceover is quiet" in shown and "The sound distorts" in shown
    for raw in ("LUFS", "SSIM", "coherence", "-20.1", "0.91", "Visual quality"):
        assert raw not in shown, raw
    details = re.search(r'<details class="quality-details".*?</details>', html, re.S).group(0)
    assert "<details " in details and " open" not in details.split(">")[0]
    assert "-20.1" in details and "0.91" in details and "Loudness (LUFS)" in details


def test_a_clean_render_says_nothing_needs_fixing(alice_client, job):
    make_render(job, ["9:16"])
    url = reverse("videogen:job", args=[job.pk])
    assert 'data-testid="no-findings"' not in alice_client.get(url).content.decode(), "no checks recorded: no verdict"
    VideoJob.objects.filter(pk=job.pk).update(trace={"quality": {"9:16": {
        "integrated_lufs": -14.1, "true_peak_dbtp": -1.8, "spec_problems": [], "clipping": False, "problems": []}}})
    html = alice_client.get(url).content.decode()
    assert 'data-testid="no-findings"' in html and "Worth a look" not in html
