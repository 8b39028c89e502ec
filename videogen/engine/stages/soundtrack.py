"""Stage 3, soundtrack (trace stage ``voice``): the voiceover (TTS, phrase cache), the music bed,
the loudness-normalised mix, and one AAC encode of it that every format copies.

The soundtrack needs only the plan, so :func:`start_soundtrack` runs it on a worker thread while
the scenes stage draws the layers (the voice is espeak-ng through ctypes, which drops the GIL, and
the mix and AAC encode are FFmpeg processes: the second core is busy instead of idle). The thread
touches neither the trace nor the progress callback nor the caller's ``should_cancel`` (which may
use a database connection of the caller's thread): it reports into its own dict and stops on an
event the main thread sets. :func:`soundtrack_stage` then opens the ``voice`` trace stage, waits
for the thread and records what it did (``work_seconds``: the thread's own time; ``seconds``: the
wait left after the scenes stage).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from videogen.engine.render import audio as audio_mod
from videogen.engine.render.music import make_bed
from videogen.engine.render.tts import get_backend
from videogen.engine.render.voiceover import VoiceTrack, build_voice_track
from videogen.engine.stages.job import RenderJob


@dataclass
class Soundtrack:
    """What :func:`make_soundtrack` made: the voice track, the AAC file, and the trace fields."""

    voice: VoiceTrack
    aac: Path
    info: dict = field(default_factory=dict)


def make_soundtrack(job: RenderJob, should_cancel=None) -> Soundtrack:
    """Voice + music + mix + AAC for ``job.plan``. With music "none" and no voiceover line in the
    plan the style's music is kept (a note), as a silent ad is never wanted."""
    brief, plan = job.brief, job.the_plan
    t0 = time.monotonic()
    tts = get_backend(brief.voice.engine)
    vt = build_voice_track(plan, tts, voice=brief.voice.voice, rate_wpm=brief.voice.rate_wpm, cache_dir=job.cache_dir,
                           lang=brief.language, protect=(brief.product_name, brief.call_to_action))
    info: dict = {"notes": list(vt.notes), "phrases": len(vt.cues),
                  "cache": {"hits": vt.cache_hits, "misses": vt.cache_misses, "enabled": job.cache_dir is not None}}
    mood, tempo = brief.music.mood, brief.music.tempo_bpm
    if mood == "none" and not vt.cues:  # no voiceover line anywhere: without music the ad would be silent
        mood, tempo = "auto", None
        info["notes"].append("music: the plan has no voiceover, so the style's music was kept instead of none")
    music, info["music"] = make_bed(plan.total_duration, job.look, brief.seed, mood=mood, tempo_bpm=tempo)
    wav = job.work / "soundtrack.wav"
    loud = audio_mod.mix_soundtrack(vt.samples, music, plan.total_duration, wav, job.work, should_cancel=should_cancel)
    info["loudnorm"] = {k: loud.get(k) for k in ("input_i", "output_i", "output_tp", "normalization_type")}
    # the soundtrack is the same for every format: AAC-encode it once, copy it into each MP4
    aac = audio_mod.encode_aac(wav, job.work / "soundtrack.m4a", should_cancel=should_cancel)
    info["work_seconds"] = round(time.monotonic() - t0, 3)
    # the checks stage needs scipy.ndimage (~0.3 CPU-s to import): import it here, off the critical path
    import scipy.ndimage  # noqa: F401
    return Soundtrack(vt, aac, info)


class PendingSoundtrack:
    """A soundtrack being made on a worker thread (:func:`start_soundtrack`)."""

    def __init__(self, job: RenderJob):
        self.stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kolony-soundtrack")
        self.future: Future[Soundtrack] = self._pool.submit(make_soundtrack, job, self.stop.is_set)
        self._pool.shutdown(wait=False)

    def result(self, job: RenderJob) -> Soundtrack:
        """Wait for the soundtrack, polling ``job``'s cancel check every 0.1 s meanwhile."""
        while True:
            try:
                return self.future.result(timeout=0.1)
            except TimeoutError:
                try:
                    job.check_cancel()
                except BaseException:
                    self.abandon()
                    raise

    def abandon(self) -> None:
        """Stop the thread's FFmpeg runs and wait for it (on a failed or cancelled job)."""
        self.stop.set()
        try:
            self.future.result()
        except BaseException:  # noqa: BLE001, S110 - the job already failed for another reason; this one is moot
            pass


def start_soundtrack(job: RenderJob) -> PendingSoundtrack:
    """Start :func:`make_soundtrack` for ``job`` on a worker thread (needs ``job.plan``)."""
    job.the_plan  # noqa: B018 - raises before starting a thread when the plan stage has not run
    return PendingSoundtrack(job)


def soundtrack_stage(job: RenderJob, pending: PendingSoundtrack | None = None) -> None:
    """Sets ``job.voice`` and ``job.soundtrack_aac``: from ``pending`` (started earlier), else made now."""
    job.check_cancel()
    with job.trace.stage("voice", backend=job.brief.voice.engine) as st:
        made = pending.result(job) if pending is not None else make_soundtrack(job, job.should_cancel)
        job.voice, job.soundtrack_aac = made.voice, made.aac
        notes = made.info.pop("notes")
        st["notes"] += notes
        st.update(made.info)
        st["overlapped_with_scenes"] = pending is not None
    job.progress.update("voice", 1)
