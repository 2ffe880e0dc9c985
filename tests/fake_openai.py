"""A small OpenAI-compatible chat-completions server for tests and the benchmark.

It listens on 127.0.0.1 on a free port, answers `POST /v1/chat/completions` (streaming SSE
over chunked HTTP/1.1, or one JSON body) from a script of replies, records every request,
and injects the faults a real provider produces: 500, 429 with Retry-After, a slow first
token, a stream cut mid-way, malformed SSE, an unknown model (404), an invalid key (401),
an answer stopped at the token limit (`finish_reason: "length"`), an empty answer, a whole
JSON chat completion where a stream was asked for (`json`), an error object with status 200
(`json_error`), and a stream that never ends (`endless`: the reply's text again and again,
as fast as the client reads, until it hangs up).
It also has real models' habits (small local ones most of all): several questions where one
was asked for (`questions`), the answer wrapped in one ```` ```markdown ```` fence (`fenced`),
a chatter line before it (`chatter`), the same text repeated until `max_tokens` runs out
(`repeat`, finish_reason "length"), keep-alive comments while "reading the prompt" before
the first token (`pings`, every `ping_interval` for `first_token_delay`), and the error a
llama.cpp server sends for a prompt over its context (`overflow`, HTTP 400), and the bare
`[DONE]` with no finish reason that llama-cpp-python's single-slot server sends to a running
stream when another request arrives (`preempted`, after half the text).
The `openai` SDK talks to it through `base_url` exactly as it talks to a provider. A base
URL with credentials (`http://user:pass@host`, see `url_with_credentials`) is accepted when
the request carries them as HTTP Basic auth, as a proxy in front of a provider would.
"""

from __future__ import annotations

import base64
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FAULTS = ("500", "429", "slow", "cut", "malformed", "unknown_model", "invalid_key", "length",
          "empty", "json", "json_error", "endless", "questions", "fenced", "chatter", "repeat",
          "pings", "overflow", "preempted")
MORE_QUESTIONS = "\n\nAlso, who will use it day to day?\n\nAnd which database do you prefer?\n"
CHATTER = "Sure! Here is what you asked for:\n\n"
OVERFLOW = "the request exceeds the available context size, try increasing it"


@dataclass
class Reply:
    """One scripted answer. `fault` is one of FAULTS or None."""

    text: str = "OK"
    fault: str | None = None
    retry_after: float = 1.0  # for "429"
    first_token_delay: float = 0.0  # for "slow" (and any reply)
    token_interval: float = 0.0  # pause between streamed chunks
    chunk_chars: int = 0  # 0: one chunk per word
    finish: str = "stop"  # the last event's finish_reason ("length" for the fault)
    ping_interval: float = 0.05  # for "pings": a keep-alive comment this often


@dataclass
class Recorded:
    """What one request looked like and how its stream went (monotonic times)."""

    path: str
    body: dict[str, Any]
    authorization: str
    received: float
    status: int = 200
    first_token: float | None = None
    closed_by_client: float | None = None  # when the server saw the client hang up
    finished: float | None = None
    sent_bytes: int = 0  # answer text sent, in UTF-8 bytes

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


