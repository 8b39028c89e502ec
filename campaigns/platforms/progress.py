"""Live progress of a publication, over the Channels layer (one group per publication), like a
render's (:mod:`videogen.progress`).

Message shape (the WebSocket ``/ws/publications/<id>/`` sends it as-is)::

    {"type": "publication", "publication": id, "status": "queued|running|succeeded|failed",
     "progress": 0–100, "current_step": str, "steps": [{"name", "label", "status", "external_id"}],
     "error": {"message", "code", "field"}, "active": bool, "sent_at": unix seconds}
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from kolony.core.rediscache import REDIS_DOWN_ERRORS

log = logging.getLogger(__name__)

#: step name → what the page calls it (steps of either platform; unknown names are title-cased).
STEP_LABELS = {
    "campaign": "Campaign", "ad_set": "Ad set", "video": "Upload video", "video_ready": "Video processed",
    "thumbnail": "Thumbnail", "creative": "Ad creative", "ad": "Ad", "validate": "Dry run (validate only)",
    "mutate": "Campaign, ad group and ad", "budget": "Budget", "ad_group": "Ad group", "asset": "Video asset",
}


def group_name(publication_id: int) -> str:
    return f"publication-{publication_id}"


def step_label(name: str) -> str:
    return STEP_LABELS.get(name, name.replace("_", " ").capitalize())


def step_rows(publication, step_names: tuple[str, ...] | list[str] | None = None) -> list[dict]:
    """Every step of ``publication`` in order (the adapter's order when given, else the recorded
    order), each ``{"name", "label", "status": "done|running|failed|pending", "external_id", "at"}``."""
    recorded = publication.steps or {}
    names = list(step_names or recorded)
    names += [n for n in recorded if n not in names]
    rows = []
    for name in names:
        entry = recorded.get(name) or {}
        status = entry.get("status") or "pending"
        if status != "done" and name == publication.current_step:
            status = "failed" if publication.status == "failed" else ("running" if publication.status == "running" else status)
        rows.append({"name": name, "label": step_label(name), "status": status,
                     "external_id": entry.get("external_id", ""), "at": entry.get("at", "")})
    return rows


def state_message(publication, step_names=None) -> dict:
    return {
        "type": "publication", "publication": publication.pk, "status": publication.status,
        "progress": int(publication.progress), "current_step": publication.current_step,
        "current_step_label": step_label(publication.current_step) if publication.current_step else "",
        "steps": step_rows(publication, step_names),
        "error": {"message": publication.error_message, "code": publication.error_code, "field": publication.error_field},
        "active": publication.status in ("queued", "running"), "sent_at": time.time(),
    }


def publish(publication_id: int, message: dict) -> None:
    """Sends ``message`` to the publication's watchers; dropped (logged) while Redis is unreachable
    (the page and the API read the state stored on the publication)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(publication_id), {"type": "publication.progress", "message": message})
    except (OSError, *REDIS_DOWN_ERRORS) as exc:
        log.warning("live progress of publication %s not sent (Redis unreachable): %s", publication_id, exc)
