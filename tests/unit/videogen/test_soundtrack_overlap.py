"""The soundtrack is made on a worker thread while the scenes stage draws (issue 14 §3), and that
thread keeps to itself: it never calls the caller's ``should_cancel`` or ``progress`` (the Studio's
ask the database from the caller's thread), a failure in it fails the job with its own error, and
a cancel during the scenes stage stops it — the job leaves nothing in ``out_dir`` either way.
These stop before any encode."""

from __future__ import annotations

import threading

import pytest

from videogen.engine.brief import brief_from_dict
from videogen.engine.pipeline import RenderCancelled, run_pipeline
from videogen.engine.stages import soundtrack as soundtrack_mod


@pytest.fixture
def brief(brief_data, brief_dir):
    return brief_from_dict({**brief_data, "aspect_ratios": ["9:16"], "duration": 6}, brief_dir)


class Stop(Exception):
    pass


def test_the_soundtrack_thread_never_calls_back_into_the_caller(brief, tmp_path, monkeypatch):
    threads: set[str] = set()
    made = threading.Event()
    real = soundtrack_mod.make_soundtrack

    def tracking(job, should_cancel=None):
        threads.add("soundtrack:" + threading.current_thread().name)
        out = real(job, should_cancel)
        made.set()
        return out

    def stop_before_encode(job):  # the compose stage ran after the soundtrack: stop the job there
        raise Stop("stop before the encode")

    monkeypatch.setattr(soundtrack_mod, "make_soundtrack", tracking)
    monkeypatch.setattr("videogen.engine.pipeline.encode_stage", stop_before_encode)
    callers: set[str] = set()

    def should_cancel():
        callers.add(threading.current_thread().name)
        return False

    with pytest.raises(Stop):
        run_pipeline(brief, out_dir=tmp_path / "out", should_cancel=should_cancel,
                     progress=lambda phase, pct: callers.add(threading.current_thread().name))
    assert made.is_set()
    assert [t.split(":", 1)[1].startswith("kolony-soundtrack") for t in threads] == [True], threads
    assert callers == {threading.main_thread().name}, "should_cancel and progress run only on the caller's thread"
    assert not (tmp_path / "out").exists()


def test_a_failing_soundtrack_fails_the_job_with_its_error(brief, tmp_path, monkeypatch):
    def broken(job, should_cancel=None):
        raise RuntimeError("espeak-ng crashed")

    monkeypatch.setattr(soundtrack_mod, "make_soundtrack", broken)
    with pytest.raises(RuntimeError, match="espeak-ng crashed"):
        run_pipeline(brief, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.render-*")), "no staging folder left"


def test_a_cancel_during_the_scenes_stage_stops_the_soundtrack(brief, tmp_path, monkeypatch):
    seen_stop: list[bool] = []
    started = threading.Event()

    def slow(job, should_cancel=None):
        started.set()
        for _ in range(200):  # stands in for FFmpeg polling its cancel check
            if should_cancel and should_cancel():
                seen_stop.append(True)
                raise RenderCancelled("render cancelled")
            threading.Event().wait(0.05)
        raise AssertionError("the soundtrack thread was not told to stop")

    monkeypatch.setattr(soundtrack_mod, "make_soundtrack", slow)
    calls = {"n": 0}

    def cancel_once_drawing():
        calls["n"] += 1
        return started.is_set() and calls["n"] > 2  # plan, scenes start, then the first layer: cancel

    with pytest.raises(RenderCancelled):
        run_pipeline(brief, out_dir=tmp_path / "out", should_cancel=cancel_once_drawing)
    assert seen_stop == [True]
    assert not (tmp_path / "out").exists()


def test_the_trace_keeps_the_stage_order(brief, tmp_path, monkeypatch):
    traces = []

    def stop_before_encode(job):
        traces.append([(s["name"], s.get("overlapped_with_scenes")) for s in job.trace.stages])
        raise Stop()

    monkeypatch.setattr("videogen.engine.pipeline.encode_stage", stop_before_encode)
    with pytest.raises(Stop):
        run_pipeline(brief, out_dir=tmp_path / "out")
    assert traces == [[("plan", None), ("scenes", None), ("voice", True), ("compose", None)]]
