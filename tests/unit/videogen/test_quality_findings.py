"""The render's checks in a marketer's words: one sentence per check kind the engine produces,
naming the scene where the check has a time, never a raw score."""

import re

import pytest

from videogen.engine.render.quality import findings

SCENES = [{"id": "s1", "start": 0.0, "duration": 3.0}, {"id": "s2", "start": 3.0, "duration": 4.0},
          {"id": "s3", "start": 7.0, "duration": 3.0}]


def clean(**overrides):
    """A report with nothing to fix (as QualityReport.to_dict() stores it), changed by ``overrides``."""
    rep = {"ratio": "9:16", "spec_problems": [], "probe": {}, "frame_coherence_score": 0.97, "visual_quality_score": 1.0,
           "black_segments": [], "frozen_segments": [], "flicker_events": 0, "silence_segments": [], "clipping": False,
           "integrated_lufs": -14.0, "true_peak_dbtp": -1.6, "problems": []}
    rep.update(overrides)
    return rep


CASES = [
    ("format", clean(spec_problems=["moov atom after mdat (not faststart)"]), "format rules"),
    ("black", clean(black_segments=[[7.2, 8.0]]), "goes black in scene 3"),
    ("frozen", clean(frozen_segments=[[3.5, 6.5]]), "stands still in scene 2"),
    ("flicker", clean(flicker_events=4), "flickers"),
    ("low_contrast", clean(problems=["low-contrast picture"]), "low in contrast"),
    ("clipping", clean(clipping=True), "distorts"),
    ("quiet", clean(integrated_lufs=-19.5), "voiceover is quiet"),
    ("loud", clean(integrated_lufs=-9.0), "louder"),
    ("peaks", clean(true_peak_dbtp=-0.2), "peaks are too high"),
    ("silence", clean(silence_segments=[[3.2, 6.9]], problems=["audio silent at 3.2–6.9 s"]), "Nobody speaks in scene 2"),
]
RAW = re.compile(r"LUFS|dBTP|dBFS|SSIM|coherence|score|0\.\d{2}")


@pytest.mark.parametrize(("kind", "report", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_check_kind_has_a_sentence(kind, report, words):
    out = findings({"9:16": report}, scenes=SCENES)
    assert [f["kind"] for f in out] == [kind]
    assert words in out[0]["text"]
    assert not RAW.search(out[0]["text"]), "no raw numbers or metric names"


NOTE_CASES = [
    ("voice_sped_up", "scene s2: voiceover sped up to 230 wpm to fit 2.50 s", "voiceover in scene 2 was sped up"),
    ("voice_dropped", "scene s3: dropped phrase 'Free shipping' (does not fit the scene)", "voiceover in scene 3 was left out"),
    ("photo_missing", "scene s1: image_index 4 out of range; using image 0", "Scene 1 asked for a photo"),
    ("music_kept", "music: the plan has no voiceover, so the style's music was kept instead of none", "the style's music plays"),
    ("logo_keyed", "logo had no transparency; its flat background was keyed out", "flat background was removed"),
    ("logo_badge", "logo has no transparency and no flat background; shown as an opaque badge", "shows as a box"),
]


@pytest.mark.parametrize(("kind", "note", "words"), NOTE_CASES, ids=[c[0] for c in NOTE_CASES])
def test_each_render_note_has_a_sentence(kind, note, words):
    out = findings({"9:16": clean()}, scenes=SCENES, notes=[note])
    assert [f["kind"] for f in out] == [kind] and words in out[0]["text"]


def test_a_small_photo_is_low_resolution_for_the_formats_it_is_too_small_for():
    out = findings({"9:16": clean(), "1:1": clean()}, scenes=SCENES, photos=[(2, 451, 300), (3, 2000, 2000)])
    assert [(f["kind"], f["ratios"]) for f in out] == [("photo_low_res", ["9:16"]), ("photo_low_res", ["1:1"])]
    assert all("scene 2 is low resolution (451×300)" in f["text"] for f in out)


def test_the_same_finding_in_every_format_is_said_once():
    out = findings({r: clean(clipping=True) for r in ("9:16", "1:1", "16:9")})
    assert len(out) == 1 and out[0]["ratios"] == []
    out = findings({"9:16": clean(clipping=True), "1:1": clean()})
    assert out[0]["ratios"] == ["9:16"]


def test_a_clean_render_has_nothing_to_fix_and_silence_without_a_voice_is_fine():
    assert findings({"9:16": clean(), "16:9": clean(silence_segments=[[0.0, 6.0]])}, scenes=SCENES) == []


def test_times_spanning_scenes_name_each_scene():
    out = findings({"9:16": clean(black_segments=[[2.5, 3.5]])}, scenes=SCENES)
    assert "in scenes 1 and 2 (2.5–3.5 s)" in out[0]["text"]
