"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright's sync API."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("KOLONY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (module scope, so Playwright's event loop is gone before
    other tests that run their own, such as the Channels consumer tests)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


# --- a real ASGI server (daphne: HTTP + WebSocket) and a real RQ worker ---------------------------

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _process_env(settings) -> dict:
    from django.db import connection

    db = connection.settings_dict
    env = {**os.environ,
           "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
           "REDIS_URL": settings.REDIS_URL, "KOLONY_MEDIA_ROOT": str(settings.MEDIA_ROOT), "DB_CONN_MAX_AGE": "0",
           "PYTHONUNBUFFERED": "1", "DEBUG": "true"}
    env.pop("KOLONY_TEST_DB_NAME", None)
    return env


def _stop(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def asgi_server(transactional_db, settings, tmp_path):
    """Daphne serving ``kolony.asgi:application`` on a free port, against the test database.
    Yields its base URL."""
    port = _free_port()
    log = open(tmp_path / "daphne.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "kolony.asgi:application"],
                            cwd=ROOT, env=_process_env(settings), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((tmp_path / "daphne.log").read_text()) from None
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    _stop(proc, log)


@pytest.fixture
def rq_worker(transactional_db, settings, redis_conn, tmp_path):
    """A real RQ worker on the default, render and publish queues, against the test database."""
    log = open(tmp_path / "worker.log", "wb")
    proc = subprocess.Popen([sys.executable, "manage.py", "rqworker", "render", "default", "publish", "--with-scheduler"],
                            cwd=ROOT, env=_process_env(settings), stdout=log, stderr=subprocess.STDOUT)
    yield proc
    _stop(proc, log)
