"""On a CUDA machine only (skipped elsewhere): the tiny models through the worker on the GPU in bf16, plain and with
the tuned switches, and the real memory reading."""

from __future__ import annotations

import pytest

from gpu_worker import contract as c
from gpu_worker.jobs import Runtime, execute
from gpu_worker.memory import read_memory
from gpu_worker.models import ModelManager
from gpu_worker.settings import WorkerSettings

pytestmark = pytest.mark.gpu


def test_memory_reading_sees_the_card():
    reading = read_memory("auto")
    assert reading.is_cuda and reading.total_gb > 1 and 0 < reading.free_gb <= reading.total_gb


@pytest.mark.parametrize("switches", [{}, {"cache": "fbc"}, {"attention": "auto", "compile": True}])
def test_tiny_clip_on_the_gpu(tiny_models, storage, switches):
    settings = WorkerSettings(device="cuda", **switches)
    rt = Runtime(settings, ModelManager(tiny_models, settings), storage)
    for model in ("ltx-video", "wan2.1-t2v-1.3b"):
        spec = c.GenerateClipSpec(prompt="a cup of coffee", model=model, width=64, height=64, num_frames=9, steps=3,
                                  output_key=f"gpu/{model}.mp4", min_clip_score=None)
        result, _ = execute(spec.model_dump(mode="json"), rt)
        assert result.ok, (model, switches, result.error)
        assert result.device.startswith("cuda") and result.gpu_seconds > 0 and result.model.dtype == "bfloat16"
        assert storage.exists(spec.output_key)
