"""Uploaded footage: shot detection (PySceneDetect), keyframes, and preparing a shot as a scene source
(trimmed, reframed to an aspect ratio, optionally cleaned up) with FFmpeg filters."""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

from django.db import transaction

from videogen.engine.render.ffmpeg import ffmpeg_exe

from .models import Asset, AssetKind
from .uploads import asset_create_from_file, asset_local_path

logger = logging.getLogger(__name__)

# ContentDetector threshold: PySceneDetect's documented default (27 on its HSV content score).
SHOT_THRESHOLD = 27.0
MIN_SHOT_SECONDS = 0.5



def detect_shots(path: Path, *, threshold: float = SHOT_THRESHOLD) -> list[tuple[float, float]]:
    """Shot boundaries of a clip as [(start_s, end_s), ...] (seconds), one entry for a single shot."""
    from scenedetect import ContentDetector, detect

    scenes = detect(str(path), ContentDetector(threshold=threshold, min_scene_len=int(MIN_SHOT_SECONDS * 30)), start_in_scene=True)
    return [(round(a.seconds, 3), round(b.seconds, 3)) for a, b in scenes]


def extract_frame(path: Path, at_seconds: float, target: Path) -> Path:
    """Writes the frame at ``at_seconds`` of ``path`` to ``target`` (PNG). Raises RuntimeError."""
    result = subprocess.run(  # noqa: S603 - argument list (no shell), program resolved by path
        [ffmpeg_exe(), "-v", "error", "-y", "-ss", f"{at_seconds:.3f}", "-i", str(path), "-frames:v", "1", str(target)],
        capture_output=True, text=True, timeout=60,
    )
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"could not extract a frame at {at_seconds:.2f} s: {result.stderr.strip()[-300:]}")
    return target


def footage_analyse(*, asset_id: int) -> Asset:
    """Detects the shots of an uploaded clip and stores, in ``asset.metadata["shots"]``, a list of
    {index, start, end, duration, keyframe_asset_id} (seconds). Keyframes are PNG assets."""
    asset = Asset.objects.get(pk=asset_id, kind=AssetKind.VIDEO)
    with tempfile.TemporaryDirectory(prefix="kolony-footage-") as tmp:
        src = asset_local_path(asset, Path(tmp))
        try:
            shots = detect_shots(src)
        except Exception as exc:  # noqa: BLE001 - PySceneDetect/OpenCV could not decode: keep the clip as one shot
            logger.warning("shot detection failed for asset %s: %s", asset.pk, exc)
            shots = []
        if not shots:
            shots = [(0.0, float(asset.duration_seconds or 0))]
        entries = []
        for index, (start, end) in enumerate(shots):
            frame = extract_frame(src, start + (end - start) / 2, Path(tmp) / f"shot-{index}.png")
            keyframe = asset_create_from_file(
                organization=asset.organization, user=asset.created_by, path=frame, kind=AssetKind.INTERMEDIATE,
                name=f"{Path(asset.original_name).stem}-shot{index + 1}.png", metadata={"keyframe_of": asset.pk, "shot": index},
            )
            entries.append({"index": index, "start": start, "end": end, "duration": round(end - start, 3),
                            "keyframe_asset_id": keyframe.pk})
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        asset.metadata = {**asset.metadata, "shots": entries}
        asset.save(update_fields=["metadata"])
    return asset
