"""A client that speaks the LSP wire format byte by byte, for tests that must send what no
well-behaved client would: broken framing, wrong types, hostile paths.

It answers the server's own requests (applyEdit, showMessageRequest, configuration, ...)
with a refusal or null, so that no command waits on a client that never answers."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

SERVER = [sys.executable, "-m", "plan_ls", "serve"]
_ANSWERS: dict[str, Any] = {
    "workspace/applyEdit": {"applied": False, "failureReason": "test client"},
    "workspace/configuration": [None],
}


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: dict) -> bytes:
    return frame(json.dumps(message).encode("utf-8"))


class RawServer:
    """`plan-ls serve` in a subprocess, read by a thread that parses well-formed frames."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.stderr = open(cwd / "server.log", "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(SERVER, cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=env or dict(os.environ))
        self._lock = threading.Lock()
        self._responses: dict[Any, queue.Queue] = {}
        self.notifications: list[dict] = []
        self.null_id_errors: list[dict] = []
        self._next = 1000
        threading.Thread(target=self._read, daemon=True).start()

    # --- sending ----------------------------------------------------------------------------
    def send_bytes(self, data: bytes) -> None:
        with self._lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def send(self, message: dict) -> None:
        self.send_bytes(encode(message))

    def new_id(self) -> int:
        self._next += 1
        return self._next

    def expect(self, msg_id: Any) -> queue.Queue:
        return self._responses.setdefault(msg_id, queue.Queue())

    def wait(self, msg_id: Any, timeout: float = 20.0) -> dict:
        """The response to `msg_id` (raises queue.Empty after `timeout` seconds)."""
        return self.expect(msg_id).get(timeout=timeout)

    def request(self, method: str, params: Any = None, timeout: float = 20.0,
                omit_params: bool = False) -> dict:
        msg_id = self.new_id()
        self.expect(msg_id)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if not omit_params:
            message["params"] = params
        self.send(message)
        return self.wait(msg_id, timeout)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def initialize(self, root: Path, options: dict | None = None) -> dict:
        result = self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {
                "workspace": {"applyEdit": True, "workspaceEdit": {"documentChanges": True}},
                "window": {"showDocument": {"support": True}}},
            "initializationOptions": options or {}})
        self.notify("initialized", {})
        return result

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=5)
            self.notify("exit")
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
        finally:
            self.stderr.close()

    # --- reading ----------------------------------------------------------------------------
    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:  # the server asks the client
                self.send({"jsonrpc": "2.0", "id": message["id"],
                           "result": _ANSWERS.get(message["method"])})
            elif "method" in message:
                self.notifications.append(message)
            elif message.get("id") is None:
                self.null_id_errors.append(message)
            else:
                self.expect(message["id"]).put(message)
