"""The server's log: to stderr (or a file) and to the client as `window/logMessage`.

`plan-ls serve` calls `setup_logging()` before the server exists. Records logged before the
client is initialised are held (the last `BUFFERED`) by the `ClientLogHandler` and sent once
it is (features/client_log.py attaches the server), as esbonio does with a MemoryHandler.
How much reaches the client follows `planLs.trace.server` (VS Code's convention: off,
messages, verbose); how much reaches stderr follows `--log-level`. Every record goes
through `SecretFilter` first: the API key's value and a URL's user name and password never
reach either.

No pygls or lsprotocol import at module level: this runs before the server is built.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

BUFFERED = 500  # records held until the client is initialised (the oldest are dropped)
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
# planLs.trace.server -> the lowest level sent to the client. "off" still lets warnings and
# errors through: they are what a user needs to see when something goes wrong.
TRACE_LEVELS = {"off": logging.WARNING, "messages": logging.INFO, "verbose": logging.DEBUG}
_KEY_HINTS = re.compile(r"\b(?:sk|pk|key)-")  # llm.client's key-like pattern starts so
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CLIENT_FORMAT = "%(levelname)s %(name)s: %(message)s"  # the client adds its own time


class SecretFilter(logging.Filter):
    """Masks secrets in every record: the values of the API-key environment variables that
    `key_envs()` names, and `user:password@` in URLs (llm.client's masking)."""

    def __init__(self, key_envs: Callable[[], list[str]] | None = None) -> None:
        super().__init__()
        self.key_envs = key_envs or (lambda: ["OPENAI_API_KEY"])

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        keys = [os.environ.get(name, "") for name in self.key_envs()]
        keys = [k for k in keys if len(k) >= 4]
        # the LLM layer is imported only for a record that may hold a secret
        if any(k in text for k in keys) or "@" in text or _KEY_HINTS.search(text):
            from plan_ls.llm.client import redact

            masked = redact(text, keys)
            if masked != text:
                record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:  # a traceback can quote a secret too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            from plan_ls.llm.client import redact

            record.exc_text = redact(record.exc_text, keys)
        return True


class ClientLogHandler(logging.Handler):
    """Sends records to the client as `window/logMessage` once `attach()`ed to a server
    whose client is initialised; holds them until then."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: deque[logging.LogRecord] = deque(maxlen=BUFFERED)
        self.server: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: int | None = None  # the loop's thread: pygls writes from there only
        self.client_level = TRACE_LEVELS["off"]  # VS Code's default, until the client says
        self._sending = False
        self.setFormatter(logging.Formatter(CLIENT_FORMAT))

    def attach(self, server: Any, loop: asyncio.AbstractEventLoop) -> None:
        """Start sending to `server`'s client (call on `loop`, after `initialized`); the
        records held so far go first."""
        self.server, self.loop, self.thread = server, loop, threading.get_ident()
        held, self.pending = list(self.pending), deque(maxlen=BUFFERED)
        for record in held:
            if record.levelno >= self.client_level:
                self._send(record)

    def emit(self, record: logging.LogRecord) -> None:
        if self.server is None:
            self.pending.append(record)
        elif record.levelno < self.client_level:
            return
        elif threading.get_ident() == self.thread:
            self._send(record)
        elif self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._send, record)

    def _send(self, record: logging.LogRecord) -> None:
        if self._sending:  # something logged while sending: it would loop
            return
        self._sending = True
        try:
            from lsprotocol import types as t

            kind = (t.MessageType.Error if record.levelno >= logging.ERROR
                    else t.MessageType.Warning if record.levelno >= logging.WARNING
                    else t.MessageType.Info if record.levelno >= logging.INFO
                    else t.MessageType.Log)
            self.server.window_log_message(t.LogMessageParams(type=kind,
                                                              message=self.format(record)))
        except Exception:  # a log line must never break the server (nor the wire)
            pass
        finally:
            self._sending = False


class _Setup:
    """What setup_logging installed, for the server to adjust."""

    def __init__(self) -> None:
        self.stream: logging.Handler | None = None
        self.client: ClientLogHandler | None = None
        self.secrets: SecretFilter | None = None


installed = _Setup()


def setup_logging(level: str = "info", log_file: str | None = None) -> ClientLogHandler:
    """Log to `log_file` (else stderr: stdout is the wire) at `level` (a LEVELS key), and
    to the client through the returned handler (holding records until it is attached)."""
    stream: logging.Handler = (logging.FileHandler(log_file) if log_file
                               else logging.StreamHandler(sys.stderr))
    stream.setLevel(LEVELS[level])
    stream.setFormatter(logging.Formatter(FORMAT))
    secrets = SecretFilter()
    client = ClientLogHandler()
    for handler in (stream, client):
        handler.addFilter(secrets)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(stream)
    root.addHandler(client)
    # pygls logs every message it sends at INFO: costly on big files, noise, and each
    # logMessage would log itself again
    logging.getLogger("pygls").setLevel(logging.WARNING)
    installed.stream, installed.client, installed.secrets = stream, client, secrets
    _set_root_level()
    return client


def set_client_trace(trace: str) -> bool:
    """Follow the client's `planLs.trace.server` (off | messages | verbose); False (and
    no change) for any other value."""
    level = TRACE_LEVELS.get(trace) if isinstance(trace, str) else None
    if level is None:
        return False
    if installed.client is not None:
        installed.client.client_level = level
        _set_root_level()
    return True


def _set_root_level() -> None:
    """The root logger lets through what any handler wants, and nothing less: a debug
    record costs nothing unless someone reads it."""
    levels = [h.level for h in (installed.stream,) if h is not None]
    if installed.client is not None:
        levels.append(installed.client.client_level)
    logging.getLogger().setLevel(min(levels) if levels else logging.INFO)
