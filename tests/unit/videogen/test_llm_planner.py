"""The OpenAI-compatible planner against a local stand-in chat-completions server."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from videogen.engine.brief import brief_from_dict
from videogen.engine.planner import plan_scenes

GOOD = {
    "scenes": [
        {"role": "hook", "duration": 3, "voiceover": "Wake up to Aurora.", "on_screen_text": "Wake up to Aurora",
         "visual": "product_image"},
        {"role": "benefit", "duration": 4, "voiceover": "Eighteen hours of steeping.", "on_screen_text": "18-hour steep"},
        {"role": "offer", "duration": 4, "voiceover": "Twenty percent off.", "on_screen_text": "20% off", "visual": "solid_brand"},
        {"role": "end_card", "duration": 3, "voiceover": "Order today.", "on_screen_text": "Order today", "subtext": "example.com",
         "visual": "solid_brand"},
    ]
}


class StandIn:
    """A chat-completions server that answers from a script: each item is a dict (sent as the
    JSON content), a str (sent as raw content), an int (HTTP status), or ("sleep", s)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                answer = outer.answers.pop(0) if outer.answers else 500
                if isinstance(answer, tuple):
                    time.sleep(answer[1])
                    answer = GOOD
                if isinstance(answer, int):
                    self.send_response(answer)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps({"error": {"message": "boom", "type": "server_error"}}).encode())
                    return
                content = answer if isinstance(answer, str) else json.dumps(answer)
                payload = {
                    "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 300, "completion_tokens": 200, "total_tokens": 500},
                }
                data = json.dumps(payload).encode()
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


@pytest.fixture
def brief(brief_data, brief_dir):
    return brief_from_dict(brief_data, brief_dir)


def run(brief, answers, timeout=5.0):
    srv = StandIn(answers)
    try:
        res = plan_scenes(brief, backend="llm", llm={"url": srv.url, "model": "stand-in", "api_key": "k", "timeout": timeout})
    finally:
        srv.close()
    return res, srv


def test_valid_answer_is_used(brief):
    res, srv = run(brief, [GOOD])
    assert res.backend == "llm" and res.plan.planner == "llm:stand-in"
    assert [s.on_screen_text for s in res.plan.scenes] == ["Wake up to Aurora", "18-hour steep", "20% off", "Order today"]
    assert abs(res.plan.total_duration - brief.duration) < 1e-6  # scaled from 14 s to the brief's 15 s
    req = srv.requests[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer k"
    assert req["body"]["response_format"] == {"type": "json_object"}
    assert res.to_trace()["retries"] == 0 and res.to_trace()["fallback"] is None


def test_fenced_json_is_accepted(brief):
    res, _ = run(brief, ["Here you go:\n```json\n" + json.dumps(GOOD) + "\n```"])
    assert res.backend == "llm"


def test_invalid_answer_gets_one_repair_attempt(brief):
    bad = {"scenes": [{"role": "hook", "duration": 3}]}
    res, srv = run(brief, [bad, GOOD])
    assert res.backend == "llm" and len(srv.requests) == 2
    repair = srv.requests[1]["body"]["messages"]
    assert repair[-1]["role"] == "user" and "invalid" in repair[-1]["content"]
    assert res.to_trace()["retries"] == 1


def test_two_invalid_answers_fall_back_to_rules(brief):
    res, srv = run(brief, ["not json at all", {"scenes": []}])
    assert res.backend == "rules" and res.plan.planner == "rules"
    assert len(srv.requests) == 2
    trace = res.to_trace()
    assert trace["fallback"]["to"] == "rules" and "scene schema" in trace["fallback"]["reason"]
    assert [a["ok"] for a in trace["attempts"]] == [False, False]


def test_server_errors_fall_back(brief):
    res, _ = run(brief, [500, 503])
    assert res.backend == "rules" and "HTTP 503" in res.fallback_reason


def test_slow_answers_fall_back(brief):
    res, _ = run(brief, [("sleep", 1.5), ("sleep", 1.5)], timeout=0.5)
    assert res.backend == "rules" and "no answer within" in res.fallback_reason


def test_end_card_must_be_last(brief):
    wrong = {"scenes": list(reversed(GOOD["scenes"]))}
    res, _ = run(brief, [wrong, wrong])
    assert res.backend == "rules" and "end_card" in res.fallback_reason


def test_unreachable_endpoint_falls_back(brief):
    res = plan_scenes(brief, backend="llm", llm={"url": "http://127.0.0.1:9/v1", "model": "m", "timeout": 1})
    assert res.backend == "rules" and "request failed" in res.fallback_reason


def test_default_backend_follows_setting(brief, monkeypatch, settings):
    settings.KOLONY_LLM_URL = ""
    assert plan_scenes(brief).backend == "rules"
