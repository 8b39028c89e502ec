"""Platform name → its adapter (:class:`campaigns.platforms.base.PlatformAdapter`).

The platform modules (``campaigns.platforms.meta``, ``campaigns.platforms.google``) import their
SDKs, so they are imported lazily, the first time a platform is asked for. Tests swap in an
in-memory adapter with :func:`override_adapter`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

from .base import PlatformAdapter, PlatformError

#: platform → module exposing ``ADAPTER``.
MODULES: dict[str, str] = {"meta": "campaigns.platforms.meta", "google": "campaigns.platforms.google"}

_overrides: dict[str, PlatformAdapter] = {}


def adapter_for(platform: str) -> PlatformAdapter:
    """The adapter of ``platform`` ("meta" | "google"). Raises :class:`PlatformError` (code
    ``unknown_platform`` / ``adapter_unavailable``, field ``platform``) for an unknown platform or a
    platform module that is not installed."""
    if platform in _overrides:
        return _overrides[platform]
    module_name = MODULES.get(platform)
    if module_name is None:
        raise PlatformError(f"Unknown platform {platform!r}; expected one of: {', '.join(MODULES)}.",
                            code="unknown_platform", field="platform")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise PlatformError(f"Publishing to {platform} is not available in this installation.",
                            code="adapter_unavailable", field="platform") from None
    adapter = getattr(module, "ADAPTER", None)
    if adapter is None:
        raise PlatformError(f"Publishing to {platform} is not available in this installation.",
                            code="adapter_unavailable", field="platform")
    return adapter


@contextmanager
def override_adapter(platform: str, adapter: PlatformAdapter) -> Iterator[PlatformAdapter]:
    """Within the block, :func:`adapter_for` answers ``adapter`` for ``platform`` (tests)."""
    previous = _overrides.get(platform)
    _overrides[platform] = adapter
    try:
        yield adapter
    finally:
        if previous is None:
            _overrides.pop(platform, None)
        else:
            _overrides[platform] = previous
