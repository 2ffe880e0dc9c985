"""The wire: LSP base-protocol framing that survives any byte stream, and a protocol that
answers every request.

pygls 2.1's reader (`pygls.io_.run_async`) matches `Content-Length: N\\r\\n` exactly and
reads exactly N bytes: one stray byte, a lower-case or LF-only header, or a wrong length
leaves it out of step with the stream for good, and a huge length is allocated as asked.
Requests whose params do not structure, and requests after `shutdown`, get no answer at
all. This module replaces the reader (pygls has no hook for it) and subclasses the
protocol; everything after a message is parsed is pygls's own dispatch.

Framing (https://microsoft.github.io/language-server-protocol/specifications/base/0.9/):
header lines end in CRLF (LF is tolerated), the header names are case-insensitive, the
last `Content-Length` of a header block counts, and a body over MAX_BODY_BYTES is refused
without being read into memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from lsprotocol import types as t
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024  # bytes kept while looking for the end of a header block
READ_CHUNK = 64 * 1024

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


@dataclass(frozen=True)
class FrameError:
    """A part of the stream that is not a message; `message` says why."""

    message: str


class FrameReader:
    """Cuts a byte stream into message bodies.

    `feed(data)` returns the complete bodies (bytes) and the framing errors (FrameError)
    found so far, in stream order. Garbage between messages is skipped; a body whose
    `Content-Length` is too small is returned as it was cut (the JSON parse then fails and
    the remainder is skipped up to the next header); a length that is too large is noticed
    when a complete JSON value is followed by the next message's header."""

    def __init__(self, max_body: int = MAX_BODY_BYTES) -> None:
        self.max_body = max_body
        self._buf = bytearray()
        self._need: int | None = None  # the body length announced by the last header
        self._scanned = 0  # where to go on looking for a next header inside a pending body

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        self._buf += data
        out: list[bytes | FrameError] = []
        while True:
            if self._need is None:
                if not self._next_header(out):
                    break
            elif len(self._buf) >= self._need:
                body = bytes(self._buf[:self._need])
                del self._buf[:self._need]
                self._need = None
                out.append(body)
            elif not self._resync(out):
                break
        return out

    def _next_header(self, out: list[bytes | FrameError]) -> bool:
        match = _HEADER_END.search(self._buf)
        if match is None:
            if len(self._buf) > MAX_HEADER_BYTES:  # no header in sight: keep only a tail
                del self._buf[:-64]
            return False
        header = bytes(self._buf[:match.start()])
        del self._buf[:match.end()]
        lengths = _CONTENT_LENGTH.findall(header)
        if not lengths:
            if header.strip():
                out.append(FrameError(f"skipped {len(header)} bytes with no Content-Length"))
            return True
        value = lengths[-1].strip()
        if not value.isdigit():
            out.append(FrameError(f"Content-Length {value[:40]!r} is not a number"))
            return True
        length = int(value)
        if length == 0 or length > self.max_body:
            out.append(FrameError(f"Content-Length {length} is out of range "
                                  f"(1..{self.max_body} bytes); message skipped"))
            return True
        self._need, self._scanned = length, 0
        return True

    def _resync(self, out: list[bytes | FrameError]) -> bool:
        """While a body is incomplete: when a next header follows a complete JSON value, the
        announced length was wrong; take the value and go on from that header."""
        start = max(0, self._scanned - 32)
        self._scanned = len(self._buf)
        for match in _CONTENT_LENGTH.finditer(self._buf, start):
            head = bytes(self._buf[:match.start()])
            try:
                json.loads(head)
            except ValueError:
                continue
            out.append(FrameError(f"Content-Length said {self._need} bytes, the message had "
                                  f"{len(head)}"))
            out.append(head)
            del self._buf[:match.start()]
            self._need = None
            return True
        return False


