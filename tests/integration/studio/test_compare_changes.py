"""Compare says what changed between two versions: which scenes (added, removed, moved) and which
fields (text, subtext, voiceover, duration, picture), and the brief's own changes — for versions
that differ in each way, made through the real storyboard edits."""

import html as htmllib
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from tests.integration.studio.test_preview_posters import _mp4
from videogen import services
from videogen.models import VideoJob
from videogen.plan_store import plan_snapshot
from videogen.rendering import _store_render


def render_now(job):
    """A version of ``job`` as the render worker stores one (small real MP4), with the plan as it is now."""
    job = VideoJob.objects.get(pk=job.pk)
    with tempfile.TemporaryDirectory() as tmp:
        out = {"9:16": _mp4(Path(tmp), "9:16")}
        result = SimpleNamespace(outputs=out, plan=SimpleNamespace(total_duration=1.5), trace_path=str(Path(tmp) / "t.json"),
                                 quality={}, quality_metrics={}, generation_time_seconds=1.0, trace={})
        return _store_render(job, result, plan_snapshot(job))


def keys(job):
    return [s.scene_key for s in VideoJob.objects.get(pk=job.pk).scenes.order_by("number")]


def _other_photo(alice_org, alice, upload_asset):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1200, 1200), (200, 40, 40)).save(buf, "PNG")
    return upload_asset(alice_org, alice, name="red.png", data=buf.getvalue())


EDITS = {
    "text": (lambda job, u, k, p: services.scene_update(job=job, user=u, scene_key=k[1], changes={"on_screen_text": "Brand new words"}),
             2, "edited", ["text"], "Scene 2: text"),
    "subtext": (lambda job, u, k, p: services.scene_update(job=job, user=u, scene_key=k[1], changes={"subtext": "Fresh subtext"}),
                2, "edited", ["subtext"], "subtext"),
    "voiceover": (lambda job, u, k, p: services.scene_update(job=job, user=u, scene_key=k[2], changes={"voiceover": "A new line to say"}),
                  3, "edited", ["voiceover"], "Scene 3: voiceover"),
    "duration": (lambda job, u, k, p: services.scene_update(job=job, user=u, scene_key=k[0], changes={"duration": "1.5"}),
                 1, "edited", ["duration"], "duration"),
    "picture": (lambda job, u, k, p: services.scene_swap_image(job=job, user=u, scene_key=k[1], asset=p),
                2, "edited", ["picture"], "Scene 2: picture changed"),
    "order": (lambda job, u, k, p: services.scene_move(job=job, user=u, scene_key=k[0], to_index=2),
              3, "edited", ["order"], "moved from position 1 to 3"),
    "added": (lambda job, u, k, p: services.scene_add(job=job, user=u, after_key=k[0]), 2, "added", [], "Scene 2 is new"),
    "removed": (lambda job, u, k, p: services.scene_remove(job=job, user=u, scene_key=k[1]), 2, "removed", [], "Scene 2 of v1 was removed"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_compare_names_the_changed_scene_and_field(alice_client, alice_org, alice, job, upload_asset, edit):
    func, scene, change, fields, words = EDITS[edit]
    if edit == "removed":  # a plan keeps at least 4 scenes: start from 5
        services.scene_add(job=VideoJob.objects.get(pk=job.pk), user=alice, after_key=keys(job)[0])
    render_now(job)
    func(VideoJob.objects.get(pk=job.pk), alice, keys(job), _other_photo(alice_org, alice, upload_asset))
    render_now(job)
    page = alice_client.get(reverse("videogen:job_compare", args=[job.pk]), {"a": 1, "b": 2})
    changes = page.context["changes"]
    hit = [c for c in changes["scenes"] if c["scene"] == scene and c["change"] == change]
    assert hit, changes["scenes"]
    others = [c for c in changes["scenes"] if c is not hit[0]]
    if edit in ("duration", "added", "removed"):  # the other scenes absorb the time: their durations change, nothing else
        assert hit[0]["fields"] == fields and all(c["fields"] == ["duration"] for c in others), changes["scenes"]
    else:
        assert [c["change"] for c in changes["scenes"]] == [change] and hit[0]["fields"] == fields
    assert not changes["brief"]
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert words in text and hit[0]["text"] in text


def test_compare_lists_brief_changes(alice_client, job):
    render_now(job)
    VideoJob.objects.filter(pk=job.pk).update(brief={**job.brief, "style": "minimalist", "music": {"mood": "calm", "tempo_bpm": None},
                                                      "call_to_action": "Buy now"})
    render_now(job)
    page = alice_client.get(reverse("videogen:job_compare", args=[job.pk]), {"a": 1, "b": 2})
    lines = {c["field"]: c["text"] for c in page.context["changes"]["brief"]}
    assert lines == {"style": "Style: vibrant → minimalist", "call_to_action": "Call to action: “Order today” → “Buy now”",
                     "music.mood": "Music: Matches the style → Calm"}
    assert "Style: vibrant → minimalist" in htmllib.unescape(page.content.decode())
    assert not page.context["changes"]["scenes"]


def test_compare_says_when_nothing_changed(alice_client, job):
    render_now(job)
    render_now(job)
    page = alice_client.get(reverse("videogen:job_compare", args=[job.pk]), {"a": 1, "b": 2})
    assert page.context["changes"]["same"] and 'data-testid="no-changes"' in page.content.decode()


def test_compare_hides_scores_behind_details(alice_client, job):
    render_now(job)
    render_now(job)
    html = alice_client.get(reverse("videogen:job_compare", args=[job.pk])).content.decode()
    figures = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert figures and not any("coherence" in f for f in figures)
    assert re.search(r'<details class="quality-details"><summary>Details</summary>.*?coherence', html, re.S)
