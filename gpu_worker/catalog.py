"""Which weights go where: every model the worker can load, its directory under KOLONY_MODELS_DIR and the
Hugging Face id a user downloads into it themselves (the worker never downloads:
``huggingface-cli download <hf_id> --local-dir $KOLONY_MODELS_DIR/<dir>``). No torch import here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    kind: str                 # "clip" | "tts" | "stt" | "score"
    hf_id: str
    family: str               # "ltx" | "wan" | "kokoro" | "whisper" | "clip"
    heavy: bool               # a heavy pipeline: only one stays resident on the GPU
    image_to_video: bool      # takes a first frame
    text_to_video: bool
    #: bf16 weights of the whole pipeline (text encoder included) and of its transformer alone, GB (parameter
    #: counts x 2 bytes from the model cards); the memory planner (gpu_worker/memory.py) starts from them.
    weights_gb: float
    transformer_gb: float
    note: str = ""

    def directory(self, models_dir: Path) -> Path:
        return Path(models_dir) / self.id


CATALOG: dict[str, CatalogEntry] = {e.id: e for e in (
    # LTX-Video 2B (0.9.x, diffusers format): text-to-video, image-to-video and first+last-frame conditioning
    # (LTXConditionPipeline needs 0.9.5 or later: 0.9.5 is the 2B model in diffusers format). Fast: ~30 steps at
    # 768x512, 121 frames.
    CatalogEntry("ltx-video", "clip", "Lightricks/LTX-Video-0.9.5", "ltx", True, True, True, 14.1, 3.8,
                 "T5-XXL text encoder (4.8B, ~9.5 GB bf16) + 1.9B transformer"),
    # Wan 2.1 T2V 1.3B: text-to-video at 480p (832x480, 81 frames, 16 fps), the small quality model.
    CatalogEntry("wan2.1-t2v-1.3b", "clip", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "wan", True, False, True, 14.3, 2.6,
                 "UMT5-XXL encoder (5.7B, ~11.4 GB bf16) + 1.3B transformer"),
    # Wan 2.1 I2V 14B 480p: image-to-video (and first+last frame via last_image), the large quality model.
    CatalogEntry("wan2.1-i2v-14b-480p", "clip", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "wan", True, True, False, 41.0, 28.0),
    # Wan 2.2 TI2V 5B: text- and image-to-video at 720p (1280x704, 24 fps).
    CatalogEntry("wan2.2-ti2v-5b", "clip", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "wan", True, True, True, 23.0, 10.0),
    CatalogEntry("kokoro-82m", "tts", "hexgrad/Kokoro-82M", "kokoro", False, False, False, 0.4, 0.0,
                 "needs the `kokoro` package (pip install kokoro) and espeak-ng; voices/*.pt next to the weights"),
    CatalogEntry("whisper", "stt", "openai/whisper-small", "whisper", False, False, False, 0.5, 0.0,
                 "any transformers Whisper checkpoint (tiny … large-v3) in this directory"),
    CatalogEntry("clip", "score", "openai/clip-vit-base-patch32", "clip", False, False, False, 0.6, 0.0,
                 "any transformers CLIPModel checkpoint"),
)}


def models_dir(environ: dict[str, str] | None = None) -> Path:
    """KOLONY_MODELS_DIR (the app's setting of the same name), default ``var/models`` in the checkout."""
    env = os.environ if environ is None else environ
    return Path(env.get("KOLONY_MODELS_DIR") or Path(__file__).resolve().parent.parent / "var" / "models")


def present(entry: CatalogEntry, root: Path) -> bool:
    """Whether the entry's weights look present (a diffusers model_index.json or a transformers config.json)."""
    d = entry.directory(root)
    return (d / "model_index.json").is_file() or (d / "config.json").is_file()
