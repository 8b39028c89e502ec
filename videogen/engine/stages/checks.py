"""Stage 6, checks: the quality report of each encoded format (spec, loudness, black/frozen
frames, coherence), from the samples the encode tapped."""

from __future__ import annotations

from videogen.engine.render.quality import analyze
from videogen.engine.stages.job import RenderJob


def checks_stage(job: RenderJob) -> None:
    """Appends one :class:`~videogen.engine.render.quality.QualityReport` per format to
    ``job.reports``; each problem becomes a note ``"<ratio>: <problem>"`` on the ``checks`` stage."""
    plan = job.the_plan
    expect_voice = bool(job.voice and job.voice.cues)
    with job.trace.stage("checks", backend="ffprobe+ffmpeg") as st:
        for fi, spec in enumerate(job.specs):
            job.check_cancel()
            rep = analyze(job.outputs[spec.ratio], spec, plan.total_duration, expect_voice=expect_voice, tap=job.taps[spec.ratio])
            job.reports.append(rep)
            if rep.problems:
                st["notes"] += [f"{spec.ratio}: {p}" for p in rep.problems]
            job.progress.update("checks", (fi + 1) / len(job.specs))
