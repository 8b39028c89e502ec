"""CLIP scores (transformers ``CLIPModel``) for generated frames.

* prompt adherence: mean over the sampled frames of cos(image embedding, text embedding), clipped to 0–1 —
  the "CLIP score" of Hessel et al. 2021 (CLIPScore) without its 2.5 weight, i.e. the raw cosine similarity
  (a matching photo and caption on ViT-B/32 typically scores 0.28–0.35, an unrelated pair 0.10–0.20; hence
  the 0.25 default gate in contract.DEFAULT_MIN_CLIP_SCORE);
* frame coherence: mean cos between consecutive sampled frames' image embeddings (1 = identical frames).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ..contract import ScoreOutput


@dataclass
class ClipScorer:
    model: Any
    tokenizer: Any
    image_processor: Any
    device: str

    def score(self, images: list[Image.Image], prompt: str) -> ScoreOutput:
        import torch

        if not images:
            raise ValueError("no frames to score")
        max_len = int(getattr(self.model.config.text_config, "max_position_embeddings", 77))
        with torch.inference_mode():
            text = self.tokenizer([prompt], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
            pixels = self.image_processor(images=[im.convert("RGB") for im in images], return_tensors="pt")["pixel_values"]
            t = self.model.get_text_features(input_ids=text["input_ids"].to(self.device),
                                             attention_mask=text["attention_mask"].to(self.device))
            v = self.model.get_image_features(pixel_values=pixels.to(self.device, dtype=self.model.dtype))
            t = _features(t)
            v = _features(v)
            t = t / t.norm(dim=-1, keepdim=True)
            v = v / v.norm(dim=-1, keepdim=True)
            per_frame = (v @ t.T).squeeze(-1).float().clamp(0, 1).tolist()
            coherence = None
            if len(images) > 1:
                coherence = float((v[1:] * v[:-1]).sum(-1).float().clamp(0, 1).mean())
        return ScoreOutput(prompt_adherence=float(sum(per_frame) / len(per_frame)), frame_coherence=coherence,
                           per_frame=[round(float(x), 4) for x in per_frame])


def _features(out: Any) -> Any:
    """get_*_features returns a tensor (transformers ≤ 4) or a model output with pooler_output (5.x)."""
    if hasattr(out, "pooler_output") and out.pooler_output is not None:
        return out.pooler_output
    return out


def load_clip(directory: Path, device: str) -> ClipScorer:
    """A CLIP checkpoint from ``directory`` (config.json + weights + tokenizer + preprocessor_config.json)."""
    from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

    model: Any = CLIPModel.from_pretrained(str(directory), local_files_only=True)
    model = model.to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    image_processor = AutoImageProcessor.from_pretrained(str(directory), local_files_only=True)
    return ClipScorer(model, tokenizer, image_processor, device)
