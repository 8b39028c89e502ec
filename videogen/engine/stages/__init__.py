"""The stages of a render job, each a short function of one :class:`~.job.RenderJob`, run in this
order by :func:`videogen.engine.pipeline.run_pipeline`:

=========  ======================================  =============================================
stage      function                                what it leaves on the job
=========  ======================================  =============================================
plan       :func:`.plan.plan_stage`                ``plan``
scenes     :func:`.scenes.scenes_stage`            photos, clip probes, fallbacks applied to the
           (:mod:`.sources`, :mod:`.layers`)       plan, ``storyboard``, ``layers`` (scene cache),
                                                   ``logos``, ``text_boxes``
voice      :func:`.soundtrack.soundtrack_stage`    ``voice``, ``soundtrack_aac``
compose    :func:`.encode.compose_stage`           ``ass_paths``, ``fonts_dir``, caption boxes
encode     :func:`.encode.encode_stage`            ``outputs`` (staged MP4s), ``taps``
checks     :func:`.checks.checks_stage`            ``reports``
publish    :func:`.publish.publish`                files in ``out_dir``; the PipelineResult
=========  ======================================  =============================================
"""

from videogen.engine.stages.job import ENGINE_VERSION, PipelineResult, Progress, RenderJob

__all__ = ["ENGINE_VERSION", "PipelineResult", "Progress", "RenderJob"]
