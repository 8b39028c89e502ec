"""Fixtures for the GPU worker tests: tiny models built once per session in a temp KOLONY_MODELS_DIR, a
Runtime on the CPU with local-directory storage, and this run's Redis database (REDIS_URL).

Tests marked ``gpu`` need CUDA and are skipped without it (CI has none)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the GPU worker tests need requirements-gpu.txt (scripts/setup.sh test installs it)")
pytest.importorskip("diffusers")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    from tests.gpu_worker.tiny import build_models

    return build_models(tmp_path_factory.mktemp("models"))


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    for key in client.scan_iter("kolony:gpu:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("kolony:gpu:*"):
        client.delete(key)


@pytest.fixture
def storage(tmp_path):
    from gpu_worker.storage import LocalDirStorage

    return LocalDirStorage(tmp_path / "bucket")


@pytest.fixture(scope="session")
def cpu_settings():
    from gpu_worker.settings import WorkerSettings

    return WorkerSettings(device="cpu", channel_prefix=os.environ.get("KOLONY_CHANNEL_PREFIX", "kolony"),
                          worker_name="test-gpu-worker")


@pytest.fixture(scope="session")
def shared_manager(tiny_models, cpu_settings):
    """One model manager for the session: pipelines stay resident between tests, as in the worker."""
    from gpu_worker.models import ModelManager

    return ModelManager(tiny_models, cpu_settings)


@pytest.fixture
def runtime(shared_manager, cpu_settings, storage, redis_client):
    from gpu_worker.jobs import Runtime
    from gpu_worker.progress import ChannelLayerPublisher

    return Runtime(cpu_settings, shared_manager, storage, redis_client,
                   ChannelLayerPublisher(redis_client, cpu_settings.channel_prefix))
