"""The Studio plans a job outside any database transaction (issue 14 §1): the LLM planner makes
HTTP calls with a retry, so a slow endpoint must hold no connection in a transaction and no row
lock. Only the short write of the job, its scenes and the audit event is atomic."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, connections

from kolony.accounts.models import AuditEvent
from videogen import services
from videogen.models import VideoJob

from .conftest import brief, upload

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = {"scenes": [
    {"role": "hook", "duration": 2, "voiceover": "Wake up to Aurora.", "on_screen_text": "Wake up to Aurora", "visual": "product_image"},
    {"role": "benefit", "duration": 2, "voiceover": "Steeped for hours.", "on_screen_text": "18-hour steep"},
    {"role": "offer", "duration": 2, "voiceover": "Twenty percent off.", "on_screen_text": "20% off", "visual": "solid_brand"},
    {"role": "end_card", "duration": 2, "voiceover": "Order today.", "on_screen_text": "Order today", "visual": "solid_brand"},
]}

IDLE_IN_TRANSACTION = """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                         AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"""


class SlowLLM:
    """A chat-completions stand-in that waits ``delay`` s, and meanwhile asks PostgreSQL (on its
    own connection) how many other sessions of this database sit inside an open transaction."""

    def __init__(self, delay: float = 0.5):
        self.seen_in_transaction: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(delay)
                with connections["default"].cursor() as cur:
                    cur.execute(IDLE_IN_TRANSACTION)
                    outer.seen_in_transaction.append(cur.fetchone()[0])
                connections.close_all()
                data = json.dumps({
                    "id": "c1", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": json.dumps(PLAN)}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_planner_runs_outside_any_transaction(alice_org, alice, monkeypatch):
    photo = upload(alice_org, alice)
    calls = []
    real = services.plan_scenes

    def watching_planner(b, **kw):
        calls.append({"in_atomic_block": connection.in_atomic_block, "llm": kw.get("llm")})
        return real(b, **kw)

    monkeypatch.setattr(services, "plan_scenes", watching_planner)
    for enqueue in (False, True):
        job = services.video_job_create(organization=alice_org, user=alice, brief_data=brief([photo.pk]), enqueue=enqueue)
        assert job.scenes.count() >= 3
    assert [c["in_atomic_block"] for c in calls] == [False, False]
    assert all(set(c["llm"]) == {"url", "model", "api_key", "timeout"} for c in calls), "the Studio passes its LLM endpoint"


def test_a_slow_llm_endpoint_holds_no_transaction_open(alice_org, alice, settings):
    photo = upload(alice_org, alice)
    llm = SlowLLM(delay=0.5)
    settings.KOLONY_LLM_URL, settings.KOLONY_LLM_MODEL = llm.url, "stand-in"
    try:
        job = services.video_job_create(organization=alice_org, user=alice, brief_data=brief([photo.pk]))
    finally:
        llm.close()
    assert job.trace.get("planner") == "llm", job.trace
    assert llm.seen_in_transaction == [0], "while the LLM answered, no session of this database was inside a transaction"
    assert [s.role for s in job.scenes.order_by("number")] == ["hook", "benefit", "offer", "end_card"]
    assert AuditEvent.objects.filter(action="video_job.created", target_id=str(job.pk)).count() == 1


def test_a_bad_brief_writes_nothing(alice_org, alice):
    before = VideoJob.objects.count(), AuditEvent.objects.count()
    with pytest.raises(services.ValidationError):
        services.video_job_create(organization=alice_org, user=alice, brief_data=brief([999999]))
    assert (VideoJob.objects.count(), AuditEvent.objects.count()) == before
