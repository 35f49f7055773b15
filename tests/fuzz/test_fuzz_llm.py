"""Hostile LLM answers: ``cli text ... --llm`` against a local OpenAI-compatible server that
answers whatever the case says (broken JSON, NaN and 1e308 weights, nesting 100,000 deep, 1 MB
answers, wrong types, HTML, empty bodies, HTTP errors, an answer that comes too late).

The promise is the CLI's: exit 0 (the offline model took over, with a warning) or 2, one line,
no traceback, nothing written on failure.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .generators import deep_json, draw, dump_json, json_any
from .promise import case_id, check, run_inprocess

GOOD = {
    "weights": {"happiness": 0.7, "surprise": 0.3, "neutral": 0, "sadness": 0, "anger": 0,
                "fear": 0, "disgust": 0},
    "intensity": 0.8,
    "reason": "ok",
}  # fmt: skip


def _completion(content) -> bytes:
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()


class Answer:
    """What the server sends next: status, body, and a delay before it."""

    status = 200
    body = b""
    delay_s = 0.0


@pytest.fixture(scope="module")
def server():
    answer = Answer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if answer.delay_s:
                time.sleep(answer.delay_s)
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield answer, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def _with(**changes) -> str:
    doc = json.loads(json.dumps(GOOD))
    doc.update(changes)
    return dump_json(doc)


CONTENTS = {
    "good": json.dumps(GOOD),
    "empty": "",
    "null": "null",
    "prose": "The speaker is very happy indeed.",
    "nan-weight": _with(weights={"happiness": float("nan")}),
    "inf-weights": _with(weights={"happiness": float("inf"), "anger": float("-inf")}),
    "1e308-weights": _with(weights={"happiness": 1e308, "anger": 1e308}),
    "negative-weights": _with(weights={"happiness": -5, "anger": -1}),
    "unknown-emotions": _with(weights={"joy": 1, "rage": 2}),
    "weights-list": _with(weights=[0.1, 0.2]),
    "weights-string": _with(weights="happy"),
    "intensity-string": _with(intensity="very"),
    "intensity-nan": _with(intensity=float("nan")),
    "reason-100k": _with(reason="r" * 100_000),
    "reason-surrogates": _with(reason="\udcff\ud800"),
    "deep-nesting": deep_json(100_000),
    "answer-1MB": json.dumps(GOOD) + " " * 1_000_000,
    "fenced-json": "```json\n" + json.dumps(GOOD) + "\n```",
    "two-json-objects": json.dumps(GOOD) + json.dumps(GOOD),
    "content-number": 5,
    "content-object": GOOD,
}
DRAWN = draw(json_any, 15, 1327)
BODIES = {
    "body-empty": (200, b""),
    "body-html": (200, b"<html><body>Bad gateway</body></html>"),
    "body-no-choices": (200, b'{"choices": []}'),
    "body-choices-null": (200, b'{"choices": null}'),
    "body-message-missing": (200, b'{"choices": [{"index": 0}]}'),
    "body-content-null": (
        200,
        b'{"choices": [{"message": {"role": "assistant", "content": null}}]}',
    ),
    "body-not-utf8": (200, b'{"choices": [{"message": {"content": "\xff\xfe"}}]}'),
    "body-deep": (200, deep_json(100_000).encode()),
    "http-404": (404, b'{"error": {"message": "no such model"}}'),
    "http-400-html": (400, b"<html>nope</html>"),
    "http-500": (500, b'{"error": "boom"}'),
}
CASES: list[tuple[str, int, bytes, float]] = (
    [(f"content-{k}", 200, _completion(v), 0.0) for k, v in CONTENTS.items()]
    + [(f"content-hyp{i:02d}", 200, _completion(dump_json(v)), 0.0) for i, v in enumerate(DRAWN)]
    + [(k, s, b, 0.0) for k, (s, b) in BODIES.items()]
    + [("too-late", 200, _completion(json.dumps(GOOD)), 4.0)]
)


@pytest.mark.parametrize(
    ("status", "body", "delay"),
    [(s, b, d) for _, s, b, d in CASES],
    ids=[case_id(i, k) for i, (k, _, _, _) in enumerate(CASES)],
)
def test_llm_answer(status, body, delay, server, case_dir, capfd, request, monkeypatch):
    answer, url = server
    answer.status, answer.body, answer.delay_s = status, body, delay
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fuzz")
    argv = ["text", "I can't believe it!", "--json", "out/r.json", "--llm",
            "--llm-base-url", url, "--llm-model", "m", "--llm-timeout", "2"]  # fmt: skip
    outcome = run_inprocess(argv, capfd, case_dir, request.node.name, "llm")
    check(outcome)