@dataclass
class FakeOpenAI:
    api_key: str = "sk-test-key"
    models: set[str] = field(default_factory=lambda: {"fake-chat", "fake-planner"})
    script: list[Reply] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    default: Reply = field(default_factory=Reply)
    basic_auth: tuple[str, str] = ("proxy-user", "proxy-s3cret")  # see url_with_credentials
    _httpd: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def url_with_credentials(self) -> str:
        """The base URL with `user:password@` in it (the password must never be shown)."""
        user, password = self.basic_auth
        return self.url.replace("http://", f"http://{user}:{password}@", 1)

    def add(self, *replies: Reply | str) -> None:
        with self._lock:
            self.script.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # stop() waits for the serving loop to look at its flag: every 50 ms, not 0.5 s
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {n} requests, got {len(self.requests)}")
            time.sleep(0.01)


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        fake = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        rec = Recorded(self.path, body, self.headers.get("Authorization", ""), time.monotonic())
        with fake._lock:
            fake.requests.append(rec)
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._error(rec, 404, "Not found", "invalid_request_error", "not_found")
        reply = fake.next_reply()
        basic = "Basic " + base64.b64encode(":".join(fake.basic_auth).encode()).decode()
        if reply.fault == "invalid_key" or rec.authorization not in (f"Bearer {fake.api_key}",
                                                                     basic):
            return self._error(rec, 401, "Incorrect API key provided.", "invalid_request_error",
                               "invalid_api_key")
        if reply.fault == "unknown_model" or body.get("model") not in fake.models:
            return self._error(rec, 404, f"The model `{body.get('model')}` does not exist.",
                               "invalid_request_error", "model_not_found")
        if reply.fault == "overflow":
            return self._error(rec, 400, OVERFLOW, "exceed_context_size_error", None)
        if reply.fault == "500":
            return self._error(rec, 500, "The server had an error.", "server_error", None)
        if reply.fault == "429":
            return self._error(rec, 429, "Rate limit reached.", "requests", "rate_limit_exceeded",
                               {"Retry-After": f"{reply.retry_after:g}"})
        if reply.fault in ("json", "json_error"):
            self._complete(rec, reply, body)  # whatever the client asked for
        elif body.get("stream"):
            self._stream(rec, reply, body)
        else:
            self._complete(rec, reply, body)

    # --- answers ---------------------------------------------------------------------------
    def _send_head(self, status: int, ctype: str, extra: dict[str, str] | None = None,
                   length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.close_connection = True

    def _error(self, rec: Recorded, status: int, message: str, etype: str, code: str | None,
               headers: dict[str, str] | None = None) -> None:
        rec.status = status
        data = json.dumps({"error": {"message": message, "type": etype, "param": None,
                                     "code": code}}).encode()
        self._send_head(status, "application/json", headers, len(data))
        self.wfile.write(data)
        rec.finished = time.monotonic()

    def _complete(self, rec: Recorded, reply: Reply, body: dict[str, Any]) -> None:
        time.sleep(reply.first_token_delay)
        if reply.fault == "json_error":  # a proxy that answers 200 with an error object
            data = json.dumps({"error": {"message": "upstream unavailable", "code": None}})
            self._send_head(200, "application/json", None, len(data))
            self.wfile.write(data.encode())
            rec.finished = time.monotonic()
            return
        data = json.dumps({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "finish_reason": reply.finish,
                         "message": {"role": "assistant", "content": reply.text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }).encode()
        self._send_head(200, "application/json", None, len(data))
        self.wfile.write(data)
        rec.sent_bytes = len(reply.text.encode())
        rec.first_token = rec.finished = time.monotonic()

    def _chunk(self, payload: str) -> None:
        data = payload.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, model: str, delta: dict[str, Any], finish: str | None = None) -> None:
        event = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                 "created": int(time.time()), "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        self._chunk(f"data: {json.dumps(event)}\n\n")

    def _client_gone(self) -> bool:
        """True once the client closed its end (readable socket that reads EOF)."""
        sock: socket.socket = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _stream(self, rec: Recorded, reply: Reply, body: dict[str, Any]) -> None:
        model = str(body.get("model"))
        self._send_head(200, "text/event-stream")
        try:
            self._event(model, {"role": "assistant", "content": ""})
            if reply.fault == "endless":
                return self._endless(rec, reply, model)
            delay = reply.first_token_delay
            if reply.fault == "pings":  # "reading the prompt": comments only, no text
                if not self._ping(reply):
                    rec.closed_by_client = time.monotonic()
                    return
                delay = 0.0
            text = _habit(reply, body)
            pieces = [] if reply.fault == "empty" else list(_split(text, reply.chunk_chars))
            cut_at = len(pieces) // 2 if reply.fault in ("cut", "malformed", "preempted") \
                else None
            for i, piece in enumerate(pieces):
                if not self._sleep_watching(delay):
                    rec.closed_by_client = time.monotonic()
                    return
                delay = reply.token_interval
                if i == cut_at:
                    if reply.fault == "preempted":  # a clean end, but no finish reason
                        self._chunk("data: [DONE]\n\n")
                        self.wfile.write(b"0\r\n\r\n")
                    if reply.fault == "malformed":
                        self._chunk("data: {\"choices\": [{\"delta\": {\"content\": \"oops\n\n")
                        self._chunk("data: [DONE]\n\n")
                        self.wfile.write(b"0\r\n\r\n")
                    # "cut": hang up in the middle of the chunked body
                    self.wfile.flush()
                    rec.finished = time.monotonic()
                    return
                self._event(model, {"content": piece})
                rec.sent_bytes += len(piece.encode())
                if rec.first_token is None:
                    rec.first_token = time.monotonic()
            self._event(model, {}, "length" if reply.fault in ("length", "repeat")
                        else reply.finish)
            self._chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            rec.finished = time.monotonic()
        except (BrokenPipeError, ConnectionResetError):
            rec.closed_by_client = rec.closed_by_client or time.monotonic()

    def _endless(self, rec: Recorded, reply: Reply, model: str) -> None:
        """Send the reply's pieces round and round until the client hangs up. The socket's
        send buffer gives back-pressure: a client that stops reading stops the loop."""
        pieces = list(_split(reply.text, reply.chunk_chars)) or ["x "]
        if not self._sleep_watching(reply.first_token_delay):
            rec.closed_by_client = time.monotonic()
            return
        i = 0
        while True:
            if reply.token_interval and not self._sleep_watching(reply.token_interval):
                rec.closed_by_client = time.monotonic()
                return
            if i % 64 == 0 and self._client_gone():
                rec.closed_by_client = time.monotonic()
                return
            piece = pieces[i % len(pieces)]
            self._event(model, {"content": piece})
            rec.sent_bytes += len(piece.encode())
            if rec.first_token is None:
                rec.first_token = time.monotonic()
            i += 1

    def _ping(self, reply: Reply) -> bool:
        """Keep-alive comments (`: ping`) for first_token_delay; False if the client left."""
        deadline = time.monotonic() + reply.first_token_delay
        while time.monotonic() < deadline:
            self._chunk(": ping\n\n")
            if not self._sleep_watching(min(reply.ping_interval,
                                            max(0.0, deadline - time.monotonic()))):
                return False
        return True

    def _sleep_watching(self, seconds: float) -> bool:
        """Sleep, but wake up (returning False) as soon as the client hangs up."""
        deadline = time.monotonic() + seconds
        while True:
            if self._client_gone():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, 0.002))


