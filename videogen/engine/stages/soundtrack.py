"""Stage 3, soundtrack (trace stage ``voice``): the voiceover (TTS, phrase cache), the music bed,
the loudness-normalised mix, and one AAC encode of it that every format copies."""

from __future__ import annotations

from videogen.engine.render import audio as audio_mod
from videogen.engine.render.music import make_bed
from videogen.engine.render.tts import get_backend
from videogen.engine.render.voiceover import build_voice_track
from videogen.engine.stages.job import RenderJob


def soundtrack_stage(job: RenderJob) -> None:
    """Sets ``job.voice`` and ``job.soundtrack_aac``. With music "none" and no voiceover line in the
    plan the style's music is kept (a note), as a silent ad is never wanted."""
    brief, plan = job.brief, job.the_plan
    job.check_cancel()
    with job.trace.stage("voice", backend=brief.voice.engine) as st:
        tts = get_backend(brief.voice.engine)
        vt = build_voice_track(plan, tts, voice=brief.voice.voice, rate_wpm=brief.voice.rate_wpm, cache_dir=job.cache_dir)
        job.voice = vt
        st["notes"] += vt.notes
        st["cache"] = {"hits": vt.cache_hits, "misses": vt.cache_misses, "enabled": job.cache_dir is not None}
        st["phrases"] = len(vt.cues)
        job.progress.update("voice", 0.4)
        mood, tempo = brief.music.mood, brief.music.tempo_bpm
        if mood == "none" and not vt.cues:  # no voiceover line anywhere: without music the ad would be silent
            mood, tempo = "auto", None
            st["notes"].append("music: the plan has no voiceover, so the style's music was kept instead of none")
        music, st["music"] = make_bed(plan.total_duration, job.look, brief.seed, mood=mood, tempo_bpm=tempo)
        wav = job.work / "soundtrack.wav"
        loud = audio_mod.mix_soundtrack(vt.samples, music, plan.total_duration, wav, job.work, should_cancel=job.should_cancel)
        st["loudnorm"] = {k: loud.get(k) for k in ("input_i", "output_i", "output_tp", "normalization_type")}
        # the soundtrack is the same for every format: AAC-encode it once, copy it into each MP4
        job.soundtrack_aac = audio_mod.encode_aac(wav, job.work / "soundtrack.m4a", should_cancel=job.should_cancel)
    job.progress.update("voice", 1)
