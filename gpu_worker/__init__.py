"""Kolony's GPU worker: generated clips (LTX-Video, Wan), neural speech, Whisper, CLIP scores.

Never imports Django (nor any Kolony Studio module): it needs Redis and object storage only. Importing the
package is cheap (no torch): the contract (``gpu_worker.contract``) and storage (``gpu_worker.storage``) are
what the Studio uses; ``python -m gpu_worker`` runs the worker.
"""

from .contract import GPU_QUEUE, RUN_TASK_FUNC, SCHEMA_VERSION

__all__ = ["GPU_QUEUE", "RUN_TASK_FUNC", "SCHEMA_VERSION"]