def search_replace_edit(path: str, search: str, replace: str, intro: str = "") -> str:
    """An answer in Aider's SEARCH/REPLACE edit format (its "diff" format, parsed by
    aider/coders/editblock_coder.py `find_original_update_blocks`): the file's path alone on
    a line, then a fence holding `<<<<<<< SEARCH`, the lines to find, `=======`, the lines
    to put in their place, `>>>>>>> REPLACE`. An empty `search` creates the file."""
    body = f"{search.rstrip(chr(10))}\n" if search else ""
    return (f"{intro}\n\n" if intro else "") + \
        f"{path}\n```python\n<<<<<<< SEARCH\n{body}=======\n" \
        f"{replace.rstrip(chr(10))}\n>>>>>>> REPLACE\n```\n"


def _habit(reply: Reply, body: dict[str, Any]) -> str:
    """The reply's text as a model with the reply's habit (its fault) would send it."""
    if reply.fault == "questions":
        return reply.text + MORE_QUESTIONS
    if reply.fault == "fenced":
        return f"```markdown\n{reply.text.rstrip()}\n```\n"
    if reply.fault == "chatter":
        return CHATTER + reply.text
    if reply.fault == "repeat":  # about 4 characters a token, until max_tokens is spent
        limit = 4 * int(body.get("max_tokens") or body.get("max_completion_tokens") or 500)
        return (reply.text * (limit // max(1, len(reply.text)) + 1))[:limit]
    return reply.text


def _split(text: str, size: int) -> Iterator[str]:
    if size > 0:
        for i in range(0, len(text), size):
            yield text[i:i + size]
        return
    word = ""
    for ch in text:
        word += ch
        if ch in " \n":
            yield word
            word = ""
    if word:
        yield word


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    try:
        yield fake
    finally:
        fake.stop()
