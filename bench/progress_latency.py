"""Worker-to-browser progress latency over WebSockets.

Starts a real ASGI server (daphne, ``kolony.asgi:application``) against a database of its own
(``kolony_bench_ws``), opens N WebSockets (default 200) to ``/ws/video-jobs/<id>/`` spread over a
few jobs (token auth), then publishes progress messages from this process exactly as the render
worker does (``videogen.progress.publish`` → Redis channel layer → consumer → socket) and measures,
per delivered message, receive time − publish time. Prints p50/p95/p99 and throughput.

Usage: .venv/bin/python bench/progress_latency.py [--sockets 200] [--jobs 10] [--messages 50] [--interval 0.1]
(needs `pip install -r requirements-bench.txt`; PostgreSQL and Redis as for the app)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "kolony_bench_ws"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup_env() -> dict:
    base = os.environ.get("KOLONY_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    subprocess.run(["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    env = {**os.environ, "DATABASE_URL": f"{base}/{DB_NAME}", "REDIS_URL": os.environ.get("KOLONY_BENCH_REDIS", "redis://127.0.0.1:6379/9"),
           "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "SECURE_SSL_REDIRECT": "false", "KOLONY_CHANNEL_PREFIX": "kolony-bench", "DJANGO_SETTINGS_MODULE": "kolony.settings"}
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    return env


def _fixtures(n_jobs: int) -> tuple[str, list[int]]:
    import django

    django.setup()
    from kolony.accounts.models import Membership, Organization, User
    from kolony.accounts.services import api_token_create
    from videogen.models import VideoJob

    org = Organization.objects.create(name="Bench")
    user = User.objects.create_user(email="bench@example.com", password="bench-pass-123")
    Membership.objects.create(user=user, organization=org, role="owner")
    jobs = [VideoJob.objects.create(organization=org, created_by=user, title=f"bench {i}", brief={}, status="rendering").pk
            for i in range(n_jobs)]
    return api_token_create(user=user, name="bench")[1], jobs


async def _client(url: str, latencies: list, expected: int, ready: asyncio.Event, counter: list, done: asyncio.Event, n_sockets: int):
    import websockets

    async with websockets.connect(url, origin="http://127.0.0.1", open_timeout=30, max_queue=None) as ws:
        json.loads(await ws.recv())  # the state sent on connect
        counter[0] += 1
        if counter[0] == n_sockets:
            ready.set()
        got = 0
        while got < expected:
            msg = json.loads(await ws.recv())
            if msg.get("bench"):
                latencies.append(time.time() - msg["sent_at"])
                got += 1
        counter[1] += 1
        if counter[1] == n_sockets:
            done.set()


async def _run(port: int, token: str, jobs: list[int], n_sockets: int, n_messages: int, interval: float) -> dict:
    from asgiref.sync import sync_to_async

    from videogen.progress import publish

    latencies: list[float] = []
    ready, done = asyncio.Event(), asyncio.Event()
    counter = [0, 0]
    tasks = []
    for i in range(n_sockets):
        job = jobs[i % len(jobs)]
        url = f"ws://127.0.0.1:{port}/ws/video-jobs/{job}/?token={token}"
        tasks.append(asyncio.create_task(_client(url, latencies, n_messages, ready, counter, done, n_sockets)))
        if i % 20 == 19:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(ready.wait(), timeout=120)
    t0 = time.perf_counter()
    for k in range(n_messages):
        for job in jobs:
            await sync_to_async(publish)(job, {"type": "progress", "job": job, "progress": k * 100 // n_messages, "phase": "encode",
                                              "status": "rendering", "active": True, "error": "", "sent_at": time.time(), "bench": True})
        await asyncio.sleep(interval)
    await asyncio.wait_for(done.wait(), timeout=120)
    elapsed = time.perf_counter() - t0
    for t in tasks:
        t.cancel()
    return {"latencies": latencies, "elapsed": elapsed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--messages", type=int, default=50, help="progress messages per job")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between rounds (the worker sends ≤10/s per job)")
    args = parser.parse_args()

    env = _setup_env()
    token, jobs = _fixtures(args.jobs)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "kolony.asgi:application"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        result = asyncio.run(_run(port, token, jobs, args.sockets, args.messages, args.interval))
    finally:
        server.terminate()
        server.wait(timeout=10)
    lat = sorted(result["latencies"])
    q = statistics.quantiles(lat, n=100)
    print(f"progress latency, worker → browser, {args.sockets} open WebSockets over {args.jobs} jobs, daphne (1 process), "
          f"Redis channel layer, {os.cpu_count()} CPU cores")
    print(f"  messages delivered: {len(lat)} in {result['elapsed']:.1f} s ({len(lat) / result['elapsed']:.0f}/s)")
    print(f"  p50 {q[49] * 1000:.1f} ms   p95 {q[94] * 1000:.1f} ms   p99 {q[98] * 1000:.1f} ms   max {lat[-1] * 1000:.1f} ms")
    print(f"  target p95 < 200 ms: {'met' if q[94] < 0.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
