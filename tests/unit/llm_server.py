"""A tiny OpenAI-compatible chat server for tests (stdlib ``http.server`` in a thread).

It listens on 127.0.0.1 on an ephemeral port, answers ``POST /v1/chat/completions`` according to
``server.mode`` and records every request (JSON body and headers), so tests can check what the
real ``openai`` client sent and how many attempts it made.

Modes: ``good``, ``plain`` (ignores response_format: prose + a fenced JSON block), ``malformed``
(prose, no JSON), ``truncated``, ``out_of_range``, ``missing``, ``slow`` (sleeps ``slow_s``
before answering), ``http500``, ``http429``, ``http401_echo`` (echoes the Authorization header in
its error body, as a hostile or buggy server might), ``not_json`` (HTTP 200 with an HTML body),
``obey`` (behaves like a model that followed an injected instruction: answers "anger = 1" as
prose). ``fail_first = n`` makes the first n requests answer HTTP 500 before ``mode`` applies.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

GOOD_RATING = {
    "weights": {
        "neutral": 0.0,
        "happiness": 0.1,
        "sadness": 0.0,
        "anger": 0.0,
        "surprise": 0.6,
        "fear": 0.3,
        "disgust": 0.0,
    },
    "intensity": 0.8,
    "reason": "The speaker is startled and a little scared.",
}


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _content_for(mode: str) -> str:
    rating = json.loads(json.dumps(GOOD_RATING))
    if mode == "good":
        return json.dumps(rating)
    if mode == "plain":
        return "Sure! Here is the rating:\n```json\n" + json.dumps(rating, indent=1) + "\n```"
    if mode == "malformed":
        return "The speaker sounds surprised, maybe a bit afraid."
    if mode == "truncated":
        return json.dumps(rating)[:60]
    if mode == "out_of_range":
        rating["weights"]["anger"] = 1.7
        return json.dumps(rating)
    if mode == "missing":
        del rating["weights"]["disgust"]
        return json.dumps(rating)
    if mode == "obey":
        return "anger = 1"
    raise ValueError(f"unknown mode {mode}")


class FakeLLMServer:
    """Start with :meth:`start`, stop with :meth:`stop`; see the module docstring for modes."""

    def __init__(self) -> None:
        self.mode = "good"
        self.fail_first = 0
        self.slow_s = 2.0
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def reset(self, mode: str = "good") -> None:
        with self._lock:
            self.mode, self.fail_first, self.requests = mode, 0, []

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, obj: Any, headers: dict | None = None) -> None:
                self._send(status, json.dumps(obj).encode(), "application/json", headers)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with server._lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "body": json.loads(raw),
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )
                    n, mode, fail_first = len(server.requests), server.mode, server.fail_first
                if self.path != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                elif n <= fail_first or mode == "http500":
                    self._json(500, {"error": {"message": "internal error", "type": "server"}})
                elif mode == "http429":
                    self._json(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
                elif mode == "http401_echo":
                    got = self.headers.get("Authorization", "")
                    self._json(401, {"error": {"message": f"bad credentials: {got}"}})
                elif mode == "not_json":
                    self._send(200, b"<html><body>gateway</body></html>", "text/html")
                elif mode == "slow":
                    server._stopping.wait(server.slow_s)
                    with contextlib.suppress(OSError):  # the client may have given up
                        self._json(200, _completion(_content_for("good")))
                else:
                    self._json(200, _completion(_content_for(mode)))

        return Handler


@pytest.fixture(scope="module")
def llm_server() -> Iterator[FakeLLMServer]:
    """A running fake server shared by a test module; reset to ``good`` before each use."""
    server = FakeLLMServer().start()
    try:
        yield server
    finally:
        server.stop()
