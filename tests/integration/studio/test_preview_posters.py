"""The preview: each format's player shows its own poster (a 16:9 frame for the 16:9 player, not
the 9:16 one), and the first tab is the first placement the brief asked for — for every format."""

import re
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse
from PIL import Image

from videogen import services
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.engine.render.formats import RATIOS, get_format
from videogen.models import Asset, Render
from videogen.rendering import _store_render

SMALL = {"9:16": "108x192", "1:1": "144x144", "4:5": "144x180", "16:9": "192x108"}  # each format's shape, small


def _mp4(folder: Path, ratio: str) -> Path:
    out = folder / f"{get_format(ratio).stem}.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={SMALL[ratio]}:r=30:d=1.5",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def make_render(job, ratios) -> Render:
    """A render of ``job`` stored the way the render worker stores one, from small real MP4s."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        outputs = {r: _mp4(folder, r) for r in sorted(ratios)}  # not the brief's order, on purpose
        result = SimpleNamespace(outputs=outputs, plan=SimpleNamespace(total_duration=1.5), trace_path=str(folder / "trace.json"),
                                 quality={}, quality_metrics={}, generation_time_seconds=1.0, trace={})
        return _store_render(job, result, [])


@pytest.fixture
def job_for(alice_org, alice, photo, make_brief):
    def make(ratios):
        return services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk], aspect_ratios=ratios))
    return make


def _players(html: str) -> list[tuple[str, str]]:
    """[(ratio slug of the figure, poster URL of its video)] in page order."""
    return re.findall(r'<figure class="player ratio-(\w+)"[^>]*>\s*<video[^>]*?poster="([^"]+)"', html)


@pytest.mark.parametrize("first", RATIOS)
def test_each_player_has_its_own_poster_and_the_first_tab_is_the_briefs_first(alice_client, job_for, first):
    ratios = [first] + [r for r in RATIOS if r != first]
    job = job_for(ratios)
    render = make_render(job, ratios)
    html = alice_client.get(reverse("videogen:job", args=[job.pk])).content.decode()

    tabs = re.findall(r'data-player-tab="([^"]+)"', html)
    assert tabs == ratios, "tabs follow the placements in the brief's order"
    assert re.search(rf'class="tab active" data-player-tab="{re.escape(first)}"', html)
    players = _players(html)
    assert [slug for slug, _ in players] == [r.replace(":", "x") for r in ratios]
    posters = {}
    for ratio in ratios:
        video = Asset.objects.get(pk=render.outputs[ratio])
        poster = Asset.objects.get(pk=video.metadata["poster"])
        with Image.open(poster.file.path) as im:
            w, h = im.size
        spec = get_format(ratio)
        assert w / h == pytest.approx(spec.width / spec.height, rel=0.02), f"{ratio} poster is {w}×{h}"
        posters[ratio.replace(":", "x")] = poster.pk
    for slug, url in players:
        assert url.rstrip("/").split("?")[0].endswith(str(posters[slug])) or f"/{posters[slug]}/" in url, (slug, url)
    assert len({url for _, url in players}) == len(ratios), "one poster per format"
    assert render.poster_id == posters[first.replace(":", "x")], "the render's own poster is the first placement's"
