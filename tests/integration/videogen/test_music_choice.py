"""The brief's music choice (mood, tempo or none), honoured by real renders: with no music the
soundtrack is the voice alone (silent between phrases), a mood changes the bed."""

import subprocess

import numpy as np
import pytest

from videogen.engine.brief import BriefError, brief_from_dict
from videogen.engine.pipeline import run_pipeline
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.engine.render.music import MOODS, make_bed
from videogen.engine.render.styles import make_look

pytestmark = pytest.mark.slow


def _audio(path, seconds=None):
    """The MP4's soundtrack as mono float samples at 48 kHz."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a", "-ac", "1", "-ar", "48000",
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


def _quiet_share(samples, threshold_db=-55.0):
    """Share of 50 ms windows quieter than ``threshold_db`` dBFS (RMS)."""
    w = 2400
    frames = samples[: len(samples) // w * w].reshape(-1, w)
    rms = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)) + 1e-12
    return float((20 * np.log10(rms) < threshold_db).mean())


def _hat_energy(samples):
    """Share of the spectrum's energy above 6 kHz (the hats of the faster moods)."""
    spec = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / 48000)
    return float(spec[freqs > 6000].sum() / spec.sum())


def _render(brief_data, brief_dir, tmp_path, name, **changes):
    data = {**brief_data, "duration": 6, "aspect_ratios": ["1:1"], **changes}
    res = run_pipeline(brief_from_dict(data, brief_dir), out_dir=tmp_path / name)
    music = next(s for s in res.trace["stages"] if s["name"] == "voice")["music"]
    return _audio(res.outputs["1:1"]), music


def test_no_music_leaves_the_voice_alone_and_a_mood_changes_the_bed(brief_data, brief_dir, tmp_path):
    with_bed, music = _render(brief_data, brief_dir, tmp_path, "auto")
    assert music["backend"] == "procedural" and music["mood"] == "auto"
    voice_only, music = _render(brief_data, brief_dir, tmp_path, "none", music={"mood": "none"})
    assert music == {"mood": "none", "bpm": None, "mode": None, "backend": "none"}
    # the bed fills the pauses between phrases; without it the pauses are silent
    assert _quiet_share(with_bed) < 0.05
    assert _quiet_share(voice_only) > 0.15
    # music only, two moods: the upbeat bed has hats and a faster beat, the calm one none
    upbeat, m1 = _render(brief_data, brief_dir, tmp_path, "upbeat", voice={"engine": "none"}, music={"mood": "upbeat"})
    calm, m2 = _render(brief_data, brief_dir, tmp_path, "calm", voice={"engine": "none"}, music={"mood": "calm"})
    assert (m1["bpm"], m1["mode"]) == (122, "major") and (m2["bpm"], m2["mode"]) == (84, "major")
    assert _hat_energy(upbeat) > 3 * _hat_energy(calm)


def test_every_mood_and_a_tempo_change_the_bed():
    look = make_look("vibrant", ["#1E3A8A", "#F59E0B"])
    beds = {m: make_bed(4.0, look, 3, mood=m)[0] for m in MOODS}
    keys = list(beds)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not np.allclose(beds[a], beds[b]), f"{a} and {b} sound the same"
    fast, info = make_bed(4.0, look, 3, mood="calm", tempo_bpm=150)
    assert info["bpm"] == 150 and not np.allclose(fast, beds["calm"])
    none, info = make_bed(4.0, look, 3, mood="none")
    assert none.shape == (192000, 2) and not none.any() and info["backend"] == "none"
    auto, info = make_bed(4.0, look, 3)
    assert info["bpm"] == look.music_bpm and np.allclose(auto, beds["upbeat"])  # vibrant's own bed is "upbeat"


@pytest.mark.parametrize(("music", "field"), [
    ({"mood": "jazzy"}, "music.mood"), ({"tempo_bpm": 20}, "music.tempo_bpm"), ({"tempo_bpm": 500}, "music.tempo_bpm"),
    ({"mood": "none", "tempo_bpm": 100}, "music.tempo_bpm"), ({"volume": 3}, "music.volume"), ("loud", "music"),
])
def test_bad_music_is_refused_naming_the_field(brief_data, brief_dir, music, field):
    with pytest.raises(BriefError) as exc:
        brief_from_dict({**brief_data, "music": music}, brief_dir)
    assert any(p.startswith(f"{field}:") for p in exc.value.problems), exc.value.problems


def test_no_music_and_no_voice_is_refused(brief_data, brief_dir):
    with pytest.raises(BriefError) as exc:
        brief_from_dict({**brief_data, "music": {"mood": "none"}, "voice": {"engine": "none"}}, brief_dir)
    assert any(p.startswith("music.mood:") and "silent" in p for p in exc.value.problems)


def test_a_brief_without_music_keeps_the_styles_bed(brief_data, brief_dir):
    brief = brief_from_dict({k: v for k, v in brief_data.items() if k != "music"}, brief_dir)
    assert brief.music.mood == "auto" and brief.music.tempo_bpm is None
    assert brief.to_dict()["music"] == {"mood": "auto", "tempo_bpm": None}


def test_no_music_with_no_voiceover_line_keeps_the_styles_bed(brief_data, brief_dir, tmp_path):
    """A plan whose scenes all have empty voiceovers and no music would be silent (and loudness
    normalisation of silence fails): the style's bed is kept and the trace says so."""
    from videogen.engine.planner import plan_scenes

    brief = brief_from_dict({**brief_data, "duration": 6, "aspect_ratios": ["1:1"], "music": {"mood": "none"}}, brief_dir)
    plan = plan_scenes(brief).plan
    for scene in plan.scenes:
        scene.voiceover = ""
    res = run_pipeline(brief, out_dir=tmp_path / "out", plan=plan)
    voice = next(s for s in res.trace["stages"] if s["name"] == "voice")
    assert voice["music"]["backend"] == "procedural" and any(n.startswith("music: the plan has no voiceover") for n in voice["notes"])
    assert _quiet_share(_audio(res.outputs["1:1"])) < 0.05
