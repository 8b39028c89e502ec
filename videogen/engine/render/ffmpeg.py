"""Running FFmpeg/ffprobe: binary lookup, progress, cancellation, probing."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path


class FFmpegError(RuntimeError):
    """FFmpeg exited non-zero; ``stderr_tail`` holds the last lines it printed."""

    def __init__(self, message: str, stderr_tail: str = ""):
        super().__init__(message + (f": {stderr_tail}" if stderr_tail else ""))
        self.stderr_tail = stderr_tail


class RenderCancelled(Exception):
    """The caller's ``should_cancel`` returned True; the render stopped and left no output."""


@functools.cache
def ffmpeg_exe() -> str:
    """The FFmpeg binary shipped in the ``imageio-ffmpeg`` wheel (DESIGN §3)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def ffprobe_exe() -> str:
    """``ffprobe`` from the Debian ``ffmpeg`` package (the wheel ships no ffprobe)."""
    exe = shutil.which("ffprobe")
    if not exe:
        raise FileNotFoundError("ffprobe not found; install the Debian package ffmpeg")
    return exe


def run_ffmpeg(
    args: list[str],
    *,
    duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    timeout: float = 900,
) -> str:
    """Run ``ffmpeg -hide_banner -nostdin <args>``; return its stderr.

    With ``duration`` (seconds of output) and ``on_progress``, FFmpeg's ``-progress`` stream is
    parsed and ``on_progress(fraction 0..1)`` called as it encodes. ``should_cancel`` is polled
    about ten times a second; when it returns True the process is killed and
    :class:`RenderCancelled` raised. Raises :class:`FFmpegError` on a non-zero exit.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y"]
    if on_progress is not None:
        cmd += ["-progress", "pipe:1", "-nostats"]
    cmd += args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603 - argument list (no shell), program resolved by path
    err_chunks: list[str] = []
    err_pipe = proc.stderr
    assert err_pipe is not None  # noqa: S101 - Popen(stderr=PIPE) always gives one (for the type checker)
    t_err = threading.Thread(target=lambda: err_chunks.append(err_pipe.read()), daemon=True)
    t_err.start()

    def _read_progress():
        for line in proc.stdout:
            if on_progress and duration and line.startswith("out_time_us="):
                try:
                    us = int(line.split("=", 1)[1])
                except ValueError:
                    continue
                on_progress(max(0.0, min(1.0, us / 1e6 / duration)))

    t_out = threading.Thread(target=_read_progress, daemon=True)
    t_out.start()
    started = time.monotonic()
    while proc.poll() is None:
        if should_cancel is not None and should_cancel():
            proc.kill()
            proc.wait()
            raise RenderCancelled("render cancelled")
        if time.monotonic() - started > timeout:
            proc.kill()
            proc.wait()
            raise FFmpegError(f"ffmpeg timed out after {timeout:.0f} s")
        time.sleep(0.05)
    t_out.join(5)
    t_err.join(5)
    stderr = "".join(err_chunks)
    if proc.returncode != 0:
        tail = " | ".join(stderr.strip().splitlines()[-4:])
        raise FFmpegError(f"ffmpeg exited with status {proc.returncode}", tail)
    return stderr


def ffprobe(path: Path) -> dict:
    """``ffprobe -show_format -show_streams`` as a dict. Raises ``FFmpegError`` on failure."""
    res = subprocess.run(  # noqa: S603 - argument list (no shell), program resolved by path
        [ffprobe_exe(), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    if res.returncode != 0:
        raise FFmpegError(f"ffprobe failed on {path}", res.stderr.strip()[-300:])
    return json.loads(res.stdout)