class PlanProtocol(LanguageServerProtocol):
    """pygls's protocol, answering what pygls would leave unanswered: a request whose
    params do not fit the method's type (InvalidParams), a body that is not JSON-RPC
    (ParseError / InvalidRequest, id null), a request after `shutdown` (InvalidRequest).
    Internal errors are answered without the server's traceback (it goes to the log)."""

    def receive(self, body: bytes) -> None:
        """Handle one message body from the wire."""
        try:
            data = json.loads(body)
        except ValueError as exc:  # UnicodeDecodeError is a ValueError
            self._answer_error(None, JsonRpcParseError(f"Parse error: {exc}"))
            return
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
            msg_id = data.get("id") if isinstance(data, dict) else None
            self._answer_error(_valid_id(msg_id),
                               JsonRpcInvalidRequest("Invalid request: not a JSON-RPC 2.0 object"))
            return
        method = data.get("method")
        is_request = "id" in data and "method" in data
        if is_request and (_valid_id(data["id"]) is None or not isinstance(method, str)):
            self._answer_error(_valid_id(data["id"]), JsonRpcInvalidRequest(
                "Invalid request: the id must be a number or a string, the method a string"))
            return
        if is_request and self._shutdown and method != t.EXIT:
            self._answer_error(data["id"], JsonRpcInvalidRequest(
                f"{method}: the server is shutting down (shutdown was received)"))
            return
        try:
            message = self.structure_message(data)
        except Exception as exc:
            if is_request:
                self._answer_error(data["id"], JsonRpcInvalidParams(
                    f"Invalid params for {method}: {_why(exc)}"))
            else:
                log.warning("dropped a %s message that does not fit its type: %s",
                            method or "response", _why(exc))
            return
        self.handle_message(message)

    def _answer_error(self, msg_id: Any, error: JsonRpcException) -> None:
        log.warning("answering %s with an error: %s", msg_id, error.message)
        self._send_response(msg_id, None, error.to_response_error())

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        data = getattr(error, "data", None)
        if isinstance(data, dict) and "traceback" in data:  # pygls's InternalError
            log.error("internal error answered to %s: %s\n%s", msg_id, error.message,
                      "".join(data["traceback"]))
            error = t.ResponseError(code=error.code, message=error.message)
        super()._send_response(msg_id, result, error)


def _valid_id(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, (int, str)) else None


def _why(exc: BaseException) -> str:
    """A short reason from a (cattrs) structuring error, without a traceback."""
    cause = exc.__cause__ or exc
    try:
        from cattrs.errors import ClassValidationError
        from cattrs.v import transform_error

        if isinstance(cause, ClassValidationError):
            return "; ".join(transform_error(cause, path="params"))[:500]
    except ImportError:  # an older cattrs: the plain message will do
        pass
    return (str(cause) or type(cause).__name__)[:500]


async def serve(read: Callable[[], Awaitable[bytes]], protocol: PlanProtocol,
                stop: threading.Event) -> None:
    """Read messages with `read()` (b"" at the end of the stream) until it ends or `stop`
    is set, and hand each one to the protocol."""
    frames = FrameReader()
    while not stop.is_set():
        data = await read()
        if not data:
            break
        for frame in frames.feed(data):
            if isinstance(frame, FrameError):
                log.warning("transport: %s", frame.message)
                continue
            try:
                protocol.receive(frame)
            except Exception:  # one message must never stop the reader
                log.exception("failed to handle a message")


def serve_stdio(server: Any, stdin: BinaryIO | None = None,
                stdout: BinaryIO | None = None) -> None:
    """Run `server` (a pygls LanguageServer with a PlanProtocol) on stdio until EOF/exit."""
    from pygls.io_ import StdoutWriter

    stdin = stdin or sys.stdin.buffer
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    read1 = getattr(stdin, "read1", None) or stdin.read

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await serve(lambda: loop.run_in_executor(server.thread_pool, read1, READ_CHUNK),
                    server.protocol, stop)

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the client went away; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


def serve_tcp(server: Any, host: str, port: int) -> None:
    """Run `server` on a TCP socket (one client at a time, as pygls does)."""
    server._stop_event = stop = threading.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.protocol.set_writer(writer)
        await serve(lambda: reader.read(READ_CHUNK), server.protocol, stop)
        server.shutdown()

    async def main() -> None:
        server._server = await asyncio.start_server(connection, host, port)
        async with server._server:
            await server._server.serve_forever()

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        pass
